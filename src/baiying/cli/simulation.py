"""`baiying simulate`: run a scenario through the digital twin and report its KPIs."""

import json
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from baiying import events as ev
from baiying.analytics import KpiReport
from baiying.cli.errors import read_text, user_errors
from baiying.cli.output import kpi_table, number, percent, report_json, stdout, write_events_csv
from baiying.clock import to_datetime
from baiying.errors import DomainError
from baiying.simulation.engine import ScheduledContact
from baiying.simulation.runner import Estimate, SimulationOutcome, simulate
from baiying.simulation.scenario import Scenario, load_scenario


class ReportLanguage(StrEnum):
    en = "en"
    zh = "zh"


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)


def simulate_command(
    scenario_file: Annotated[
        Path, typer.Argument(help="Scenario YAML (see scenarios/).", metavar="SCENARIO")
    ],
    days: Annotated[int | None, typer.Option(min=1, max=366, help="Simulate this many days instead.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    replications: Annotated[int, typer.Option(min=1, max=1000, help="Independent replications.")] = 1,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report with charts here.")] = None,
    language: Annotated[
        ReportLanguage, typer.Option(help="Language of the HTML report: en or zh.")
    ] = ReportLanguage.en,
    events: Annotated[
        Path | None, typer.Option(help="Write the first replication's event log as CSV.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Simulate a scenario with the live routing engine and print service level, waits and abandonment."""
    with user_errors():
        scenario = load_scenario(read_text(scenario_file), str(scenario_file))
        if days is not None:
            scenario = Scenario(
                scenario.spec.model_copy(update={"days": days}), scenario.routing, scenario.source
            )
        arrivals = recorded_arrivals(scenario, scenario_file)
        outcome = run_with_progress(scenario, seed, replications, quiet=as_json, arrivals=arrivals)
        if events is not None:
            write_events_csv(events, outcome.first.events)
        if report is not None:
            write_report(report, outcome, language)
    if as_json:
        print(json.dumps(outcome_json(outcome), ensure_ascii=False, default=str))
        return
    print_outcome(outcome)
    if events is not None:
        stdout.print(f"Event log: {events} ({len(outcome.first.events):,} events)")
    if report is not None:
        stdout.print(f"HTML report: {report}")


def recorded_arrivals(scenario: Scenario, scenario_file: Path) -> list[ScheduledContact] | None:
    """The scenario's recorded arrival list, read from its file (relative to the scenario file)."""
    recorded = scenario.spec.recorded_arrivals
    if recorded is None:
        return None
    from baiying.importers.arrivals import read_arrivals

    return read_arrivals(
        scenario_file.parent / recorded.file, queues=scenario.routing.queues, sites=scenario.routing.sites
    )


def run_with_progress(
    scenario: Scenario,
    seed: int | None,
    replications: int,
    *,
    quiet: bool,
    arrivals: list[ScheduledContact] | None = None,
) -> SimulationOutcome:
    if quiet:
        return simulate(scenario, seed=seed, replications=replications, arrivals=arrivals)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=stdout, transient=True) as bar:
        task = bar.add_task(f"Simulating {scenario.spec.name}", total=replications)
        return simulate(
            scenario,
            seed=seed,
            replications=replications,
            arrivals=arrivals,
            progress=lambda index, share: bar.update(task, completed=index + share),
        )


def print_outcome(outcome: SimulationOutcome) -> None:
    spec = outcome.scenario.spec
    runs = len(outcome.replications)
    stdout.print(
        f"[bold]{spec.name}[/] — {spec.days} day(s) from {spec.start_date} ({spec.timezone}), "
        f"seed {outcome.seed}, {runs} replication{'s' if runs > 1 else ''}"
    )
    first = outcome.first.kpis
    if runs > 1:
        stdout.print(totals_table(outcome))
    days = [(f"{row.day.isoformat()} {row.day:%a}", row.kpis) for row in first.days]
    label = "first replication, " if runs > 1 else ""
    sl = first.sl_seconds
    stdout.print(kpi_table(f"Per day ({label}SL = answered within {sl:g} s)", "Day", days, sl, first.total))
    stdout.print(kpi_table("Per site (where answered, else where waiting)", "Site", _sites(first), sl))
    stdout.print(kpi_table("Per queue", "Queue", [(q.queue_id, q.kpis) for q in first.queues], sl))
    total = first.total
    stdout.print(
        f"Occupancy {percent(total.occupancy)}; {total.overflows:,} overflows between sites; "
        f"{total.routed_out:,} routed to voicemail/tickets"
    )
    print_accounting(outcome)


def _sites(report: KpiReport) -> list[tuple[str, Any]]:
    return [(row.site_id, row.kpis) for row in report.sites]


def print_accounting(outcome: SimulationOutcome) -> None:
    for line in drill_lines(outcome):
        stdout.print(line)
    for result in outcome.replications:
        a = result.accounting
        verdict = "[green]no contact lost[/]" if a.lost == 0 else f"[bold red]{a.lost} contacts LOST[/]"
        stdout.print(
            f"Replication {result.replication + 1}: {verdict}: {a.arrived:,} arrived = "
            f"{a.completed:,} completed + {a.abandoned:,} abandoned + {a.routed_out:,} routed out "
            f"+ {a.in_progress:,} still in progress"
        )
    if outcome.lost:
        raise DomainError(f"{outcome.lost} contacts were lost: this is a bug in the router or simulator")


def drill_lines(outcome: SimulationOutcome) -> list[str]:
    """What each site event did in the first replication: how many waiting contacts it moved, and where."""
    lines = []
    log = outcome.first.events
    for change in (e for e in log if isinstance(e, ev.SiteStatusChanged)):
        moved = [
            e
            for e in log
            if isinstance(e, ev.ContactOverflowed) and e.at == change.at and e.from_site_id == change.site_id
        ]
        where = Counter(e.to_site_id for e in moved)
        detail = ", ".join(f"{count} to {site}" for site, count in where.most_common())
        local = to_datetime(change.at).astimezone(ZoneInfo(outcome.scenario.spec.timezone))
        line = f"Site event {local:%Y-%m-%d %H:%M}: {change.site_id} {change.previous} → {change.status}"
        lines.append(line + (f"; moved {len(moved)} waiting contacts ({detail})" if moved else ""))
    return lines


def totals_table(outcome: SimulationOutcome) -> Table:
    table = Table(title="Across replications: mean ± 95% confidence half-width", title_justify="left")
    table.add_column("KPI")
    table.add_column("Estimate", justify="right")
    for name, (estimate, style) in _totals(outcome).items():
        table.add_row(name, _format(estimate, style))
    return table


def _totals(outcome: SimulationOutcome) -> dict[str, tuple[Estimate, str]]:
    pick = outcome.estimate
    return {
        "Offered": (pick(lambda r: r.total.offered), "count"),
        "Service level": (pick(lambda r: r.total.service_level), "percent"),
        "Abandoned": (pick(lambda r: r.total.abandon_rate), "percent"),
        "ASA (s)": (pick(lambda r: r.total.asa_seconds), "seconds"),
        "AHT (s)": (pick(lambda r: r.total.aht_seconds), "seconds"),
        "Occupancy": (pick(lambda r: r.total.occupancy), "percent"),
        "Overflows": (pick(lambda r: r.total.overflows), "count"),
    }


def _format(estimate: Estimate, style: str) -> str:
    if estimate.mean is None:
        return "-"
    show = percent if style == "percent" else (number if style == "seconds" else (lambda v: f"{v:,.0f}"))
    text = show(estimate.mean)
    return text if estimate.half_width is None else f"{text} ± {show(estimate.half_width)}"


def outcome_json(outcome: SimulationOutcome) -> dict[str, Any]:
    spec = outcome.scenario.spec
    return {
        "scenario": spec.name,
        "source": outcome.scenario.source,
        "start_date": spec.start_date.isoformat(),
        "days": spec.days,
        "seed": outcome.seed,
        "replications": len(outcome.replications),
        "estimates": {
            name: {"mean": estimate.mean, "ci95_half_width": estimate.half_width}
            for name, (estimate, _) in _totals(outcome).items()
        },
        "accounting": [
            {"replication": r.replication, "lost": r.accounting.lost, **_accounting(r.accounting)}
            for r in outcome.replications
        ],
        "lost": outcome.lost,
        "first_replication": report_json(outcome.first.kpis),
    }


def _accounting(accounting: Any) -> dict[str, int]:
    return {
        "arrived": accounting.arrived,
        "completed": accounting.completed,
        "abandoned": accounting.abandoned,
        "routed_out": accounting.routed_out,
        "in_progress": accounting.in_progress,
    }


def write_report(
    path: Path, outcome: SimulationOutcome, language: ReportLanguage = ReportLanguage.en
) -> None:
    """The first replication as a self-contained HTML page with charts."""
    from baiying.reports import render_report

    spec = outcome.scenario.spec
    facts = {
        "Scenario": spec.name,
        "Days": f"{spec.days} from {spec.start_date}",
        "Seed": str(outcome.seed),
        "Replications": str(len(outcome.replications)),
    }
    lost = outcome.lost
    notes = [
        f"{r.accounting.arrived:,} contacts arrived in replication {r.replication + 1}; "
        f"{r.accounting.lost} lost"
        for r in outcome.replications
    ]
    if spec.events:
        notes.append(
            "Drills: " + "; ".join(f"day {e.day} {e.at} {e.site} {e.status.value}" for e in spec.events)
        )
    notes.append("No contact was lost." if lost == 0 else f"{lost} contacts were lost.")
    drills = [e for e in outcome.first.events if isinstance(e, ev.SiteStatusChanged)]
    page = render_report(
        outcome.first.kpis,
        title=spec.name,
        description=spec.description or None,
        facts=facts,
        drills=drills,
        notes=notes,
        language=language.value,
    )
    path.write_text(page, encoding="utf-8")
