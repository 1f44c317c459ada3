"""Recorded arrival lists for scenario replay: a CSV file, one contact a row.

Every bad row is reported with its line and field; nothing is dropped silently.
"""

import csv
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

from baiying.errors import ConfigError, ConfigProblem
from baiying.ids import QueueId, SiteId
from baiying.simulation.engine import ScheduledContact

REQUIRED = ("at", "queue", "handle_seconds")
OPTIONAL = ("patience_seconds", "site", "language", "intent", "tier", "priority", "customer_id")


def read_arrivals(path: Path, *, queues: Collection[str], sites: Collection[str]) -> list[ScheduledContact]:
    """The contacts of `path`, in time order. Raises ConfigError naming each bad row's line and field."""
    source = str(path)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [column for column in REQUIRED if column not in header]
        unknown = [column for column in header if column not in REQUIRED + OPTIONAL]
        if missing or unknown:
            problems = [ConfigProblem(c, "required column is missing", 1) for c in missing]
            problems += [ConfigProblem(c, "unknown column (check the spelling)", 1) for c in unknown]
            raise ConfigError(source, problems)
        arrivals: list[ScheduledContact] = []
        problems = []
        for row in reader:
            line = reader.line_num
            try:
                arrivals.append(_contact(row, queues, sites))
            except _BadField as bad:
                problems.append(ConfigProblem(bad.field, bad.reason, line))
    if problems:
        raise ConfigError(source, problems)
    if not arrivals:
        raise ConfigError(source, [ConfigProblem("", "the file has no arrivals", 2)])
    arrivals.sort(key=lambda a: a.at)
    return arrivals


class _BadField(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _contact(row: dict[str, str], queues: Collection[str], sites: Collection[str]) -> ScheduledContact:
    queue = row["queue"].strip()
    if queue not in queues:
        raise _BadField("queue", f"unknown queue {queue!r}")
    site = (row.get("site") or "").strip() or None
    if site is not None and site not in sites:
        raise _BadField("site", f"unknown site {site!r}")
    patience = (row.get("patience_seconds") or "").strip()
    return ScheduledContact(
        at=_time(row["at"]),
        queue=QueueId(queue),
        handle_seconds=_seconds(row["handle_seconds"], "handle_seconds"),
        patience_seconds=_seconds(patience, "patience_seconds") if patience else None,
        site=SiteId(site) if site else None,
        language=(row.get("language") or "").strip() or None,
        intent=(row.get("intent") or "").strip() or None,
        tier=(row.get("tier") or "").strip() or None,
        priority=_integer(row.get("priority") or "0", "priority"),
        customer_id=(row.get("customer_id") or "").strip() or None,
    )


def _time(text: str) -> float:
    value = text.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _BadField("at", f"{value!r} is neither an ISO 8601 time nor epoch seconds") from None
    if moment.tzinfo is None:
        raise _BadField("at", f"{value!r} has no UTC offset (write e.g. 2026-11-23T09:00:00+08:00)")
    return moment.timestamp()


def _seconds(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _BadField(field, f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise _BadField(field, f"{text!r} must be zero or more seconds")
    return value


def _integer(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise _BadField(field, f"{text!r} is not a whole number") from None
