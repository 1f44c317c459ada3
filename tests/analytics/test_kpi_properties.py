"""Properties over random consistent logs: incremental == batch, and every contact is accounted for."""

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baiying.analytics import KpiReport, Kpis, compute_kpis
from baiying.analytics.accumulator import KpiAccumulator
from baiying.events import (
    AgentStateChanged,
    ContactAbandoned,
    ContactAnswered,
    ContactArrived,
    ContactCompleted,
    ContactOverflowed,
    ContactQueued,
    ContactRoutedOut,
    ContactTransferred,
    Event,
    WrapUpEnded,
)
from baiying.ids import AgentId, ContactId, QueueId, SiteId

T0 = 1_709_514_000.0  # 2024-03-04 09:00 in Shanghai
QUEUES = ("billing", "sales")
SITES = ("guangzhou", "shanghai", "beijing")
AGENTS = ("li-na", "wang-wei", "chen-jie")
STATES = ("ready", "reserved", "busy", "wrap-up", "aux", "offline")


@dataclass(frozen=True)
class ContactPlan:
    arrival: float
    queue: str
    intake_site: str | None
    queue_site: str | None
    overflow_to: str | None
    transfer_to: str | None
    outcome: str  # answered / abandoned / routed / waiting
    wait: float
    handle: float
    wrap: float
    agent: str


contact_plans = st.builds(
    ContactPlan,
    arrival=st.floats(0, 4 * 3600),
    queue=st.sampled_from(QUEUES),
    intake_site=st.none() | st.sampled_from(SITES),
    queue_site=st.none() | st.sampled_from(SITES),
    overflow_to=st.none() | st.sampled_from(SITES),
    transfer_to=st.none() | st.sampled_from(QUEUES),
    outcome=st.sampled_from(("answered", "abandoned", "routed", "waiting")),
    wait=st.floats(0, 600),
    handle=st.floats(0, 900),
    wrap=st.floats(0, 120),
    agent=st.sampled_from(AGENTS),
)

agent_plans = st.lists(
    st.tuples(
        st.sampled_from(AGENTS),
        st.sampled_from(SITES),
        st.lists(st.tuples(st.floats(1, 2400), st.sampled_from(STATES))),
    ),
    max_size=3,
)


def build_log(
    contacts: list[ContactPlan], agents: list[tuple[str, str, list[tuple[float, str]]]]
) -> list[Event]:
    keyed: list[tuple[float, int, int, Event]] = []

    def emit(rank: int, owner: int, event: Event) -> None:
        keyed.append((event.at, rank, owner, event))

    for index, plan in enumerate(contacts):
        cid, queue = ContactId(f"c{index}"), QueueId(plan.queue)
        start = T0 + plan.arrival
        settle = start + plan.wait
        intake = SiteId(plan.intake_site) if plan.intake_site else None
        emit(0, index, ContactArrived(start, cid, queue, "voice", intake))
        if plan.queue_site:
            emit(1, index, ContactQueued(start, cid, queue, (SiteId(plan.queue_site),), "first"))
        if plan.overflow_to:
            emit(
                2,
                index,
                ContactOverflowed(start + plan.wait / 3, cid, queue, intake, SiteId(plan.overflow_to)),
            )
        if plan.transfer_to:
            emit(
                3,
                index,
                ContactTransferred(start + plan.wait / 2, cid, queue, QueueId(plan.transfer_to), None),
            )
            queue = QueueId(plan.transfer_to)
        agent, site = AgentId(plan.agent), SiteId(plan.overflow_to or plan.queue_site or "guangzhou")
        if plan.outcome == "answered":
            emit(4, index, ContactAnswered(settle, cid, queue, agent, site, plan.wait))
            emit(5, index, ContactCompleted(settle + plan.handle, cid, queue, agent, site, plan.handle))
            emit(6, index, WrapUpEnded(settle + plan.handle + plan.wrap, cid, queue, agent, site, plan.wrap))
        elif plan.outcome == "abandoned":
            emit(4, index, ContactAbandoned(settle, cid, queue, None, plan.wait))
        elif plan.outcome == "routed":
            emit(4, index, ContactRoutedOut(settle, cid, queue, "voicemail", plan.wait))
    for number, (agent_name, site_name, steps) in enumerate(agents):
        moment, previous = T0, "offline"
        for gap, new_state in steps:
            moment += gap
            emit(
                0,
                10_000 + number,
                AgentStateChanged(moment, AgentId(agent_name), SiteId(site_name), new_state, previous),
            )
            previous = new_state
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]


