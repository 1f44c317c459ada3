"""KPI report rows (frozen) and the additive tallies they are derived from.

Every ratio is computed from additive sums at report time, so rows roll up exactly: a day is the sum of
its intervals' tallies, never an average of their ratios. A ratio whose denominator is zero is None.
"""

from dataclasses import dataclass
from datetime import date, datetime

from baiying.ids import AgentId, QueueId


@dataclass(frozen=True, slots=True)
class Kpis:
    """Contact and agent-time measures for one slice of the log (an interval, a day, a queue, ...).

    offered = answered + abandoned + routed_out + waiting_at_end. "Within T s" means a wait <= T.
    `handled` counts completed legs (one per ContactCompleted); AHT = (handle + wrap-up) / handled.
    Occupancy = (busy + wrap-up time) / (ready + reserved + busy + wrap-up time); None for queue rows.
    """

    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    routed_out: int
    waiting_at_end: int
    answered_within_sl: int
    handled: int
    overflows: int
    service_level: float | None
    service_level_excl_short: float | None
    abandon_rate: float | None
    asa_seconds: float | None
    aht_seconds: float | None
    mean_abandon_wait_seconds: float | None
    longest_wait_seconds: float | None
    occupancy: float | None
    staffed_seconds: float
    working_seconds: float


@dataclass(frozen=True, slots=True)
class IntervalKpis:
    start: datetime  # aware, in the report's time zone
    end: datetime
    kpis: Kpis


@dataclass(frozen=True, slots=True)
class DayKpis:
    day: date  # local date in the report's time zone
    kpis: Kpis


@dataclass(frozen=True, slots=True)
class QueueKpis:
    queue_id: QueueId
    kpis: Kpis


@dataclass(frozen=True, slots=True)
class SiteKpis:
    site_id: str  # "-" when no site could be attributed
    kpis: Kpis


@dataclass(frozen=True, slots=True)
class AgentKpis:
    agent_id: AgentId
    site_id: str
    answered: int
    handled: int
    handle_seconds: float
    wrap_up_seconds: float
    aht_seconds: float | None
    staffed_seconds: float
    working_seconds: float
    occupancy: float | None


@dataclass(frozen=True, slots=True)
class OverflowFlow:
    from_site_id: str
    to_site_id: str
    count: int


@dataclass(frozen=True, slots=True)
class KpiReport:
    interval_seconds: int
    sl_seconds: float
    short_abandon_seconds: float
    timezone: str
    intervals: tuple[IntervalKpis, ...]  # only intervals with activity, in time order
    days: tuple[DayKpis, ...]
    queues: tuple[QueueKpis, ...]
    sites: tuple[SiteKpis, ...]
    agents: tuple[AgentKpis, ...]
    overflow_flows: tuple[OverflowFlow, ...]
    total: Kpis
    ignored_events: int  # events that could not be attributed (e.g. an answer for a contact never seen)
    first_at: float | None
    last_at: float | None


class Tally:
    """Mutable additive sums behind a `Kpis` row."""

    __slots__ = (
        "abandon_wait_sum",
        "abandoned",
        "answer_wait_sum",
        "answered",
        "answered_within_sl",
        "handle_sum",
        "handled",
        "longest_wait",
        "offered",
        "overflows",
        "routed_out",
        "short_abandoned",
        "staffed_seconds",
        "waiting_at_end",
        "working_seconds",
        "wrap_sum",
    )

    def __init__(self) -> None:
        self.offered = 0
        self.answered = 0
        self.abandoned = 0
        self.short_abandoned = 0
        self.routed_out = 0
        self.waiting_at_end = 0
        self.answered_within_sl = 0
        self.handled = 0
        self.overflows = 0
        self.answer_wait_sum = 0.0
        self.abandon_wait_sum = 0.0
        self.longest_wait: float | None = None
        self.handle_sum = 0.0
        self.wrap_sum = 0.0
        self.staffed_seconds = 0.0
        self.working_seconds = 0.0

    def copy(self) -> "Tally":
        other = Tally()
        other.merge(self)
        return other

    def note_wait(self, wait: float) -> None:
        if self.longest_wait is None or wait > self.longest_wait:
            self.longest_wait = wait

    def merge(self, other: "Tally") -> None:
        self.offered += other.offered
        self.answered += other.answered
        self.abandoned += other.abandoned
        self.short_abandoned += other.short_abandoned
        self.routed_out += other.routed_out
        self.waiting_at_end += other.waiting_at_end
        self.answered_within_sl += other.answered_within_sl
        self.handled += other.handled
        self.overflows += other.overflows
        self.answer_wait_sum += other.answer_wait_sum
        self.abandon_wait_sum += other.abandon_wait_sum
        if other.longest_wait is not None:
            self.note_wait(other.longest_wait)
        self.handle_sum += other.handle_sum
        self.wrap_sum += other.wrap_sum
        self.staffed_seconds += other.staffed_seconds
        self.working_seconds += other.working_seconds

    def freeze(self) -> Kpis:
        return Kpis(
            offered=self.offered,
            answered=self.answered,
            abandoned=self.abandoned,
            short_abandoned=self.short_abandoned,
            routed_out=self.routed_out,
            waiting_at_end=self.waiting_at_end,
            answered_within_sl=self.answered_within_sl,
            handled=self.handled,
            overflows=self.overflows,
            service_level=ratio(self.answered_within_sl, self.offered),
            service_level_excl_short=ratio(self.answered_within_sl, self.offered - self.short_abandoned),
            abandon_rate=ratio(self.abandoned, self.offered),
            asa_seconds=ratio(self.answer_wait_sum, self.answered),
            aht_seconds=ratio(self.handle_sum + self.wrap_sum, self.handled),
            mean_abandon_wait_seconds=ratio(self.abandon_wait_sum, self.abandoned),
            longest_wait_seconds=self.longest_wait,
            occupancy=ratio(self.working_seconds, self.staffed_seconds),
            staffed_seconds=self.staffed_seconds,
            working_seconds=self.working_seconds,
        )


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None
