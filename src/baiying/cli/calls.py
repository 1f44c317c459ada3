"""`baiying import-calls`: read a real call log, print its KPIs per day, optionally export its event log."""

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from baiying.analytics import KpiReport, Kpis, compute_kpis
from baiying.cli.errors import read_text, user_errors
from baiying.cli.imports import print_rejected
from baiying.cli.output import kpi_table, number, percent, report_json, stdout, write_events_csv
from baiying.errors import DomainError
from baiying.importers import PRESETS, CallLogImport, CallLogMapping, load_mapping, read_call_log

REJECTED_SHOWN = 5


class LogFormat(StrEnum):
    anonymous_bank = "anonymous-bank"
    csv = "csv"


# The options `import-calls` and `replay` share: which file, in which format.
CallLogFile = Annotated[
    Path, typer.Argument(help="The call log: CSV or TSV, one row per call, header first.")
]
LogFormatOption = Annotated[
    LogFormat, typer.Option("--format", help="anonymous-bank (the built-in preset) or csv (needs --mapping).")
]
MappingOption = Annotated[
    Path | None, typer.Option("--mapping", help="YAML column mapping for --format csv.")
]


def register(app: typer.Typer) -> None:
    app.command("import-calls")(import_calls)
    app.command("replay")(replay)


def import_calls(
    file: CallLogFile,
    *,
    log_format: LogFormatOption,
    mapping_file: MappingOption = None,
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
            write_events_csv(events_file, imported.events)
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


def _print_tables(imported: CallLogImport, report: KpiReport) -> None:
    rows = [(f"{day.day.isoformat()} {day.day:%a}", day.kpis) for day in report.days]
    title = f"Real KPIs per day: {imported.source} ({report.timezone})"
    stdout.print(kpi_table(title, "Day", rows, report.sl_seconds, report.total))
    ignored = ", ".join(f"{count} {reason}" for reason, count in sorted(imported.ignored.items()))
    stdout.print(
        f"{imported.rows_read} rows read: {len(imported.records)} calls offered, "
        f"{len(imported.rejected)} rejected" + (f", ignored: {ignored}" if ignored else "")
    )
    print_rejected(stdout, imported.rejected, REJECTED_SHOWN)


def _as_json(imported: CallLogImport, report: KpiReport) -> dict[str, Any]:
    return {
        "source": imported.source,
        "rows_read": imported.rows_read,
        "calls": len(imported.records),
        "rejected": len(imported.rejected),
        "rejected_rows": [asdict(row) for row in imported.rejected],
        "ignored": dict(imported.ignored),
        **report_json(report),
    }


def replay(
    file: CallLogFile,
    *,
    log_format: LogFormatOption,
    mapping_file: MappingOption = None,
    seed: Annotated[int, typer.Option(help="Seed for the patience and handle-time draws.")] = 1,
    sl_seconds: Annotated[float, typer.Option(help="Service-level threshold (seconds).")] = 20.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Replay a real call log through the simulator and compare simulated with real KPIs, day by day."""
    from baiying.simulation.replay import REPLAY_QUEUE, plan_replay
    from baiying.simulation.runner import simulate

    with user_errors():
        mapping = _mapping(log_format, mapping_file)
        imported = read_call_log(file, mapping)
        if not imported.records:
            raise DomainError(f"{file} has no calls to replay")
        real = compute_kpis(
            imported.events, interval_seconds=3600, sl_seconds=sl_seconds, timezone=mapping.timezone
        )
        plan = plan_replay(
            imported.records, timezone=mapping.timezone, seed=seed, sl_seconds=sl_seconds, source=str(file)
        )
        outcome = simulate(plan.scenario, arrivals=plan.arrivals, keep_events=0)
    simulated = outcome.first.kpis
    rows = _side_by_side(real, simulated)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "source": str(file),
                    "calls": len(imported.records),
                    "patience_mean_seconds": plan.patience.mean_seconds,
                    "handle_mean_seconds": plan.handle.mean_seconds,
                    "max_agents_per_hour": max(plan.agents_per_hour.values()),
                    "lost": outcome.lost,
                    "days": rows,
                    "total": _pair(real.total, simulated.total),
                },
                ensure_ascii=False,
            )
        )
        return
    stdout.print(
        f"Replaying {len(imported.records):,} real calls from {file}: fitted patience "
        f"{plan.patience.mean_seconds:.0f} s (exponential, served callers censored), handle time "
        f"{plan.handle.mean_seconds:.0f} ± {plan.handle.sd_seconds:.0f} s, after-call work "
        f"{plan.scenario.routing.queues[REPLAY_QUEUE].wrap_up_seconds:.0f} s; agents present per hour "
        f"inferred from the log: 1–{max(plan.agents_per_hour.values())}"
    )
    table = Table(title=f"Simulated vs real, per day ({mapping.timezone})", title_justify="left")
    for header in (
        "Day",
        "Offered",
        "Abandoned real",
        "sim",
        f"SL {sl_seconds:g}s real",
        "sim",
        "ASA real",
        "sim",
    ):
        table.add_column(header, justify="left" if header == "Day" else "right")
    for row in rows:
        table.add_row(
            row["day"],
            str(row["offered"]),
            percent(row["real"]["abandon_rate"]),
            percent(row["simulated"]["abandon_rate"]),
            percent(row["real"]["service_level"]),
            percent(row["simulated"]["service_level"]),
            number(row["real"]["asa_seconds"]),
            number(row["simulated"]["asa_seconds"]),
        )
    total = _pair(real.total, simulated.total)
    table.add_section()
    table.add_row(
        "Total",
        str(real.total.offered),
        percent(total["real"]["abandon_rate"]),
        percent(total["simulated"]["abandon_rate"]),
        percent(total["real"]["service_level"]),
        percent(total["simulated"]["service_level"]),
        number(total["real"]["asa_seconds"]),
        number(total["simulated"]["asa_seconds"]),
        style="bold",
    )
    stdout.print(table)
    stdout.print(f"Contacts lost in the replay: {outcome.lost}")


def _side_by_side(real: KpiReport, simulated: KpiReport) -> list[dict[str, Any]]:
    simulated_days = {row.day: row.kpis for row in simulated.days}
    return [
        {
            "day": row.day.isoformat(),
            "offered": row.kpis.offered,
            **_pair(row.kpis, simulated_days.get(row.day)),
        }
        for row in real.days
    ]


def _pair(real: Kpis, simulated: Kpis | None) -> dict[str, dict[str, float | None]]:
    def pick(kpis: Kpis | None) -> dict[str, float | None]:
        if kpis is None:
            return {"abandon_rate": None, "service_level": None, "asa_seconds": None}
        return {
            "abandon_rate": kpis.abandon_rate,
            "service_level": kpis.service_level,
            "asa_seconds": kpis.asa_seconds,
        }

    return {"real": pick(real), "simulated": pick(simulated)}
