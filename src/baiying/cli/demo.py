"""`baiying demo`: the quick start. Runs the bundled national scenario and writes its HTML report;
`baiying demo --live` runs the live contact center instead (server, traffic and bot agents)."""

from pathlib import Path
from typing import Annotated

import typer

from baiying.cli.errors import read_text, user_errors
from baiying.cli.output import stdout
from baiying.cli.simulation import ReportLanguage, print_outcome, run_with_progress, write_report
from baiying.scenarios import bundled
from baiying.simulation.scenario import load_scenario


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    report: Annotated[Path, typer.Option(help="Where to write the HTML report.")] = Path(
        "var/demo/national.html"
    ),
    language: Annotated[
        ReportLanguage, typer.Option(help="Language of the HTML report: en or zh.")
    ] = ReportLanguage.en,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Run the live contact center instead: a fresh database, the server, traffic and bot agents.",
        ),
    ] = False,
    minutes: Annotated[
        float | None,
        typer.Option(
            min=0, help="--live: stop after this many minutes (default: at Ctrl-C).", show_default=False
        ),
    ] = None,
    speed: Annotated[
        float, typer.Option(min=0.001, help="--live: acceleration of traffic and handle times.")
    ] = 20.0,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="--live: the server's port on 127.0.0.1.")
    ] = 8000,
    start: Annotated[
        str | None,
        typer.Option(
            help="--live: the scenario's time of day to start the traffic at, HH:MM (default: now).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Simulate a day of a national network (6 sites, ~20,000 contacts, an evacuation drill) and report it;
    with --live, run that network as a live contact center until Ctrl-C."""
    if live:
        _live(minutes, speed, port, start)
        return
    source = bundled("national.yaml")
    with user_errors():
        scenario = load_scenario(read_text(source), "scenarios/national.yaml")
        stdout.print(f"[bold]Baiying demo[/]: {scenario.spec.description}")
        stdout.print(
            "The routing engine that runs the live center drives a simulated day here (the digital twin).\n"
        )
        outcome = run_with_progress(scenario, None, 1, quiet=False)
        report.parent.mkdir(parents=True, exist_ok=True)
        write_report(report, outcome, language)
    print_outcome(outcome)
    stdout.print(f"\nHTML report with charts: [bold]{report}[/]")
    stdout.print("Next: baiying simulate scenarios/national.yaml --replications 5, or baiying --help")


def _live(minutes: float | None, speed: float, port: int, start: str | None) -> None:
    from baiying.cli.live_demo import parse_time_of_day, run_live_demo

    def say(line: str) -> None:
        print(line, flush=True)

    with user_errors():
        run_live_demo(
            minutes=minutes,
            speed=speed,
            port=port,
            start_second_of_day=parse_time_of_day(start) if start is not None else None,
            directory=Path("var/demo"),
            say=say,
        )
