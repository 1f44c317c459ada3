"""`baiying demo`: the quick start. Runs the bundled national scenario and writes its HTML report."""

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
) -> None:
    """Simulate a day of a national network (6 sites, ~20,000 contacts, an evacuation drill) and report it."""
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
