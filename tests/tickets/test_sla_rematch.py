"""Re-matching a ticket's SLA when its type, level, tier or priority changes: the clocks keep the business
time they counted, take the new policy's targets and calendar, and warn or breach at once when the new
targets say so."""

from baiying.tickets.model import StateCategory
from baiying.tickets.sla import ClockStatus, Metric, SlaClocks, SlaEventKind, load_sla
from tests.tickets.test_sla import GUANGZHOU, HOUR, OPEN, SLA, WAITING, at, clocks, kinds


def rematch(
    book: SlaClocks, policy: str, now: float, category: StateCategory = OPEN, responded: bool = False
):  # type: ignore[no-untyped-def]
    spec = SLA.by_name[policy]
    return book.rematch(spec, SLA.calendar(spec, GUANGZHOU), now, category, responded)


def test_clocks_keep_their_business_time_and_take_the_new_targets() -> None:
    book = clocks("standard")
    book.activate(at(2026, 11, 24, 9, 0))
    events = rematch(book, "complaint-level-3", at(2026, 11, 24, 10, 0))
    assert kinds(events) == [("sla-rematched", "first_response"), ("sla-rematched", "resolution")]
    first = events[0].data
    assert first["from_policy"] == "standard"
    assert (first["elapsed_seconds"], first["target_before"], first["target_after"]) == (
        HOUR,
        8 * HOUR,
        2 * HOUR,
    )
    assert first["due_at"] == at(2026, 11, 24, 11, 0)  # 1 h left of 2, on the always-open calendar
    assert book.policy.name == "complaint-level-3"
    assert book.next_due() == at(2026, 11, 24, 10, 30)  # the new policy warns 30 min ahead
    warned = book.check(at(2026, 11, 24, 10, 45))
    assert [(e.kind, e.metric, e.at) for e in warned] == [
        (SlaEventKind.WARNED, Metric.FIRST_RESPONSE, at(2026, 11, 24, 10, 30))
    ]


def test_time_counted_on_the_old_calendar_is_kept_and_a_tighter_target_breaches_at_once() -> None:
    book = clocks("standard")  # Guangzhou hours, 07:00-22:00
    book.activate(at(2026, 11, 24, 20, 0))
    now = at(2026, 11, 25, 8, 0)  # 2 h last night + 1 h this morning
    events = rematch(book, "complaint-level-3", now)
    assert kinds(events) == [
        ("sla-rematched", "first_response"),
        ("sla-rematched", "resolution"),
        ("sla-breached", "first_response"),
    ]
    assert events[0].data["elapsed_seconds"] == 3 * HOUR
    assert events[-1].at == now
    assert book.check(at(2026, 11, 25, 9, 0)) == []  # once


def test_a_looser_policy_gives_the_warning_again_and_a_breach_stays_recorded() -> None:
    book = clocks("complaint-level-3")
    book.activate(at(2026, 11, 24, 9, 0))
    book.check(at(2026, 11, 24, 10, 40))  # first response warned at 10:30
    assert book.clocks[Metric.FIRST_RESPONSE].warned
    rematch(book, "complaint", at(2026, 11, 24, 10, 40))  # 4 h, warn 1 h ahead: outside the window again
    first = book.clocks[Metric.FIRST_RESPONSE]
    assert (first.warned, first.target_seconds, first.breached_at) == (False, 4 * HOUR, None)
    assert book.next_due() == at(2026, 11, 24, 12, 0)

    late = clocks("complaint-level-3")
    late.activate(at(2026, 11, 24, 9, 0))
    late.check(at(2026, 11, 24, 11, 30))  # breached at 11:00
    events = rematch(late, "complaint", at(2026, 11, 24, 11, 30))
    assert kinds(events) == [("sla-rematched", "first_response"), ("sla-rematched", "resolution")]
    assert late.clocks[Metric.FIRST_RESPONSE].breached_at == at(2026, 11, 24, 11, 0)
    assert late.responded(at(2026, 11, 24, 11, 45))[0].data["met"] is False


def test_paused_clocks_stay_paused_and_ended_ones_are_left_alone() -> None:
    book = clocks("standard")
    book.activate(at(2026, 11, 24, 9, 0))
    book.responded(at(2026, 11, 24, 9, 30))
    book.state_changed(OPEN, WAITING, at(2026, 11, 24, 10, 0))
    events = rematch(book, "vip", at(2026, 11, 24, 15, 0), WAITING, responded=True)
    assert kinds(events) == [("sla-rematched", "resolution")]
    resolution = book.clocks[Metric.RESOLUTION]
    assert (resolution.status, resolution.elapsed_seconds, resolution.target_seconds) == (
        ClockStatus.PAUSED,
        HOUR,
        16 * HOUR,
    )
    first = book.clocks[Metric.FIRST_RESPONSE]
    assert (first.status, first.target_seconds) == (ClockStatus.FULFILLED, 8 * HOUR)
    assert book.next_due() is None


def test_a_metric_the_new_policy_adds_starts_with_the_time_already_counted() -> None:
    sla = load_sla(
        "calendars: {always: {always: true}}\n"
        "policies:\n"
        "  - {name: slow, calendar: always, resolution: 10h}\n"
        "  - {name: fast, calendar: always, first_response: 2h, resolution: 8h, warn_before: 30m}\n",
        "sla.yaml",
    )
    slow, fast = sla.by_name["slow"], sla.by_name["fast"]
    book = SlaClocks(slow, sla.calendar(slow, None))
    book.activate(at(2026, 11, 24, 9, 0))
    assert list(book.clocks) == [Metric.RESOLUTION]
    events = book.rematch(fast, sla.calendar(fast, None), at(2026, 11, 24, 10, 0), OPEN, False)
    assert kinds(events) == [("sla-rematched", "resolution"), ("sla-activated", "first_response")]
    assert events[1].data == {
        "from_policy": "slow",
        "elapsed_seconds": HOUR,
        "due_at": at(2026, 11, 24, 11, 0),
    }

    answered = SlaClocks(slow, sla.calendar(slow, None))
    answered.activate(at(2026, 11, 24, 9, 0))
    events = answered.rematch(fast, sla.calendar(fast, None), at(2026, 11, 24, 10, 0), OPEN, True)
    assert kinds(events) == [("sla-rematched", "resolution")]  # nobody waits for a first answer


def test_a_ticket_without_sla_gets_clocks_from_the_change_and_withdrawal_stops_them() -> None:
    spec = SLA.by_name["repair"]
    book = SlaClocks(spec, SLA.calendar(spec, GUANGZHOU))
    events = book.rematch(spec, book.calendar, at(2026, 11, 24, 9, 0), OPEN, False)
    assert kinds(events) == [("sla-activated", "first_response"), ("sla-activated", "resolution")]
    assert events[0].data["from_policy"] is None
    stopped = book.withdraw(at(2026, 11, 24, 10, 0))
    assert kinds(stopped) == [("sla-stopped", "first_response"), ("sla-stopped", "resolution")]
    assert book.next_due() is None
