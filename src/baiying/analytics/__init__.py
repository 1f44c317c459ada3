"""KPIs from the event log (`compute_kpis`, `KpiAccumulator`) and call records from real history;
`baiying.analytics.fitting` fits arrival, patience and handle-time models from those records.

Pure: takes events or call records, returns frozen dataclasses. Simulated and real days are measured by
the same code.
"""

from baiying.analytics.accumulator import KpiAccumulator, compute_kpis
from baiying.analytics.kpis import (
    AgentKpis,
    DayKpis,
    IntervalKpis,
    KpiReport,
    Kpis,
    OverflowFlow,
    QueueKpis,
    SiteKpis,
)
from baiying.analytics.records import UNKNOWN_AGENT, CallOutcome, CallRecord, call_events
from baiying.analytics.timegrid import InvalidAnalyticsSettings, TimeGrid

__all__ = [
    "UNKNOWN_AGENT",
    "AgentKpis",
    "CallOutcome",
    "CallRecord",
    "DayKpis",
    "IntervalKpis",
    "InvalidAnalyticsSettings",
    "KpiAccumulator",
    "KpiReport",
    "Kpis",
    "OverflowFlow",
    "QueueKpis",
    "SiteKpis",
    "TimeGrid",
    "call_events",
    "compute_kpis",
]
