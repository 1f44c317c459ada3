"""Workforce management: queueing formulas and staffing for single-skill contact-center intervals.

Pure core (standard library, numpy, scipy). Erlang B and C in `erlang`, Erlang A (callers who hang up)
in `erlang_a`, required and scheduled agents in `staffing`, and Erlang C staffing for many intervals
at once in `batch`. Loads are in Erlangs, times in seconds,
probabilities are fractions.
"""

from baiying.wfm.batch import required_agents_many
from baiying.wfm.erlang import (
    QueueMetrics,
    erlang_b,
    erlang_c,
    erlang_c_asa_seconds,
    erlang_c_metrics,
    erlang_c_service_level,
    offered_load_erlangs,
)
from baiying.wfm.erlang_a import ErlangAState, erlang_a_metrics, erlang_a_state
from baiying.wfm.errors import InvalidQueueParameters, UnstableQueue
from baiying.wfm.staffing import queue_metrics, required_agents, scheduled_agents

__all__ = [
    "ErlangAState",
    "InvalidQueueParameters",
    "QueueMetrics",
    "UnstableQueue",
    "erlang_a_metrics",
    "erlang_a_state",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa_seconds",
    "erlang_c_metrics",
    "erlang_c_service_level",
    "offered_load_erlangs",
    "queue_metrics",
    "required_agents",
    "required_agents_many",
    "scheduled_agents",
]
