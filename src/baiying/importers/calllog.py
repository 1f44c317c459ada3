"""Import a real call log (CSV/TSV, one row per call) as call records and the equivalent event log.

Every data row ends in exactly one place: a `CallRecord`, a `RejectedRow` (line, field, reason), or an
`ignored` count with its reason (an ignored outcome value, a hang-up before the queue). So
rows_read == len(records) + len(rejected) + sum(ignored.values()), and nothing is dropped silently.
"""

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from baiying.analytics.records import CallOutcome, CallRecord, call_events
from baiying.errors import DomainError
from baiying.events import Event
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.importers.mapping import CallLogMapping

LEFT_BEFORE_QUEUE = "hung up before reaching the queue"
_HALF_DAY = 43_200


class CallLogError(DomainError):
    """The file as a whole cannot be read with this mapping (no header, a mapped column missing)."""

    code = "invalid-call-log"


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int  # 1-based line in the file (the header is line 1)
    field: str  # the column at fault; "" for the row as a whole
    reason: str


@dataclass(frozen=True, slots=True)
class CallLogImport:
    source: str
    rows_read: int
    records: tuple[CallRecord, ...]
    events: tuple[Event, ...]  # sorted by time
    rejected: tuple[RejectedRow, ...]
    ignored: Mapping[str, int]  # reason -> rows


