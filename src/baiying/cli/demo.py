"""`baiying demo`: the quick start. Runs the bundled national network as a live contact center (server,
traffic and bot agents) until Ctrl-C; `baiying demo --twin` simulates a day of it instead and writes the
HTML report."""

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
    twin: Annotated[
        bool,
        typer.Option(
            "--twin",
            help="Simulate a day of the network instead (the digital twin) and write its HTML report.",
        ),
    ] = False,
    minutes: Annotated[
        float | None,
        typer.Option(min=0, help="Stop after this many minutes (default: at Ctrl-C).", show_default=False),
    ] = None,
    speed: Annotated[float, typer.Option(min=0.001, help="Acceleration of traffic and handle times.")] = 20.0,
    port: Annotated[int, typer.Option(min=1, max=65535, help="The server's port on 127.0.0.1.")] = 8000,
    start: Annotated[
        str | None,
        typer.Option(
            help="The scenario's time of day to start the traffic at, HH:MM (default: now).",
            show_default=False,
        ),
    ] = None,
    report: Annotated[Path, typer.Option(help="--twin: where to write the HTML report.")] = Path(
        "var/demo/national.html"
    ),
    language: Annotated[
        ReportLanguage, typer.Option(help="--twin: language of the HTML report, en or zh.")
    ] = ReportLanguage.en,
) -> None:
    """Run a national network (6 sites, ~140 agents on shift) as a live contact center until Ctrl-C: a fresh
    database, the server on 127.0.0.1, traffic and bot agents, and logins printed once. With --twin,
    simulate a day of it instead (~20,000 contacts, an evacuation drill) and report it."""
    if not twin:
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
