"""Real-time statistics are kept incrementally from published events, and equal what the historical
analytics compute from the stored log for the same period."""

import pytest

from baiying.analytics import KpiReport, compute_kpis
from baiying.application.stats import LiveStats
from baiying.ids import QueueId, SiteId
from tests.application.helpers import (
    AFTER_CRASH,
    BEFORE_CRASH,
    T0,
    TENANT,
    Run,
    arrive,
    c,
    load_national,
    play,
    step,
    until,
)

INTERVAL = 900
ZONE = "Asia/Shanghai"
DAY_START = T0 - 10 * 3600  # 00:00 in Beijing


@pytest.fixture
def url(db_url: str) -> str:
    load_national(db_url)
    return db_url


def historical(run: Run, start: float, sl_seconds: float = 20.0) -> KpiReport:
    events = [event for _, event in run.center.read_events(TENANT, start)]
    return compute_kpis(events, interval_seconds=INTERVAL, sl_seconds=sl_seconds, timezone=ZONE)


def test_todays_figures_equal_the_analytics_of_the_stored_log(url: str) -> None:
    run = Run.open(url)
    stats = LiveStats(run.center, interval_seconds=INTERVAL)
    list(play(run, BEFORE_CRASH))
    assert stats.today(TENANT) == historical(run, DAY_START)  # mid-way: contacts waiting, agents busy

    list(play(run, AFTER_CRASH))
    assert stats.current_interval(TENANT) == historical(run, T0)  # 10:00-10:15: all of it so far
    until(run, T0 + 1000)
    assert stats.current_interval(TENANT) == historical(run, T0 + INTERVAL)  # 10:15 on: nothing yet
    today = stats.today(TENANT)
    assert today == historical(run, DAY_START)
    assert today.total.offered == 11
    assert (today.total.answered, today.total.abandoned, today.total.waiting_at_end) == (9, 2, 0)
    for sl in (10.0, 60.0):  # the VIP and complaints objectives
        assert stats.today(TENANT, sl) == historical(run, DAY_START, sl)
    stats.close()
    run.center.close()


def test_the_snapshot_reads_the_router_now_and_the_accumulators_so_far(url: str) -> None:
    run = Run.open(url)
    stats = LiveStats(run.center, interval_seconds=INTERVAL)
    list(play(run, BEFORE_CRASH))
    snapshot = stats.snapshot(TENANT)
    waiting = run.center.waiting(TENANT)
    assert snapshot.total.waiting == len(waiting) == 2
    assert snapshot.total.ringing == 1  # c08 at bj-tech-early-001
    assert snapshot.total.longest_wait_seconds == run.clock.now() - waiting[0].arrived_at
    assert snapshot.total.agents == {"busy": 3, "reserved": 1, "wrap-up": 1}
    assert snapshot.sites[SiteId("guangzhou")].agents == {"wrap-up": 1}
    assert snapshot.sites[SiteId("guangzhou")].waiting == 1  # c04, the Cantonese caller
    report = historical(run, DAY_START)
    assert snapshot.total.today == report.total
    assert snapshot.queues[QueueId("billing")].today == report.queues[0].kpis
    assert snapshot.queues[QueueId("vip")].today.offered == 0

    # A queue row measures its service level against the queue's own objective: 60 s for complaints.
    list(play(run, [arrive(87, 40, queue=QueueId("complaints")), step(88, "abandon", c(40))]))
    complaints = stats.snapshot(TENANT).queues[QueueId("complaints")].today
    by_queue = {row.queue_id: row.kpis for row in historical(run, DAY_START, 60.0).queues}
    assert complaints == by_queue[QueueId("complaints")]
    assert (complaints.offered, complaints.abandoned) == (1, 1)
    assert snapshot.day.isoformat() == "2026-11-23"
    assert snapshot.interval_start == T0
    stats.close()
    run.center.close()


def test_a_new_stats_object_starts_from_the_stored_log_and_periods_roll_over(url: str) -> None:
    run = Run.open(url)
    list(play(run, BEFORE_CRASH))
    restarted = LiveStats(run.center, interval_seconds=INTERVAL)  # after the events: seeded from the log
    assert restarted.today(TENANT) == historical(run, DAY_START)

    list(play(run, [arrive(1000, 30)]))  # 10:16:40, the next interval
    assert restarted.today(TENANT) == historical(run, DAY_START)
    interval = restarted.current_interval(TENANT)
    assert interval == historical(run, T0 + INTERVAL)
    assert (interval.total.offered, interval.total.waiting_at_end) == (1, 1)

    until(run, T0 + 14 * 3600)  # midnight has passed: a new day
    assert restarted.today(TENANT).total.offered == 0
    assert restarted.snapshot(TENANT).day.isoformat() == "2026-11-24"
    restarted.close()
    run.center.close()
