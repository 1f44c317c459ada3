"""SLA policies and clocks: matching, pauses that truly pause, warnings and breaches at exact moments,
next responses, reopening, and line-precise errors in the SLA file."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baiying.errors import ConfigError
from baiying.tickets.bundled import default_config
from baiying.tickets.calendar import BusinessCalendar
from baiying.tickets.model import Priority, StateCategory, TicketType
from baiying.tickets.sla import (
    ClockStatus,
    Metric,
    SiteHours,
    SlaClocks,
    SlaEvent,
    SlaEventKind,
    load_sla,
)

SLA = default_config().sla
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600.0
OPEN, WAITING, RESOLVED = StateCategory.OPEN, StateCategory.WAITING, StateCategory.RESOLVED
GUANGZHOU = SiteHours("Asia/Shanghai", 420, 1320)


def at(*parts: int) -> float:
    return datetime(*parts, tzinfo=SHANGHAI).timestamp()  # type: ignore[misc]


def kinds(events: list[SlaEvent]) -> list[tuple[str, str]]:
    return [(e.kind.value, e.metric.value) for e in events]


def test_the_first_matching_policy_wins() -> None:
    def name(type: TicketType, level: int | None = None, tier: str | None = None) -> str | None:
        policy = SLA.policy_for(type, level, tier, Priority.NORMAL)
        return None if policy is None else policy.name

    assert name(TicketType.COMPLAINT, 3, "vip") == "complaint-level-3"
    assert name(TicketType.COMPLAINT, 1) == "complaint"
    assert name(TicketType.CONSULTATION, tier="vip") == "vip"
    assert name(TicketType.REPAIR) == "repair"
    assert name(TicketType.LEAD) == "lead"
    assert name(TicketType.CONSULTATION) == "standard"


def test_calendars_come_from_the_site_or_are_always_open() -> None:
    policy = SLA.by_name["standard"]
    assert SLA.calendar(policy, GUANGZHOU) == BusinessCalendar("Asia/Shanghai", 420, 1320)
    assert SLA.calendar(policy, None) == BusinessCalendar.always()
    assert SLA.calendar(SLA.by_name["complaint-level-3"], GUANGZHOU) == BusinessCalendar.always()
    office = SLA.calendar(SLA.by_name["lead"], GUANGZHOU)
    assert office.weekdays == frozenset(range(5))


def clocks(policy: str = "standard") -> SlaClocks:
    spec = SLA.by_name[policy]
    return SlaClocks(spec, SLA.calendar(spec, GUANGZHOU))


def test_activation_sets_due_times_in_business_hours() -> None:
    book = clocks()
    events = book.activate(at(2026, 11, 24, 20, 0))
    assert kinds(events) == [("sla-activated", "first_response"), ("sla-activated", "resolution")]
    # 8 h of first response from 20:00: 2 h tonight, 6 h from 07:00 tomorrow.
    assert events[0].data["due_at"] == at(2026, 11, 25, 13, 0)


def test_a_pause_truly_pauses() -> None:
    book = clocks()
    book.activate(at(2026, 11, 24, 9, 0))
    assert kinds(book.state_changed(OPEN, WAITING, at(2026, 11, 24, 10, 0))) == [
        ("sla-paused", "first_response"),
        ("sla-paused", "resolution"),
    ]
    # Three days waiting on the customer: nothing falls due, nothing counts.
    assert book.next_due() is None
    assert book.check(at(2026, 11, 27, 10, 0)) == []
    assert book.clocks[Metric.RESOLUTION].elapsed(at(2026, 11, 27, 10, 0), book.calendar) == HOUR
    resumed = book.state_changed(WAITING, OPEN, at(2026, 11, 27, 10, 0))
    assert kinds(resumed) == [("sla-resumed", "first_response"), ("sla-resumed", "resolution")]
    assert resumed[0].data["due_at"] == at(2026, 11, 27, 17, 0)  # 7 h left of 8


def test_warning_then_breach_at_their_exact_moments_once_each() -> None:
    book = clocks()
    book.activate(at(2026, 11, 24, 9, 0))
    assert book.next_due() == at(2026, 11, 24, 16, 0)  # warn 1 h before 17:00
    assert book.check(at(2026, 11, 24, 15, 59)) == []
    warned = book.check(at(2026, 11, 24, 16, 30))
    assert [(e.kind, e.at) for e in warned] == [(SlaEventKind.WARNED, at(2026, 11, 24, 16, 0))]
    breached = book.check(at(2026, 11, 24, 18, 0))
    assert [(e.kind, e.metric, e.at) for e in breached] == [
        (SlaEventKind.BREACHED, Metric.FIRST_RESPONSE, at(2026, 11, 24, 17, 0))
    ]
    assert book.check(at(2026, 11, 24, 19, 0)) == []
    late = book.responded(at(2026, 11, 24, 19, 0))
    assert kinds(late) == [("sla-fulfilled", "first_response")]
    assert late[0].data["met"] is False


def test_an_answer_in_time_is_met_and_a_late_answer_without_a_sweep_is_still_a_breach() -> None:
    book = clocks()
    book.activate(at(2026, 11, 24, 9, 0))
    assert book.responded(at(2026, 11, 24, 10, 0))[0].data["met"] is True

    late = clocks()
    late.activate(at(2026, 11, 24, 9, 0))
    events = late.responded(at(2026, 11, 25, 9, 0))  # never swept: the breach is found now
    assert kinds(events) == [
        ("sla-warned", "first_response"),
        ("sla-breached", "first_response"),
        ("sla-fulfilled", "first_response"),
    ]
    assert events[-1].data["met"] is False


def test_next_response_starts_when_the_customer_writes_after_an_answer() -> None:
    book = clocks()
    book.activate(at(2026, 11, 24, 9, 0))
    assert book.customer_wrote(at(2026, 11, 24, 9, 30), OPEN) == []  # first response still pending
    book.responded(at(2026, 11, 24, 10, 0))
    started = book.customer_wrote(at(2026, 11, 24, 11, 0), OPEN)
    assert kinds(started) == [("sla-activated", "next_response")]
    assert kinds(book.responded(at(2026, 11, 24, 12, 0))) == [("sla-fulfilled", "next_response")]


def test_resolution_is_fulfilled_on_resolve_and_resumes_on_reopen() -> None:
    book = clocks()
    book.activate(at(2026, 11, 24, 9, 0))
    events = book.state_changed(OPEN, RESOLVED, at(2026, 11, 24, 11, 0))
    assert kinds(events) == [("sla-stopped", "first_response"), ("sla-fulfilled", "resolution")]
    assert book.clocks[Metric.RESOLUTION].met is True
    reopened = book.state_changed(RESOLVED, OPEN, at(2026, 11, 25, 9, 0))
    assert kinds(reopened) == [("sla-resumed", "resolution")]
    assert book.clocks[Metric.RESOLUTION].status is ClockStatus.RUNNING
    assert book.clocks[Metric.RESOLUTION].elapsed(at(2026, 11, 25, 10, 0), book.calendar) == 3 * HOUR


def test_clocks_survive_a_round_trip_through_records() -> None:
    book = clocks()
    book.activate(at(2026, 11, 24, 9, 0))
    book.state_changed(OPEN, WAITING, at(2026, 11, 24, 10, 0))
    again = SlaClocks.restore(book.policy, book.calendar, book.records())
    assert again.clocks == book.clocks


@given(st.lists(st.tuples(st.floats(min_value=60, max_value=20 * HOUR), st.booleans()), max_size=12))
def test_paused_time_never_counts(steps: list[tuple[float, bool]]) -> None:
    """Alternate running and paused spans of random lengths: the clock's elapsed time is the business
    time of the running spans only."""
    book = clocks()
    now = at(2026, 11, 24, 9, 0)
    book.activate(now)
    running, expected = True, 0.0
    for length, toggle in steps:
        if running:
            expected += book.calendar.measure(now, now + length)
        now += length
        if toggle:
            book.state_changed(OPEN if running else WAITING, WAITING if running else OPEN, now)
            running = not running
    elapsed = book.clocks[Metric.RESOLUTION].elapsed(now, book.calendar)
    assert elapsed == pytest.approx(expected, abs=1e-3)


BAD_SLA = """\
calendars:
  site: {days: [mon, funday]}
policies:
  - name: a
    calendar: office
    first_response: 2 hours
  - name: a
    calendar: site
    resolution: 4h
"""


def test_sla_file_errors_name_field_and_line() -> None:
    with pytest.raises(ConfigError) as raised:
        load_sla(BAD_SLA, "sla.yaml")
    assert str(raised.value).splitlines() == [
        "sla.yaml:2: calendars.site.days: unknown day 'funday'; use mon, tue, wed, thu, fri, sat, sun",
        "sla.yaml:6: policies[0].first_response: '2 hours' is not a duration like 30m, 2h or 1h30m",
    ]
    fixed = BAD_SLA.replace(", funday", "").replace("2 hours", "2h")
    with pytest.raises(ConfigError) as raised:
        load_sla(fixed, "sla.yaml")
    assert str(raised.value).splitlines() == [
        "sla.yaml:5: policies[0].calendar: unknown calendar 'office' (calendars: site)",
        "sla.yaml:7: policies[1].name: policy 'a' is defined twice",
    ]
