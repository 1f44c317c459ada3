"""`baiying db upgrade` and `baiying db status`: the database schema, migrated and checked."""

from typing import Annotated

import typer
from rich.console import Console

from baiying.cli.errors import user_errors

URL_HELP = "Database URL (default: $BAIYING_DATABASE_URL, else sqlite:///var/baiying.db here)."
NOT_UP_TO_DATE_EXIT = 1

UrlOption = Annotated[str | None, typer.Option("--url", help=URL_HELP, show_default=False)]


def register(app: typer.Typer) -> None:
    db = typer.Typer(
        name="db", help="Create, migrate and check the database.", no_args_is_help=True, add_completion=False
    )
    db.command("upgrade")(upgrade)
    db.command("status")(status)
    app.add_typer(db)


def chosen_url(url: str | None) -> str:
    from baiying.storage.engine import database_url, parse_url

    chosen = url if url is not None else database_url()
    parse_url(chosen)
    return chosen


def upgrade(url: UrlOption = None) -> None:
    """Apply every migration the database lacks (creating it if needed), in one transaction."""
    from baiying.storage import migrate
    from baiying.storage.engine import display_url

    console = Console(highlight=False, soft_wrap=True)
    with user_errors():
        chosen = chosen_url(url)
        before, after = migrate.upgrade(chosen)
    where = display_url(chosen)
    if before == after:
        console.print(f"{where} is up to date at revision {after}.", markup=False)
    else:
        console.print(f"{where}: upgraded from {before or 'an empty database'} to {after}.", markup=False)


def status(url: UrlOption = None) -> None:
    """Show the database's schema revision and the code's; exit 1 when an upgrade is needed."""
    from baiying.storage import migrate
    from baiying.storage.engine import display_url

    console = Console(highlight=False, soft_wrap=True)
    with user_errors():
        chosen = chosen_url(url)
        current = migrate.current_revision(chosen)
        head = migrate.head_revision()
    console.print(f"database: {display_url(chosen)}", markup=False)
    console.print(f"revision: {current or 'none (no tables yet)'}", markup=False)
    console.print(f"code expects: {head}", markup=False)
    if current != head:
        console.print("run `baiying db upgrade` to migrate it.", markup=False)
        raise typer.Exit(NOT_UP_TO_DATE_EXIT)
    console.print("up to date.", markup=False)
