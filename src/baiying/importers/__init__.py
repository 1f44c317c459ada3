"""Adapters that read real contact-center history (call logs) into call records and events."""

from baiying.importers.calllog import (
    LEFT_BEFORE_QUEUE,
    CallLogError,
    CallLogImport,
    RejectedRow,
    parse_call_log,
    read_call_log,
)
from baiying.importers.mapping import ANONYMOUS_BANK, PRESETS, CallLogMapping, OutcomeValues, load_mapping

__all__ = [
    "ANONYMOUS_BANK",
    "LEFT_BEFORE_QUEUE",
    "PRESETS",
    "CallLogError",
    "CallLogImport",
    "CallLogMapping",
    "OutcomeValues",
    "RejectedRow",
    "load_mapping",
    "parse_call_log",
    "read_call_log",
]