class _Reject(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def read_call_log(path: Path, mapping: CallLogMapping) -> CallLogImport:
    """Read and convert the call log at `path`. Raises CallLogError, or OSError for an unreadable file."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return parse_call_log(handle, mapping, str(path))
    except UnicodeDecodeError:
        raise CallLogError(f"{path} is not UTF-8 text") from None


def parse_call_log(
    lines: Iterable[str], mapping: CallLogMapping, source: str = "<call log>"
) -> CallLogImport:
    """Convert the lines of a call log (header first) with `mapping`; see the module docstring."""
    reader = csv.reader(lines, delimiter=mapping.delimiter)
    header = next(reader, None)
    if not header:
        raise CallLogError(f"{source} is empty: expected a header row naming the columns")
    parser = _RowParser(mapping, header, source)
    records: list[CallRecord] = []
    rejected: list[RejectedRow] = []
    ignored: Counter[str] = Counter()
    first_line: dict[ContactId, int] = {}
    rows_read = 0
    for row in reader:
        if not row:
            continue
        rows_read += 1
        line = reader.line_num
        try:
            parsed = parser.parse(row, line)
            if isinstance(parsed, str):
                ignored[parsed] += 1
                continue
            if parsed.contact_id in first_line:
                raise _Reject(
                    parser.id_field,
                    f"duplicate call id {parsed.contact_id} (first on line {first_line[parsed.contact_id]})",
                )
        except _Reject as problem:
            rejected.append(RejectedRow(line, problem.field, problem.reason))
            continue
        first_line[parsed.contact_id] = line
        records.append(parsed)
    return CallLogImport(
        source=source,
        rows_read=rows_read,
        records=tuple(records),
        events=tuple(call_events(records)),
        rejected=tuple(rejected),
        ignored=dict(ignored),
    )


class _RowParser:
    def __init__(self, mapping: CallLogMapping, header: list[str], source: str) -> None:
        self.mapping = mapping
        self.width = len(header)
        self.zone = ZoneInfo(mapping.timezone)
        positions = {name: index for index, name in enumerate(header)}
        self.index: dict[str, int] = {}
        for field, column in mapping.columns().items():
            if column not in positions:
                raise CallLogError(
                    f"{source}: column {column!r} (from {field}) is not in the header; "
                    f"columns are: {', '.join(header)}"
                )
            self.index[column] = positions[column]
        self.id_field = "+".join(mapping.id_columns) or "line"
        self.empty_times = frozenset(mapping.empty_time_values)
        self.no_agent = frozenset(mapping.no_agent_values)
        self.unknown_customer = frozenset(mapping.unknown_customer_values)
        self.answered_values = frozenset(mapping.outcomes.answered)
        self.abandoned_values = frozenset(mapping.outcomes.abandoned)
        self.ignored_values = frozenset(mapping.outcomes.ignore)
        self.known_outcomes = self.answered_values | self.abandoned_values | self.ignored_values
        self._dates: dict[str, date] = {}

    def parse(self, row: list[str], line: int) -> CallRecord | str:
        """The row's call record, or the reason it is ignored; raises _Reject for a bad row."""
        mapping = self.mapping
        if len(row) != self.width:
            raise _Reject("", f"expected {self.width} fields, found {len(row)}")
        outcome = self._outcome(row)
        if outcome in self.ignored_values:
            return f"outcome {outcome}"
        day = self._date(row) if mapping.date_column is not None else None
        reference = self._clock(row, mapping.start_column or mapping.arrival_column, day, None)
        arrival = self._time(row, mapping.arrival_column, day, reference)
        queue_entry = self._optional_time(row, mapping.queue_entry_column, day, reference)
        wait = self._seconds(row, mapping.wait_seconds_column)
        answered = self._is_answered(row, outcome, day, reference)
        if (
            mapping.queue_entry_column is not None
            and queue_entry is None
            and not answered
            and not (wait is not None and wait > 0)
        ):
            return LEFT_BEFORE_QUEUE
        arrived_at = queue_entry if queue_entry is not None else arrival
        handle = 0.0
        if answered:
            answer_at = self._optional_time(row, mapping.answer_column, day, reference)
            if mapping.answer_column is not None and answer_at is None:
                raise _Reject(mapping.answer_column, "the call was answered but has no answer time")
            # Without a wait or handle column, the mapping validator guarantees answer and end columns.
            if wait is None:
                wait = _elapsed(arrived_at, answer_at, mapping.answer_column)
            handle_seconds = self._seconds(row, mapping.handle_seconds_column)
            if handle_seconds is None:
                end_column = _mapped(mapping.end_column)
                handle_seconds = _elapsed(answer_at, self._time(row, end_column, day, reference), end_column)
            handle = handle_seconds
        elif wait is None:
            end_column = _mapped(mapping.end_column)
            wait = _elapsed(arrived_at, self._time(row, end_column, day, reference), end_column)
        status: CallOutcome = "answered" if answered else "abandoned"
        return CallRecord(
            contact_id=self._contact_id(row, line),
            line=line,
            queue_id=QueueId(self._text(row, mapping.queue_column) or mapping.default_queue),
            site_id=SiteId(mapping.site_id),
            arrived_at=arrived_at,
            outcome=status,
            wait_seconds=wait,
            handle_seconds=handle,
            agent_id=self._agent(row) if answered else None,
            customer_id=self._customer(row),
            priority=self._priority(row),
        )

    # -- fields ---------------------------------------------------------------------------------------

    def _text(self, row: list[str], column: str | None) -> str:
        return row[self.index[column]].strip() if column is not None else ""

    def _outcome(self, row: list[str]) -> str:
        column = self.mapping.outcome_column
        if column is None:
            return ""
        value = self._text(row, column)
        if value not in self.known_outcomes:
            known = [
                *self.mapping.outcomes.answered,
                *self.mapping.outcomes.abandoned,
                *self.mapping.outcomes.ignore,
            ]
            raise _Reject(column, f"unknown outcome {value!r} (expected one of {', '.join(known)})")
        return value

    def _is_answered(self, row: list[str], outcome: str, day: date | None, reference: float | None) -> bool:
        if self.mapping.outcome_column is not None:
            return outcome in self.answered_values
        return self._optional_time(row, self.mapping.answer_column, day, reference) is not None

    def _contact_id(self, row: list[str], line: int) -> ContactId:
        if not self.mapping.id_columns:
            return ContactId(f"line-{line}")
        parts = [self._text(row, column) for column in self.mapping.id_columns]
        for column, part in zip(self.mapping.id_columns, parts, strict=True):
            if not part:
                raise _Reject(column, "the call id is empty")
        return ContactId("-".join(parts))

    def _agent(self, row: list[str]) -> AgentId | None:
        value = self._text(row, self.mapping.agent_column)
        return AgentId(value) if value and value not in self.no_agent else None

    def _customer(self, row: list[str]) -> str | None:
        value = self._text(row, self.mapping.customer_column)
        return value if value and value not in self.unknown_customer else None

    def _priority(self, row: list[str]) -> int:
        column = self.mapping.priority_column
        value = self._text(row, column)
        if column is None or not value:
            return 0
        try:
            return int(value)
        except ValueError:
            raise _Reject(column, f"{value!r} is not a whole number") from None

    def _seconds(self, row: list[str], column: str | None) -> float | None:
        if column is None:
            return None
        value = self._text(row, column)
        try:
            seconds = float(value)
        except ValueError:
            raise _Reject(column, f"{value!r} is not a number of seconds") from None
        if not 0 <= seconds < float("inf"):
            raise _Reject(column, f"{value!r} is not a duration (must be 0 or more seconds)")
        return seconds

    # -- times ----------------------------------------------------------------------------------------

    def _date(self, row: list[str]) -> date:
        column = self.mapping.date_column
        value = self._text(row, column)
        found = self._dates.get(value)
        if found is None:
            try:
                found = datetime.strptime(value, self.mapping.date_format).date()  # noqa: DTZ007 - a date only
            except ValueError:
                raise _Reject(
                    column or "", f"{value!r} is not a date in the format {self.mapping.date_format}"
                ) from None
            self._dates[value] = found
        return found

    def _optional_time(
        self, row: list[str], column: str | None, day: date | None, reference: float | None
    ) -> float | None:
        if column is None or self._text(row, column) in self.empty_times:
            return None
        return self._time(row, column, day, reference)

    def _time(self, row: list[str], column: str, day: date | None, reference: float | None) -> float:
        clock = self._clock(row, column, day, reference)
        if day is None:
            return clock
        return (
            datetime(day.year, day.month, day.day, tzinfo=self.zone) + timedelta(seconds=clock)
        ).timestamp()

    def _clock(self, row: list[str], column: str, day: date | None, reference: float | None) -> float:
        """Seconds after the row's local midnight (with a date column), else a UTC timestamp."""
        value = self._text(row, column)
        if not value:
            raise _Reject(column, "the time is missing")
        fmt = self.mapping.time_format
        if day is None:
            return self._timestamp(value, column, fmt)
        seconds = _time_of_day(value, fmt)
        if seconds is None:
            raise _Reject(column, f"{value!r} is not a time in the format {fmt}")
        if reference is not None and seconds < reference - _HALF_DAY:
            seconds += 86_400
        return seconds

    def _timestamp(self, value: str, column: str, fmt: str) -> float:
        try:
            moment = datetime.fromisoformat(value) if fmt == "iso" else datetime.strptime(value, fmt)  # noqa: DTZ007 - zone added below
        except ValueError:
            raise _Reject(column, f"{value!r} is not a date and time in the format {fmt}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.timestamp()


def _mapped(column: str | None) -> str:
    if column is None:
        raise AssertionError("CallLogMapping's validator requires this column")
    return column


def _elapsed(start: float | None, end: float | None, column: str | None) -> float:
    if start is None or end is None or column is None:
        raise AssertionError("CallLogMapping's validator requires the answer column")
    if end < start:
        raise _Reject(column, f"this time is {start - end:g} s before the step it should follow")
    return end - start


def _time_of_day(value: str, fmt: str) -> float | None:
    if fmt == "%H:%M:%S":
        # The common case, parsed by hand: strptime would dominate the import time of a large log.
        parts = value.split(":")
        if len(parts) != 3 or not all(part.isdigit() for part in parts):
            return None
        hours, minutes, seconds = (int(part) for part in parts)
        if hours > 23 or minutes > 59 or seconds > 59:
            return None
        return float(hours * 3600 + minutes * 60 + seconds)
    try:
        moment = datetime.strptime(value, fmt)  # noqa: DTZ007 - a time of day; the zone is applied by the caller
    except ValueError:
        return None
    return float(moment.hour * 3600 + moment.minute * 60 + moment.second) + moment.microsecond / 1e6
