"""The KPI report over a date range as the reports API returns it: one row type per table (interval,
day, queue, site, agent), each with the measures of `baiying.analytics.Kpis` a report shows."""

from collections.abc import Iterable
from datetime import date
from typing import Any, Final

from pydantic import BaseModel, Field

from baiying.analytics import AgentKpis, DayKpis, IntervalKpis, KpiReport, Kpis, QueueKpis, SiteKpis


class KpiMeasures(BaseModel):
    offered: int
    answered: int
    abandoned: int
    routed_out: int
    waiting_at_end: int = Field(description="Offered in the period, not yet settled at its end.")
    handled: int
    answered_within_sl: int
    service_level: float | None = Field(description="answered within the SL threshold / offered")
    abandon_rate: float | None
    asa_seconds: float | None
    aht_seconds: float | None = Field(description="(handle + wrap-up) / handled")
    occupancy: float | None = Field(description="busy + wrap-up time / staffed time; none for a queue")
    staffed_seconds: float
    working_seconds: float

    @staticmethod
    def values(kpis: Kpis) -> dict[str, Any]:
        return {name: getattr(kpis, name) for name in KpiMeasures.model_fields}


class IntervalRow(KpiMeasures):
    start: str = Field(description="The interval's start, local ISO 8601 with its UTC offset.")
    end: str
    start_epoch: float

    @classmethod
    def of(cls, row: IntervalKpis) -> "IntervalRow":
        return cls(
            start=row.start.isoformat(),
            end=row.end.isoformat(),
            start_epoch=row.start.timestamp(),
            **KpiMeasures.values(row.kpis),
        )


class DayRow(KpiMeasures):
    day: date

    @classmethod
    def of(cls, row: DayKpis) -> "DayRow":
        return cls(day=row.day, **KpiMeasures.values(row.kpis))


class QueueRow(KpiMeasures):
    queue_id: str

    @classmethod
    def of(cls, row: QueueKpis) -> "QueueRow":
        return cls(queue_id=row.queue_id, **KpiMeasures.values(row.kpis))


class SiteRow(KpiMeasures):
    site_id: str = Field(description='"-" when no site could be attributed')

    @classmethod
    def of(cls, row: SiteKpis) -> "SiteRow":
        return cls(site_id=row.site_id, **KpiMeasures.values(row.kpis))


class AgentRow(BaseModel):
    agent_id: str
    site_id: str
    answered: int
    handled: int
    handle_seconds: float
    wrap_up_seconds: float
    aht_seconds: float | None
    staffed_seconds: float
    working_seconds: float
    occupancy: float | None

    @classmethod
    def of(cls, row: AgentKpis) -> "AgentRow":
        return cls(**{name: getattr(row, name) for name in cls.model_fields})


class KpiReportPublic(BaseModel):
    start_date: date
    end_date: date = Field(description="The last day of the period, included.")
    timezone: str
    since: float = Field(description="The period's start, epoch seconds (local midnight of start_date).")
    until: float = Field(description="The period's end, exclusive (local midnight after end_date).")
    interval_seconds: int
    sl_seconds: float
    total: KpiMeasures
    intervals: list[IntervalRow]
    days: list[DayRow]
    queues: list[QueueRow]
    sites: list[SiteRow]
    agents: list[AgentRow]
    ignored_events: int = Field(
        description="Events about contacts that arrived before the period (counted in no contact row)."
    )
    scope_sites: list[str] | None = Field(
        None, description="The sites the report covers, sorted; null: the whole tenant."
    )

    @classmethod
    def of(
        cls,
        report: KpiReport,
        start_date: date,
        end_date: date,
        since: float,
        until: float,
        sites: Iterable[str] | None = None,
    ) -> "KpiReportPublic":
        return cls(
            start_date=start_date,
            end_date=end_date,
            timezone=report.timezone,
            since=since,
            until=until,
            interval_seconds=report.interval_seconds,
            sl_seconds=report.sl_seconds,
            total=KpiMeasures(**KpiMeasures.values(report.total)),
            intervals=[IntervalRow.of(row) for row in report.intervals],
            days=[DayRow.of(row) for row in report.days],
            queues=[QueueRow.of(row) for row in report.queues],
            sites=[SiteRow.of(row) for row in report.sites],
            agents=[AgentRow.of(row) for row in report.agents],
            ignored_events=report.ignored_events,
            scope_sites=None if sites is None else sorted(sites),
        )


MEASURE_COLUMNS: Final = tuple(KpiMeasures.model_fields)

# Each KPI table's CSV columns: its key first, then its measures.
KPI_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "intervals": ("start", "end", *MEASURE_COLUMNS),
    "days": ("day", *MEASURE_COLUMNS),
    "queues": ("queue_id", *MEASURE_COLUMNS),
    "sites": ("site_id", *MEASURE_COLUMNS),
    "agents": tuple(AgentRow.model_fields),
}
