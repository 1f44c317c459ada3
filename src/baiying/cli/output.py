"""Shared CLI output: KPI tables, event-log CSV, and KPI reports as JSON."""

import csv
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from baiying.analytics import KpiReport, Kpis
from baiying.events import Event, record_columns

stdout = Console(highlight=False, soft_wrap=True)

KPI_HEADERS = ("Offered", "Answered", "Abandoned", "SL", "ASA s", "AHT s")


def kpi_table(
    title: str, label: str, rows: Iterable[tuple[str, Kpis]], sl_seconds: float, total: Kpis | None = None
) -> Table:
    """One row per slice: offered, answered, abandonment rate, service level, ASA and AHT."""
    table = Table(title=title, title_justify="left")
    table.add_column(label)
    for header in KPI_HEADERS:
        table.add_column(f"SL {sl_seconds:g}s" if header == "SL" else header, justify="right")
    for name, kpis in rows:
        table.add_row(name, *kpi_cells(kpis))
    if total is not None:
        table.add_section()
        table.add_row("Total", *kpi_cells(total), style="bold")
    return table


def kpi_cells(kpis: Kpis) -> tuple[str, ...]:
    return (
        str(kpis.offered),
        str(kpis.answered),
        percent(kpis.abandon_rate),
        percent(kpis.service_level),
        number(kpis.asa_seconds),
        number(kpis.aht_seconds),
    )


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def write_events_csv(path: Path, events: Sequence[Event]) -> None:
    """The event log as CSV, one column per event field (tuples joined with |)."""
    columns = record_columns()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        for event in events:
            writer.writerow({key: _csv_value(value) for key, value in event.to_record().items()})


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "|".join(str(item) for item in value)
    return value


def report_json(report: KpiReport) -> dict[str, Any]:
    """A KPI report as plain JSON-ready data."""
    return {
        "timezone": report.timezone,
        "interval_seconds": report.interval_seconds,
        "sl_seconds": report.sl_seconds,
        "days": [{"day": row.day.isoformat(), **asdict(row.kpis)} for row in report.days],
        "intervals": [
            {"start": row.start.isoformat(), "end": row.end.isoformat(), **asdict(row.kpis)}
            for row in report.intervals
        ],
        "queues": [{"queue_id": row.queue_id, **asdict(row.kpis)} for row in report.queues],
        "sites": [{"site_id": row.site_id, **asdict(row.kpis)} for row in report.sites],
        "overflow_flows": [asdict(flow) for flow in report.overflow_flows],
        "total": asdict(report.total),
    }
