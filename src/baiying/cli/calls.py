"""`baiying import-calls`: read a real call log, print its KPIs per day, optionally export its event log."""

import csv
import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from baiying.analytics import KpiReport, Kpis, compute_kpis
from baiying.cli.errors import read_text, user_errors
from baiying.errors import DomainError
from baiying.events import Event, record_columns
from baiying.importers import PRESETS, CallLogImport, CallLogMapping, load_mapping, read_call_log

stdout = Console(highlight=False, soft_wrap=True)

REJECTED_SHOWN = 5


class LogFormat(StrEnum):
    anonymous_bank = "anonymous-bank"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.command("import-calls")(import_calls)


def import_calls(
    file: Annotated[Path, typer.Argument(help="The call log: CSV or TSV, one row per call, header first.")],
    *,
    log_format: Annotated[
        LogFormat,
        typer.Option("--format", help="anonymous-bank (the built-in preset) or csv (needs --mapping)."),
    ],
    mapping_file: Annotated[
        Path | None,
        typer.Option("--mapping", help="YAML column mapping for --format csv."),
    ] = None,
    interval_minutes: Annotated[int, typer.Option(help="Reporting interval for --json (15, 30, 60).")] = 60,
    sl_seconds: Annotated[
        float, typer.Option(help="Service-level threshold: answered within this wait.")
    ] = 20.0,
    events_file: Annotated[
        Path | None,
        typer.Option("--events", help="Write the equivalent event log to this CSV file."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Import a real call log and print its KPIs per day (offered, answered, abandoned, SL, ASA, AHT)."""
    with user_errors():
        mapping = _mapping(log_format, mapping_file)
        imported = read_call_log(file, mapping)
        report = compute_kpis(
            imported.events,
            interval_seconds=interval_minutes * 60,
            sl_seconds=sl_seconds,
            timezone=mapping.timezone,
        )
        if events_file is not None:
            _write_events(events_file, imported.events)
    if as_json:
        typer.echo(json.dumps(_as_json(imported, report), ensure_ascii=False))
    else:
        _print_tables(imported, report)
        if events_file is not None:
            stdout.print(f"{len(imported.events)} events written to {events_file}")


def _mapping(log_format: LogFormat, mapping_file: Path | None) -> CallLogMapping:
    if log_format is LogFormat.csv:
        if mapping_file is None:
            raise DomainError("--format csv needs --mapping FILE.yaml naming the columns")
        return load_mapping(read_text(mapping_file), str(mapping_file))
    if mapping_file is not None:
        raise DomainError(f"--mapping is only for --format csv; {log_format.value} has a built-in mapping")
    return PRESETS[log_format.value]


def _write_events(path: Path, events: tuple[Event, ...]) -> None:
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


def _print_tables(imported: CallLogImport, report: KpiReport) -> None:
    table = Table(title=f"Real KPIs per day: {imported.source} ({report.timezone})")
    for header in ("Day", "Offered", "Answered", "Abandoned", f"SL {report.sl_seconds:g}s", "ASA s", "AHT s"):
        table.add_column(header, justify="left" if header == "Day" else "right")
    for day in report.days:
        table.add_row(f"{day.day.isoformat()} {day.day:%a}", *_cells(day.kpis))
    table.add_section()
    table.add_row("Total", *_cells(report.total), style="bold")
    stdout.print(table)
    ignored = ", ".join(f"{count} {reason}" for reason, count in sorted(imported.ignored.items()))
    stdout.print(
        f"{imported.rows_read} rows read: {len(imported.records)} calls offered, "
        f"{len(imported.rejected)} rejected" + (f", ignored: {ignored}" if ignored else "")
    )
    for row in imported.rejected[:REJECTED_SHOWN]:
        stdout.print(f"  line {row.line}: {row.field or '(row)'}: {row.reason}", markup=False)
    if len(imported.rejected) > REJECTED_SHOWN:
        stdout.print(f"  … and {len(imported.rejected) - REJECTED_SHOWN} more (see --json)")


def _cells(kpis: Kpis) -> tuple[str, ...]:
    return (
        str(kpis.offered),
        str(kpis.answered),
        _percent(kpis.abandon_rate),
        _percent(kpis.service_level),
        _number(kpis.asa_seconds),
        _number(kpis.aht_seconds),
    )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _as_json(imported: CallLogImport, report: KpiReport) -> dict[str, Any]:
    return {
        "source": imported.source,
        "rows_read": imported.rows_read,
        "calls": len(imported.records),
        "rejected": len(imported.rejected),
        "rejected_rows": [asdict(row) for row in imported.rejected],
        "ignored": dict(imported.ignored),
        "timezone": report.timezone,
        "interval_seconds": report.interval_seconds,
        "sl_seconds": report.sl_seconds,
        "days": [{"day": day.day.isoformat(), **asdict(day.kpis)} for day in report.days],
        "intervals": [
            {"start": row.start.isoformat(), "end": row.end.isoformat(), **asdict(row.kpis)}
            for row in report.intervals
        ],
        "queues": [{"queue_id": row.queue_id, **asdict(row.kpis)} for row in report.queues],
        "total": asdict(report.total),
    }
