"""Real-time statistics per queue, site and tenant, for wallboards and supervisors.

Two kinds of figures:

- what is happening now, read from the live router: contacts waiting and ringing, the longest current
  wait, agents by state;
- service so far today and in the current interval (SL, ASA, abandoned, AHT, ...), kept incrementally by
  feeding every published event into `baiying.analytics.KpiAccumulator`, one per period: the accumulator
  is the historical analytics' own code, so the figures equal `compute_kpis` over the stored log for the
  same period (from the period's start), by construction and by test. As there, a contact counts in the
  period it arrived in; one that arrived before the period began is not counted in it.

Queue rows measure their service level against the queue's own objective (`service_level.seconds`); site
and tenant rows against `sl_seconds`. One accumulator is kept per distinct threshold.

Periods are aligned in the tenant's time zone (its HQ site's, else its first site's, unless given), and
roll over when an event or a reading falls past their end. A tenant's figures are seeded from the stored
log on first use, so a restarted server shows the whole day; batches already seen (by event sequence) are
skipped.
"""

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from baiying.analytics import KpiAccumulator, KpiReport, Kpis
from baiying.analytics.kpis import Tally
from baiying.analytics.timegrid import TimeGrid
from baiying.application.bus import EventBatch
from baiying.application.center import LiveCenter
from baiying.events import Event
from baiying.ids import QueueId
from baiying.routing.router import Router
from baiying.routing.state import ContactPhase

NO_SITE = "-"
EMPTY = Tally().freeze()


@dataclass(frozen=True, slots=True)
class LiveFigures:
    waiting: int  # waiting for an agent
    ringing: int  # offered to an agent, not yet answered
    longest_wait_seconds: float | None  # of the contacts waiting or ringing now
    agents: Mapping[str, int]  # logged-in agents by state (site and tenant rows; empty for a queue)
    today: Kpis
    interval: Kpis


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    tenant_id: str
    at: float
    day: date  # in the tenant's time zone
    interval_start: float
    total: LiveFigures
    queues: Mapping[QueueId, LiveFigures]
    sites: Mapping[str, LiveFigures]  # the site a contact waits at ("-" if none yet)


@dataclass(slots=True)
class _Now:
    """The router's present, counted per queue, site and for the tenant."""

    waiting: dict[str, int]
    ringing: dict[str, int]
    oldest: dict[str, float]  # earliest arrival among contacts waiting or ringing
    agents: dict[str, dict[str, int]]
    queue_sl: dict[QueueId, float]
    timezone: str


TOTAL = "\x00total"  # the tenant row's key in `_Now` (cannot clash with an id)


def _read_router(router: Router) -> _Now:
    now = _Now({}, {}, {}, {}, {}, "")
    for record in router.contacts.values():
        phase = record.phase
        if phase is ContactPhase.CONNECTED:
            continue
        counts = now.waiting if phase is ContactPhase.WAITING else now.ringing
        site = record.placement[0] if record.placement else (record.contact.site_id or NO_SITE)
        arrived = record.contact.arrived_at
        for key in (TOTAL, f"q:{record.queue.id}", f"s:{site}"):
            counts[key] = counts.get(key, 0) + 1
            if arrived < now.oldest.get(key, math.inf):
                now.oldest[key] = arrived
    for agent in router.agents.values():
        state = str(agent.reported_state)
        for key in (TOTAL, f"s:{agent.site_id}"):
            by_state = now.agents.setdefault(key, {})
            by_state[state] = by_state.get(state, 0) + 1
    now.queue_sl = {q.id: q.service_level.seconds for q in router.config.queues.values()}
    sites = router.config.sites.values()
    home = next((s for s in sites if s.hq), next(iter(sites), None))
    now.timezone = home.timezone if home is not None else "Asia/Shanghai"
    return now


class _Period:
    """Accumulators (one per SL threshold) of the events since `start`."""

    def __init__(self, start: float, thresholds: list[float], stats: "LiveStats", timezone: str) -> None:
        self.start = start
        self.by_sl = {
            sl: KpiAccumulator(stats.interval_seconds, sl, stats.short_abandon_seconds, timezone)
            for sl in thresholds
        }

    def add(self, event: Event) -> None:
        for accumulator in self.by_sl.values():
            accumulator.add(event)


class _TenantStats:
    def __init__(self, stats: "LiveStats", tenant_id: str, now: _Now, at: float) -> None:
        self.stats = stats
        self.timezone = stats.timezone or now.timezone
        self.grid = TimeGrid(stats.interval_seconds, self.timezone)
        self.queue_sl = now.queue_sl
        self.thresholds = sorted({stats.sl_seconds, *now.queue_sl.values()})
        self.last_sequence = 0
        self.day, self.today, self.interval = self._periods(at)
        for sequence, event in stats.center.read_events(tenant_id, self.today.start):
            self.add(sequence, event)

    def _periods(self, at: float) -> tuple[date, _Period, _Period]:
        day_start = at - self.grid.seconds_of_day(at)
        return (
            self.grid.day(at),
            _Period(day_start, self.thresholds, self.stats, self.timezone),
            _Period(self.grid.interval_start(at), self.thresholds, self.stats, self.timezone),
        )

    def roll(self, at: float) -> None:
        """Start new periods if `at` is past the current interval (a day ends on an interval boundary)."""
        if at < self.interval.start + self.grid.interval_seconds:
            return
        day, today, interval = self._periods(at)
        if day != self.day:
            self.day, self.today = day, today
        self.interval = interval

    def add(self, sequence: int, event: Event) -> None:
        if sequence <= self.last_sequence:
            return  # seeded from the log already
        self.last_sequence = sequence
        at = event.at
        self.roll(at)
        if at >= self.today.start:
            self.today.add(event)
        if at >= self.interval.start:
            self.interval.add(event)


