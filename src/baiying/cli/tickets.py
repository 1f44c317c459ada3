"""`baiying tickets sweep`: run the SLA warnings, breaches and time rules due now (or at `--at`), as the
live server does periodically; `--dry-run` shows what would happen and changes nothing."""

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from baiying.cli.database import UrlOption, _url
from baiying.cli.errors import user_errors
from baiying.errors import DomainError


def register(app: typer.Typer) -> None:
    tickets = typer.Typer(
        name="tickets", help="Tickets: SLA and automation sweeps.", no_args_is_help=True, add_completion=False
    )
    tickets.command("sweep")(sweep)
    app.add_typer(tickets)


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
) -> None:
    """Fire every SLA warning, SLA breach and time-driven automation rule that is due."""
    from sqlalchemy.orm import Session

    from baiying.application.tickets import sweep_due
    from baiying.clock import SystemClock
    from baiying.storage.engine import make_engine
    from baiying.storage.migrate import ensure_up_to_date
    from baiying.tickets.bundled import default_config

    console = Console(highlight=False, soft_wrap=True)
    with user_errors():
        now = _moment(at) if at is not None else SystemClock().now()
        chosen = _url(url)
        ensure_up_to_date(chosen)
        engine = make_engine(chosen)
        try:
            with Session(engine) as session:
                reports = sweep_due(session, default_config(), now, dry_run=dry_run)
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
