"""KPIs from hand-built event logs, with every expected number worked out by hand."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from baiying.analytics import InvalidAnalyticsSettings, KpiAccumulator, KpiReport, Kpis, compute_kpis
from baiying.events import (
    AgentStateChanged,
    ContactAbandoned,
    ContactAnswered,
    ContactArrived,
    ContactCompleted,
    ContactOffered,
    ContactOverflowed,
    ContactQueued,
    ContactRoutedOut,
    ContactTransferred,
    Event,
    WrapUpEnded,
)
from baiying.ids import AgentId, ContactId, QueueId, SiteId

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 3, 4, 9, 0, tzinfo=SHANGHAI).timestamp()  # Monday 09:00 in Guangzhou and Shanghai


def at(minutes: float) -> float:
    return T0 + minutes * 60


def arrived(minute: float, contact: str, queue: str = "billing", site: str | None = None) -> ContactArrived:
    return ContactArrived(
        at(minute), ContactId(contact), QueueId(queue), "voice", SiteId(site) if site else None
    )


def answered(
    minute: float, contact: str, agent: str, wait: float, queue: str = "billing", site: str = "guangzhou"
) -> ContactAnswered:
    return ContactAnswered(at(minute), ContactId(contact), QueueId(queue), AgentId(agent), SiteId(site), wait)


def completed(
    minute: float, contact: str, agent: str, handle: float, queue: str = "billing", site: str = "guangzhou"
) -> ContactCompleted:
    return ContactCompleted(
        at(minute), ContactId(contact), QueueId(queue), AgentId(agent), SiteId(site), handle
    )


def wrapped(
    minute: float, contact: str, agent: str, wrap: float, queue: str = "billing", site: str = "guangzhou"
) -> WrapUpEnded:
    return WrapUpEnded(at(minute), ContactId(contact), QueueId(queue), AgentId(agent), SiteId(site), wrap)


def abandoned(minute: float, contact: str, wait: float, site: str | None = None) -> ContactAbandoned:
    return ContactAbandoned(
        at(minute), ContactId(contact), QueueId("billing"), SiteId(site) if site else None, wait
    )


def state(minute: float, agent: str, new: str, previous: str, site: str = "guangzhou") -> AgentStateChanged:
    return AgentStateChanged(at(minute), AgentId(agent), SiteId(site), new, previous)


def queued(minute: float, contact: str, *sites: str) -> ContactQueued:
    return ContactQueued(
        at(minute), ContactId(contact), QueueId("billing"), tuple(SiteId(s) for s in sites), "first"
    )


def one_interval_log() -> list[Event]:
    return [
        arrived(0, "c1"),
        answered(10 / 60, "c1", "li-na", 10),
        arrived(1, "c2"),
        arrived(2, "c3"),
        abandoned(2 + 3 / 60, "c3", 3),
        arrived(3, "c4"),
        answered(1.5, "c2", "wang-wei", 30),
        completed(10 / 60 + 100 / 60, "c1", "li-na", 100),
        wrapped(10 / 60 + 120 / 60, "c1", "li-na", 20),
        abandoned(4, "c4", 60),
        arrived(5, "c5"),
        completed(1.5 + 200 / 60, "c2", "wang-wei", 200),
        wrapped(1.5 + 240 / 60, "c2", "wang-wei", 40),
        ContactRoutedOut(at(6.5), ContactId("c5"), QueueId("billing"), "voicemail", 90),
        arrived(10, "c6"),
    ]


def test_service_level_asa_aht_and_abandons_in_one_interval() -> None:
    report = compute_kpis(one_interval_log(), interval_seconds=900, sl_seconds=20, short_abandon_seconds=5)

    assert len(report.intervals) == 1
    interval = report.intervals[0]
    assert interval.start == datetime(2024, 3, 4, 9, 0, tzinfo=SHANGHAI)
    assert interval.end == datetime(2024, 3, 4, 9, 15, tzinfo=SHANGHAI)
    kpis = interval.kpis
    assert (kpis.offered, kpis.answered, kpis.abandoned, kpis.routed_out, kpis.waiting_at_end) == (
        6,
        2,
        2,
        1,
        1,
    )
    assert kpis.short_abandoned == 1
    assert kpis.answered_within_sl == 1
    assert kpis.service_level == pytest.approx(1 / 6)
    assert kpis.service_level_excl_short == pytest.approx(1 / 5)
    assert kpis.abandon_rate == pytest.approx(2 / 6)
    assert kpis.asa_seconds == pytest.approx(20.0)
    assert kpis.aht_seconds == pytest.approx((100 + 20 + 200 + 40) / 2)
    assert kpis.mean_abandon_wait_seconds == pytest.approx(31.5)
    assert kpis.longest_wait_seconds == 60.0  # the 90 s routed-out contact is neither answered nor abandoned
    assert kpis.occupancy is None
    assert report.total == kpis
    assert [day.day for day in report.days] == [date(2024, 3, 4)]
    assert report.days[0].kpis == kpis


def test_a_wait_equal_to_the_threshold_is_within_it() -> None:
    events = [
        arrived(0, "c1"),
        answered(20 / 60, "c1", "li-na", 20.0),
        arrived(1, "c2"),
        abandoned(1.1, "c2", 5.0),
    ]

    kpis = compute_kpis(events, sl_seconds=20, short_abandon_seconds=5).total

    assert kpis.answered_within_sl == 1
    assert kpis.short_abandoned == 1
    assert kpis.service_level == 0.5
    assert kpis.service_level_excl_short == 1.0


def test_occupancy_is_split_at_interval_boundaries() -> None:
    events = [
        state(10, "li-na", "ready", "offline"),
        state(12, "li-na", "busy", "ready"),
        state(20, "li-na", "wrap-up", "busy"),
        state(22, "li-na", "ready", "wrap-up"),
        state(25, "li-na", "aux", "ready"),
        state(40, "li-na", "offline", "aux"),
    ]

    report = compute_kpis(events, interval_seconds=900)

    first, second = report.intervals[0].kpis, report.intervals[1].kpis
    # 09:00-09:15: ready 120 s + busy 180 s; 09:15-09:30: busy 300 + wrap-up 120 + ready 180.
    # Aux counts in neither sum.
    assert (first.staffed_seconds, first.working_seconds) == (300.0, 180.0)
    assert first.occupancy == pytest.approx(0.6)
    assert (second.staffed_seconds, second.working_seconds) == (600.0, 420.0)
    assert second.occupancy == pytest.approx(0.7)
    assert len(report.intervals) == 2
    assert report.total.occupancy == pytest.approx(600 / 900)
    (agent,) = report.agents
    assert (agent.agent_id, agent.site_id, agent.staffed_seconds, agent.working_seconds) == (
        "li-na",
        "guangzhou",
        900.0,
        600.0,
    )
    assert report.sites[0].site_id == "guangzhou"
    assert report.sites[0].kpis.occupancy == pytest.approx(600 / 900)


def test_a_state_still_open_lasts_until_the_latest_event() -> None:
    events = [state(0, "li-na", "busy", "ready"), arrived(30, "c1")]

    report = compute_kpis(events, interval_seconds=1800)

    assert [row.kpis.working_seconds for row in report.intervals] == [1800.0, 0.0]
    assert report.agents[0].occupancy == 1.0


def test_contacts_count_in_the_local_interval_and_day_of_arrival() -> None:
    late = datetime(2024, 3, 4, 23, 59, 50, tzinfo=SHANGHAI).timestamp()
    events = [
        ContactArrived(late, ContactId("c1"), QueueId("billing"), "voice", None),
        ContactAnswered(
            late + 20, ContactId("c1"), QueueId("billing"), AgentId("li-na"), SiteId("guangzhou"), 20
        ),
        ContactCompleted(
            late + 80, ContactId("c1"), QueueId("billing"), AgentId("li-na"), SiteId("guangzhou"), 60
        ),
    ]

    report = compute_kpis(events, interval_seconds=900, timezone="Asia/Shanghai")

    assert [row.start for row in report.intervals] == [datetime(2024, 3, 4, 23, 45, tzinfo=SHANGHAI)]
    assert [row.day for row in report.days] == [date(2024, 3, 4)]
    assert report.days[0].kpis.answered == 1
    assert report.days[0].kpis.aht_seconds == 60.0


def test_site_attribution_order() -> None:
    events = [
        arrived(0, "answered-elsewhere", site="beijing"),
        queued(0, "answered-elsewhere", "guangzhou", "shanghai"),
        answered(1, "answered-elsewhere", "chen-jie", 60, site="shanghai"),
        arrived(0, "gave-up-in-queue", site="beijing"),
        queued(0, "gave-up-in-queue", "guangzhou"),
        abandoned(2, "gave-up-in-queue", 120),
        arrived(0, "gave-up-at-intake", site="beijing"),
        abandoned(0.5, "gave-up-at-intake", 30),
        arrived(0, "national-number"),
        abandoned(0.5, "national-number", 30),
        arrived(1, "overflowed"),
        queued(1, "overflowed", "guangzhou"),
        ContactOverflowed(
            at(3), ContactId("overflowed"), QueueId("billing"), SiteId("guangzhou"), SiteId("shanghai")
        ),
    ]

    report = compute_kpis(events)

    sites = {row.site_id: row.kpis for row in report.sites}
    assert sorted(sites) == ["-", "beijing", "guangzhou", "shanghai"]
    assert (sites["shanghai"].offered, sites["shanghai"].answered, sites["shanghai"].waiting_at_end) == (
        2,
        1,
        1,
    )
    assert sites["shanghai"].overflows == 1
    assert (sites["guangzhou"].offered, sites["guangzhou"].abandoned) == (1, 1)
    assert (sites["beijing"].offered, sites["beijing"].abandoned) == (1, 1)
    assert (sites["-"].offered, sites["-"].abandoned) == (1, 1)
    assert [(f.from_site_id, f.to_site_id, f.count) for f in report.overflow_flows] == [
        ("guangzhou", "shanghai", 1)
    ]
    assert report.total.overflows == 1


def test_abandon_site_on_the_event_wins_over_the_queue_placement() -> None:
    events = [
        arrived(0, "c1", site="beijing"),
        queued(0, "c1", "guangzhou"),
        abandoned(1, "c1", 60, site="shanghai"),
    ]

    assert [row.site_id for row in compute_kpis(events).sites] == ["shanghai"]


def test_transfers_before_and_after_the_answer() -> None:
    events = [
        arrived(0, "rerouted", queue="sales"),
        ContactTransferred(at(0.5), ContactId("rerouted"), QueueId("sales"), QueueId("billing"), None),
        answered(1, "rerouted", "zhao-min", 60, queue="billing"),
        completed(2, "rerouted", "zhao-min", 50, queue="billing"),
        wrapped(2, "rerouted", "zhao-min", 10, queue="billing"),
        arrived(0, "two-legs", queue="sales"),
        answered(5 / 60, "two-legs", "li-na", 5, queue="sales"),
        completed(1, "two-legs", "li-na", 60, queue="sales"),
        ContactTransferred(
            at(1), ContactId("two-legs"), QueueId("sales"), QueueId("billing"), AgentId("li-na")
        ),
        wrapped(1, "two-legs", "li-na", 10, queue="sales"),
        answered(1.25, "two-legs", "wang-wei", 15, queue="billing"),
        completed(3.25, "two-legs", "wang-wei", 120, queue="billing"),
        wrapped(3.25, "two-legs", "wang-wei", 0, queue="billing"),
    ]

    report = compute_kpis(events)

    queues: dict[str, Kpis] = {row.queue_id: row.kpis for row in report.queues}
    assert (queues["sales"].offered, queues["sales"].answered, queues["sales"].handled) == (1, 1, 1)
    assert queues["sales"].asa_seconds == 5.0
    assert queues["sales"].aht_seconds == 70.0
    assert (queues["billing"].offered, queues["billing"].answered, queues["billing"].handled) == (1, 1, 2)
    assert queues["billing"].asa_seconds == 60.0
    assert queues["billing"].aht_seconds == pytest.approx((50 + 10 + 120) / 2)
    assert (report.total.offered, report.total.answered, report.total.handled) == (2, 2, 3)
    assert report.total.aht_seconds == pytest.approx((60 + 60 + 10 + 120) / 3)
    agents = {row.agent_id: (row.answered, row.handled, row.aht_seconds) for row in report.agents}
    assert agents == {"li-na": (1, 1, 70.0), "wang-wei": (1, 1, 120.0), "zhao-min": (1, 1, 60.0)}


def test_report_changes_nothing_and_a_waiting_contact_later_abandons() -> None:
    accumulator = KpiAccumulator(interval_seconds=900)
    accumulator.add(arrived(0, "c1"))

    early = accumulator.report()
    again = accumulator.report()
    accumulator.add(abandoned(2, "c1", 120))
    late = accumulator.report()

    assert early == again
    assert (early.total.offered, early.total.waiting_at_end, early.total.abandoned) == (1, 1, 0)
    assert (late.total.offered, late.total.waiting_at_end, late.total.abandoned) == (1, 0, 1)
    assert late.total.longest_wait_seconds == 120.0


def test_events_about_unknown_contacts_are_counted_as_ignored() -> None:
    events = [
        answered(0, "never-arrived", "li-na", 10),
        completed(3, "never-arrived", "li-na", 180),
        ContactOffered(at(0), ContactId("c9"), QueueId("billing"), AgentId("li-na"), SiteId("guangzhou")),
        arrived(1, "c1"),
        arrived(1, "c1"),
    ]

    report = compute_kpis(events)

    assert report.ignored_events == 3  # the answer, the completion and the duplicate arrival
    assert report.total.offered == 1
    assert report.total.handled == 1  # work done still counts, in the interval it was done
    assert report.agents[0].answered == 1


def test_empty_log() -> None:
    report = compute_kpis([])

    assert report.intervals == ()
    assert report.days == ()
    assert report.agents == ()
    assert report.total == Kpis(
        offered=0,
        answered=0,
        abandoned=0,
        short_abandoned=0,
        routed_out=0,
        waiting_at_end=0,
        answered_within_sl=0,
        handled=0,
        overflows=0,
        service_level=None,
        service_level_excl_short=None,
        abandon_rate=None,
        asa_seconds=None,
        aht_seconds=None,
        mean_abandon_wait_seconds=None,
        longest_wait_seconds=None,
        occupancy=None,
        staffed_seconds=0.0,
        working_seconds=0.0,
    )
    assert isinstance(report, KpiReport)
    assert (report.first_at, report.last_at) == (None, None)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"interval_seconds": 7}, "interval must divide a day and be at least 60 s"),
        ({"interval_seconds": 7000}, "got 7000 s"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"sl_seconds": -1}, "must be >= 0"),
    ],
)
def test_invalid_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAnalyticsSettings, match=message):
        KpiAccumulator(**settings)  # type: ignore[arg-type]


def a_month_of_days(days: int) -> list[Event]:
    """Each day: one contact answered, completed and wrapped up; one abandoned; one still waiting from
    the previous day is answered just after midnight."""
    events: list[Event] = []
    for day in range(days):
        base = day * 24 * 60
        events += [
            arrived(base, f"a{day}"),
            answered(base + 1, f"a{day}", "li-na", 60),
            completed(base + 6, f"a{day}", "li-na", 300),
            wrapped(base + 7, f"a{day}", "li-na", 60),
            arrived(base + 10, f"b{day}"),
            abandoned(base + 11, f"b{day}", 60),
            arrived(base + 23 * 60 + 59, f"n{day}"),
            answered(base + 24 * 60 + 1, f"n{day}", "wang-wei", 120),
            completed(base + 24 * 60 + 5, f"n{day}", "wang-wei", 240),
        ]
    return sorted(events, key=lambda event: event.at)


def test_forgetting_idle_settled_contacts_bounds_memory_and_changes_no_figure() -> None:
    events = a_month_of_days(30)
    accumulator = KpiAccumulator()
    remembered = []
    day_end = T0 + 86_400
    for event in events:
        while event.at >= day_end:  # a reader sweeping once a day, keeping two days
            accumulator.forget_settled(day_end - 2 * 86_400)
            remembered.append(accumulator.remembered_contacts)
            day_end += 86_400
        accumulator.add(event)

    assert accumulator.report() == compute_kpis(events)
    assert max(remembered) <= 3 * 3  # three contacts a day, at most three days remembered
    assert accumulator.report().total.offered == 90


def test_an_event_about_a_forgotten_contact_counts_as_ignored() -> None:
    accumulator = KpiAccumulator()
    accumulator.add_all([arrived(0, "c1"), answered(1, "c1", "li-na", 60), arrived(2, "c2")])

    assert accumulator.forget_settled(at(1)) == 0  # c1's last event is at minute 1: not before it
    assert accumulator.forget_settled(at(1.5)) == 1  # c1; c2 still waits, never forgotten
    assert accumulator.remembered_contacts == 1
    accumulator.add(completed(3 * 24 * 60, "c1", "li-na", 300))

    report = accumulator.report()
    assert report.ignored_events == 1
    assert report.total.handled == 1  # the work still counts, in the interval it was done
    assert [row.day for row in report.days] == [date(2024, 3, 4), date(2024, 3, 7)]