def all_rows(report: KpiReport) -> list[Kpis]:
    return [
        report.total,
        *(row.kpis for row in report.intervals),
        *(row.kpis for row in report.days),
        *(row.kpis for row in report.queues),
        *(row.kpis for row in report.sites),
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(contact_plans, max_size=12), agent_plans, st.sampled_from((900, 1800, 3600)))
def test_one_event_at_a_time_equals_the_whole_log(
    contacts: list[ContactPlan], agents: list[tuple[str, str, list[tuple[float, str]]]], interval: int
) -> None:
    events = build_log(contacts, agents)
    accumulator = KpiAccumulator(interval_seconds=interval)

    for count, event in enumerate(events, start=1):
        accumulator.add(event)
        assert accumulator.report() == compute_kpis(events[:count], interval_seconds=interval)

    assert accumulator.report() == compute_kpis(events, interval_seconds=interval)


@settings(max_examples=100, deadline=None)
@given(st.lists(contact_plans, max_size=20), agent_plans)
def test_every_contact_is_offered_once_and_ends_in_exactly_one_outcome(
    contacts: list[ContactPlan], agents: list[tuple[str, str, list[tuple[float, str]]]]
) -> None:
    report = compute_kpis(build_log(contacts, agents))

    for kpis in all_rows(report):
        assert kpis.offered == kpis.answered + kpis.abandoned + kpis.routed_out + kpis.waiting_at_end
        assert kpis.working_seconds <= kpis.staffed_seconds + 1e-6
        if kpis.occupancy is not None:
            assert 0.0 <= kpis.occupancy <= 1.0 + 1e-9
    assert report.total.offered == len(contacts)
    assert report.total.answered == sum(plan.outcome == "answered" for plan in contacts)
    assert report.total.waiting_at_end == sum(plan.outcome == "waiting" for plan in contacts)
    assert report.total.overflows == sum(plan.overflow_to is not None for plan in contacts)
    for rows in (report.intervals, report.days, report.queues, report.sites):
        assert sum(row.kpis.offered for row in rows) == len(contacts)
    assert report.ignored_events == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(contact_plans, max_size=20), agent_plans)
def test_a_report_of_some_sites_is_the_whole_reports_rows_of_those_sites(
    contacts: list[ContactPlan], agents: list[tuple[str, str, list[tuple[float, str]]]]
) -> None:
    accumulator = KpiAccumulator()
    accumulator.add_all(build_log(contacts, agents))
    whole = accumulator.report()
    by_site = {row.site_id: row.kpis for row in whole.sites}

    parts = [accumulator.report(sites={site}) for site in (*SITES, "-")]

    for site, part in zip((*SITES, "-"), parts, strict=True):
        assert [row.site_id for row in part.sites] == ([site] if site in by_site else [])
        if site in by_site:
            assert part.total == by_site[site]  # the one site's row is the scoped report's total
        assert [row.agent_id for row in part.agents] == [
            row.agent_id for row in whole.agents if row.site_id == site
        ]
    for measure in ("offered", "answered", "abandoned", "handled", "overflows"):
        assert sum(getattr(part.total, measure) for part in parts) == getattr(whole.total, measure)
    assert sum(p.total.staffed_seconds for p in parts) == pytest.approx(whole.total.staffed_seconds)
    assert accumulator.report(sites=set(SITES) | {"-"}) == whole
    assert accumulator.report() == whole  # reporting changes nothing
