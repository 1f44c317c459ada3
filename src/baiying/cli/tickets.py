"""`baiying tickets check DIR`: validate a ticket configuration (workflows/*.yaml, sla.yaml, rules.yaml),
every problem named with its file, field and line. `baiying tickets sweep`: run the SLA warnings,
breaches and time rules due now (or at `--at`), as the live server does periodically; `--dry-run` shows
what would happen and changes nothing."""

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from baiying.cli.database import UrlOption, chosen_url
from baiying.cli.errors import read_text, user_errors
from baiying.errors import DomainError

if TYPE_CHECKING:
    from baiying.tickets.config import TicketConfig

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="A ticket configuration directory (workflows/*.yaml, sla.yaml, rules.yaml); default: shipped.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    tickets = typer.Typer(
        name="tickets", help="Tickets: SLA and automation sweeps.", no_args_is_help=True, add_completion=False
    )
    tickets.command("check")(check)
    tickets.command("sweep")(sweep)
    app.add_typer(tickets)


def load_directory(directory: Path) -> "TicketConfig":
    """The configuration in `directory`; a missing file or directory is a DomainError naming it."""
    from baiying.tickets.config import load_config

    flows = directory / "workflows"
    if not flows.is_dir():
        raise DomainError(f"{flows} is not a directory (put one workflow file per ticket type there)")
    workflows = {str(path): read_text(path) for path in sorted(flows.glob("*.yaml"))}
    sla, rules = directory / "sla.yaml", directory / "rules.yaml"
    for path in (sla, rules):
        if not path.is_file():
            raise DomainError(f"{path} is missing")
    return load_config(workflows, (str(sla), read_text(sla)), (str(rules), read_text(rules)))


def check(
    directory: Annotated[Path, typer.Argument(help="The configuration directory.", show_default=False)],
) -> None:
    """Validate a ticket configuration directory; exit 2 with every problem (file:line: field: reason)."""
    console = Console(highlight=False, soft_wrap=True)
    with user_errors():
        config = load_directory(directory)
    transitions = sum(len(w.transitions) for w in config.workflows.values())
    console.print(
        f"{directory}: {len(config.workflows)} workflows ({transitions} transitions), "
        f"{len(config.sla.spec.policies)} SLA policies, {len(config.rules.by_id)} automation rules: valid.",
        markup=False,
    )


def _moment(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError(f"--at {text!r} is not an ISO 8601 date-time (2026-11-24T10:00:00+08:00)") from None
    if moment.tzinfo is None:
        raise DomainError(f"--at {text!r} has no UTC offset: add one, e.g. +08:00")
    return moment.timestamp()


def sweep(
    url: UrlOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what is due; change nothing.")] = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Sweep as of this ISO 8601 moment instead of now.", show_default=False),
    ] = None,
    config: ConfigOption = None,
    full: Annotated[
        bool, typer.Option("--full", help="Look at every open ticket (run once after the rules change).")
    ] = False,
) -> None:
    """Fire every SLA warning, SLA breach and time-driven automation rule that is due."""
    from sqlalchemy.orm import Session

    from baiying.application.tickets import sweep_due
    from baiying.clock import SystemClock
    from baiying.storage.engine import make_engine
    from baiying.storage.migrate import ensure_up_to_date

    console = Console(highlight=False, soft_wrap=True)
    with user_errors():
        now = _moment(at) if at is not None else SystemClock().now()
        ticket_config = load_directory(config) if config is not None else None  # None: each tenant's
        chosen = chosen_url(url)
        ensure_up_to_date(chosen)
        engine = make_engine(chosen)
        try:
            with Session(engine) as session:
                reports = sweep_due(session, ticket_config, now, dry_run=dry_run, full=full)
        finally:
            engine.dispose()
    verb = "would fire" if dry_run else "fired"
    for report in reports:
        for event in report.sla_events:
            console.print(f"{event['ticket_id']}: {event['kind']} {event['metric']}", markup=False)
        for firing in report.firings:
            kinds = ", ".join(effect["kind"] for effect in firing["effects"])
            console.print(f"{firing['ticket_id']}: rule {firing['rule']} {verb} ({kinds})", markup=False)
    tickets = sum(r.tickets for r in reports)
    firings = sum(len(r.firings) for r in reports)
    events = sum(len(r.sla_events) for r in reports)
    summary = f"{tickets} ticket(s) due: {events} SLA event(s), {firings} rule firing(s)"
    console.print(summary + (" (dry run: nothing changed)" if dry_run else "") + ".", markup=False)