class LiveStats:
    """Subscribes to the center's bus on creation; `close()` unsubscribes. Thread-safe."""

    def __init__(
        self,
        center: LiveCenter,
        *,
        interval_seconds: int = 900,
        sl_seconds: float = 20.0,
        short_abandon_seconds: float = 5.0,
        timezone: str | None = None,
    ) -> None:
        self.center = center
        self.interval_seconds = interval_seconds
        self.sl_seconds = sl_seconds
        self.short_abandon_seconds = short_abandon_seconds
        self.timezone = timezone
        TimeGrid(interval_seconds, timezone or "UTC")  # InvalidAnalyticsSettings now, not at first use
        self._tenants: dict[str, _TenantStats] = {}
        self._lock = threading.Lock()
        self._unsubscribe = center.bus.subscribe(self._on_batch)

    def close(self) -> None:
        self._unsubscribe()

    def snapshot(self, tenant_id: str) -> StatsSnapshot:
        """The tenant's figures now."""
        # The router first and alone: the bus calls `_on_batch` holding the tenant's lock, then ours.
        now = self.center.inspect(tenant_id, _read_router)
        at = self.center.clock.now()
        with self._lock:
            tenant = self._tenant(tenant_id, now)
            tenant.roll(at)
            today = {sl: a.report() for sl, a in tenant.today.by_sl.items()}
            interval = {sl: a.report() for sl, a in tenant.interval.by_sl.items()}
            day, interval_start = tenant.day, tenant.interval.start
        default = self.sl_seconds

        def figures(key: str, kind: str, name: str, sl: float) -> LiveFigures:
            oldest = now.oldest.get(key)
            return LiveFigures(
                waiting=now.waiting.get(key, 0),
                ringing=now.ringing.get(key, 0),
                longest_wait_seconds=max(0.0, at - oldest) if oldest is not None else None,
                agents=dict(now.agents.get(key, {})),
                today=_row(today[sl], kind, name),
                interval=_row(interval[sl], kind, name),
            )

        site_names = {s.site_id for s in today[default].sites} | {
            key[2:] for key in (*now.waiting, *now.ringing, *now.agents) if key.startswith("s:")
        }
        return StatsSnapshot(
            tenant_id=tenant_id,
            at=at,
            day=day,
            interval_start=interval_start,
            total=figures(TOTAL, "total", "", default),
            queues={
                q: figures(f"q:{q}", "queue", q, now.queue_sl.get(q, default)) for q in sorted(now.queue_sl)
            },
            sites={s: figures(f"s:{s}", "site", s, default) for s in sorted(site_names)},
        )

    def today(self, tenant_id: str, sl_seconds: float | None = None) -> KpiReport:
        """Today's report so far, as `compute_kpis` would give over the stored log since local midnight."""
        return self._report(tenant_id, sl_seconds, interval=False)

    def current_interval(self, tenant_id: str, sl_seconds: float | None = None) -> KpiReport:
        return self._report(tenant_id, sl_seconds, interval=True)

    def _report(self, tenant_id: str, sl_seconds: float | None, *, interval: bool) -> KpiReport:
        now = self.center.inspect(tenant_id, _read_router)
        at = self.center.clock.now()
        with self._lock:
            tenant = self._tenant(tenant_id, now)
            tenant.roll(at)
            period = tenant.interval if interval else tenant.today
            sl = self.sl_seconds if sl_seconds is None else sl_seconds
            if sl not in period.by_sl:
                raise ValueError(f"no accumulator for a {sl} s service level (have {sorted(period.by_sl)})")
            return period.by_sl[sl].report()

    def _tenant(self, tenant_id: str, now: _Now | None = None) -> _TenantStats:
        found = self._tenants.get(tenant_id)
        if found is None:
            if now is None:
                now = self.center.inspect(tenant_id, _read_router)
            found = self._tenants[tenant_id] = _TenantStats(self, tenant_id, now, self.center.clock.now())
        return found

    def _on_batch(self, batch: EventBatch) -> None:
        with self._lock:
            tenant = self._tenant(batch.tenant_id)  # seeds from the log, this batch included
            for sequence, event in zip(batch.sequences, batch.events, strict=True):
                tenant.add(sequence, event)


def _row(report: KpiReport, kind: str, name: str) -> Kpis:
    if kind == "queue":
        return next((row.kpis for row in report.queues if row.queue_id == name), EMPTY)
    if kind == "site":
        return next((row.kpis for row in report.sites if row.site_id == name), EMPTY)
    return report.total
