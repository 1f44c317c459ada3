"""The call-log importer on small hand-made files, with every record, rejection and KPI spelled out."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from baiying.analytics import compute_kpis
from baiying.analytics.records import CallRecord
from baiying.errors import ConfigError
from baiying.events import ContactAbandoned, ContactAnswered, ContactArrived, ContactCompleted, WrapUpEnded
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.importers import (
    ANONYMOUS_BANK,
    LEFT_BEFORE_QUEUE,
    CallLogError,
    RejectedRow,
    load_mapping,
    parse_call_log,
    read_call_log,
)

SMALL_BANK = Path(__file__).parent / "data" / "small-bank.tsv"
JERUSALEM = ZoneInfo("Asia/Jerusalem")
BANK = SiteId("anonymous-bank")


def jerusalem(day: int, hour: int, minute: int, second: int) -> float:
    return datetime(1999, 2, day, hour, minute, second, tzinfo=JERUSALEM).timestamp()


def bank_call(
    contact: str,
    line: int,
    queue: str,
    arrived: float,
    outcome: str,
    wait: float,
    handle: float,
    agent: str | None,
) -> CallRecord:
    return CallRecord(
        contact_id=ContactId(contact),
        line=line,
        queue_id=QueueId(queue),
        site_id=BANK,
        arrived_at=arrived,
        outcome="answered" if outcome == "answered" else "abandoned",
        wait_seconds=wait,
        handle_seconds=handle,
        agent_id=AgentId(agent) if agent else None,
        customer_id="23317894" if contact == "AA0101-1" else None,
        priority={"AA0101-1": 2, "AA0102-3": 1}.get(contact, 0),
    )


def test_small_bank_log_records_rejections_and_ignored_rows() -> None:
    imported = read_call_log(SMALL_BANK, ANONYMOUS_BANK)

    assert imported.rows_read == 13
    assert imported.records == (
        bank_call("AA0101-1", 2, "PS", jerusalem(1, 9, 0, 10), "answered", 30, 180, "DORIT"),
        bank_call("AA0101-2", 3, "NW", jerusalem(1, 9, 5, 5), "answered", 0, 60, "TOVA"),
        bank_call("AA0101-3", 4, "PS", jerusalem(1, 9, 10, 6), "abandoned", 100, 0, None),
        bank_call("AA0102-1", 8, "PS", jerusalem(1, 9, 30, 8), "answered", 0, 5, None),
        bank_call("AA0102-3", 10, "PE", jerusalem(1, 23, 59, 58), "answered", 20, 120, "YIFAT"),
    )
    assert imported.rejected == (
        RejectedRow(7, "q_time", "'abc' is not a number of seconds"),
        RejectedRow(9, "ser_start", "the call was answered but has no answer time"),
        RejectedRow(11, "", "expected 17 fields, found 7"),
        RejectedRow(12, "outcome", "unknown outcome 'TRANSFER' (expected one of AGENT, HANG, PHANTOM)"),
        RejectedRow(13, "vru+line+call_id", "duplicate call id AA0101-1 (first on line 2)"),
        RejectedRow(14, "date", "'990231' is not a date in the format %y%m%d"),
    )
    assert imported.ignored == {"outcome PHANTOM": 1, LEFT_BEFORE_QUEUE: 1}
    assert imported.rows_read == len(imported.records) + len(imported.rejected) + sum(
        imported.ignored.values()
    )


def test_a_call_crossing_midnight_ends_on_the_next_day() -> None:
    record = read_call_log(SMALL_BANK, ANONYMOUS_BANK).records[-1]

    assert record.answered_at == jerusalem(2, 0, 0, 18)
    assert record.ended_at == jerusalem(2, 0, 2, 18)


def test_the_event_log_is_sorted_and_tells_the_same_story() -> None:
    imported = read_call_log(SMALL_BANK, ANONYMOUS_BANK)
    first = ContactId("AA0101-1")
    start = jerusalem(1, 9, 0, 10)

    assert [event.at for event in imported.events] == sorted(event.at for event in imported.events)
    assert len(imported.events) == 4 * 4 + 2
    assert [event for event in imported.events if getattr(event, "contact_id", None) == first] == [
        ContactArrived(start, first, QueueId("PS"), "voice", BANK, priority=2, customer_id="23317894"),
        ContactAnswered(start + 30, first, QueueId("PS"), AgentId("DORIT"), BANK, 30.0),
        ContactCompleted(start + 210, first, QueueId("PS"), AgentId("DORIT"), BANK, 180.0),
        WrapUpEnded(start + 210, first, QueueId("PS"), AgentId("DORIT"), BANK, 0.0),
    ]
    abandoned = [event for event in imported.events if isinstance(event, ContactAbandoned)]
    assert abandoned == [
        ContactAbandoned(jerusalem(1, 9, 11, 46), ContactId("AA0101-3"), QueueId("PS"), BANK, 100.0)
    ]
    unnamed = [e for e in imported.events if isinstance(e, ContactAnswered) and e.contact_id == "AA0102-1"]
    assert unnamed[0].agent_id == "unknown"


def test_kpis_of_the_small_log_per_day() -> None:
    imported = read_call_log(SMALL_BANK, ANONYMOUS_BANK)

    report = compute_kpis(imported.events, interval_seconds=3600, sl_seconds=20, timezone="Asia/Jerusalem")

    assert [row.day for row in report.days] == [
        date(1999, 2, 1)
    ]  # the midnight call counts on its arrival day
    kpis = report.days[0].kpis
    assert (kpis.offered, kpis.answered, kpis.abandoned, kpis.answered_within_sl) == (5, 4, 1, 3)
    assert kpis.service_level == 0.6
    assert kpis.asa_seconds == 12.5
    assert kpis.aht_seconds == (180 + 60 + 5 + 120) / 4
    assert kpis.longest_wait_seconds == 100.0
    assert [row.start.hour for row in report.intervals] == [9, 23]


GENERIC_CSV = """\
id,queue,arrived,answered,ended,agent
1,billing,2024-03-04 09:00:00,2024-03-04 09:00:25,2024-03-04 09:05:25,li-na
2,billing,2024-03-04 09:01:00,,2024-03-04 09:02:30,
3,sales,2024-03-04 09:02:00,2024-03-04 09:01:00,2024-03-04 09:03:00,wang-wei
4,sales,yesterday,,,
5,,2024-03-04 09:04:00,2024-03-04 09:04:10,2024-03-04 09:04:05,chen-jie
"""

GENERIC_MAPPING = """\
delimiter: ","
timezone: Asia/Shanghai
id_columns: [id]
arrival_column: arrived
answer_column: answered
end_column: ended
agent_column: agent
queue_column: queue
"""


def test_generic_csv_with_timestamps_and_no_outcome_column() -> None:
    mapping = load_mapping(GENERIC_MAPPING, "mapping.yaml")
    shanghai = ZoneInfo("Asia/Shanghai")

    imported = parse_call_log(GENERIC_CSV.splitlines(keepends=True), mapping, "calls.csv")

    nine = datetime(2024, 3, 4, 9, 0, tzinfo=shanghai).timestamp()
    assert [
        (r.contact_id, r.queue_id, r.arrived_at - nine, r.outcome, r.wait_seconds, r.handle_seconds)
        for r in imported.records
    ] == [
        ("1", "billing", 0.0, "answered", 25.0, 300.0),
        ("2", "billing", 60.0, "abandoned", 90.0, 0.0),
    ]
    assert [r.agent_id for r in imported.records] == ["li-na", None]
    assert imported.rejected == (
        RejectedRow(4, "answered", "this time is 60 s before the step it should follow"),
        RejectedRow(5, "arrived", "'yesterday' is not a date and time in the format %Y-%m-%d %H:%M:%S"),
        RejectedRow(6, "ended", "this time is 5 s before the step it should follow"),
    )


def test_a_mapped_column_missing_from_the_header_stops_the_import() -> None:
    mapping = load_mapping(GENERIC_MAPPING.replace("agent_column: agent", "agent_column: server"), "m.yaml")

    with pytest.raises(CallLogError, match=r"column 'server' \(from agent_column\) is not in the header"):
        parse_call_log(GENERIC_CSV.splitlines(keepends=True), mapping, "calls.csv")
    with pytest.raises(CallLogError, match=r"calls\.csv is empty"):
        parse_call_log([], mapping, "calls.csv")


def test_mapping_errors_name_the_field_and_line() -> None:
    text = "timezone: Mars/Olympus\ndelimiter: ';;'\noutcome_colum: result\n"

    with pytest.raises(ConfigError) as caught:
        load_mapping(text, "mapping.yaml")

    described = [problem.describe("mapping.yaml") for problem in caught.value.problems]
    assert described == [
        "mapping.yaml:2: delimiter: delimiter must be one character (or \"tab\"), got ';;'",
        "mapping.yaml:1: timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as Asia/Shanghai)",
        "mapping.yaml:1: arrival_column: required field is missing",
        "mapping.yaml:3: outcome_colum: unknown field (check the spelling)",
    ]


def test_mapping_needs_a_way_to_measure_waits() -> None:
    with pytest.raises(ConfigError, match="give wait_seconds_column, or answer_column and end_column"):
        load_mapping(
            "arrival_column: arrived\noutcome_column: result\noutcomes: {answered: [OK]}\n", "m.yaml"
        )
