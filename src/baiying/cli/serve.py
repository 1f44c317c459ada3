"""`baiying serve` runs the HTTP API; `baiying users create` adds a user (the first admin, say)."""

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from baiying import hugepages
from baiying.cli.database import UrlOption
from baiying.cli.errors import user_errors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class RoleChoice(StrEnum):
    """baiying.storage.tables.Role, spelled out here to keep the CLI's start-up fast (a test compares)."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


CLI_ACTOR = "cli"  # who the audit log says made a change from the command line


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    users = typer.Typer(
        name="users", help="Manage users who log in.", no_args_is_help=True, add_completion=False
    )
    users.command("create")(create_user)
    app.add_typer(users)


def _url(url: str | None) -> str:
    from baiying.storage.engine import database_url, parse_url

    chosen = url if url is not None else database_url()
    parse_url(chosen)
    return chosen


def check_database(url: str | None) -> str:
    """The database URL to serve, once the database is reachable and migrated; otherwise a clear
    message on stderr (e.g. "... code expects 0001: run `baiying db upgrade`") and exit code 2."""
    from baiying.storage.migrate import ensure_up_to_date

    with user_errors():
        chosen = _url(url)
        ensure_up_to_date(chosen)
    return chosen


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    url: UrlOption = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) until Ctrl-C. Refuses an un-migrated database."""
    hugepages.enable(default=True)  # before the routers' objects are made: the server routes
    import uvicorn

    from baiying.api.app import create_app
    from baiying.api.coalesced import CoalescingHttpToolsProtocol
    from baiying.api.settings import Settings

    chosen = check_database(url)
    with user_errors():
        settings = Settings.from_environment(database_url=chosen)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        http=CoalescingHttpToolsProtocol,  # a response's head and body, or a command's messages, in one write
    )


def create_user(
    login: Annotated[str, typer.Option(help="What the user types to log in (unique).", show_default=False)],
    role: Annotated[RoleChoice, typer.Option(help="The user's role.", show_default=False)],
    site: Annotated[
        str | None, typer.Option(help="A supervisor's site (default: every site).", show_default=False)
    ] = None,
    agent: Annotated[
        str | None, typer.Option(help="The agent record an agent works as (required for agent).")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(help="The password (default: generated and printed once).", show_default=False),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name (default: the login).")] = None,
    user_id: Annotated[str | None, typer.Option("--id", help="User id (default: the login).")] = None,
    tenant: Annotated[
        str | None,
        typer.Option(help="Tenant id (default: the only one; 'default' is made in an empty database)."),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Create a user who can log in; the first admin: `baiying users create --login admin --role admin`."""
    from sqlalchemy.orm import Session

    from baiying.accounts.passwords import Passwords, generate_password
    from baiying.accounts.principal import Grant
    from baiying.accounts.users import create_user as add_user
    from baiying.clock import SystemClock
    from baiying.errors import DomainError
    from baiying.storage.engine import make_engine
    from baiying.storage.tables import Role

    console = Console(highlight=False, soft_wrap=True)
    chosen = check_database(url)
    generated = password is None
    secret = generate_password() if password is None else password
    with user_errors():
        if role is RoleChoice.AGENT and agent is None:
            raise DomainError("an agent user needs --agent: the agent record they work as")
        engine = make_engine(chosen)
        try:
            with Session(engine) as session:
                at = SystemClock().now()
                tenant_id = _tenant(session, tenant, at)
                grant = Grant(Role(role.value), site, agent)
                row = add_user(
                    session,
                    tenant_id,
                    user_id=user_id or login,
                    login=login,
                    display_name=name or login,
                    password=secret,
                    grants=[grant],
                    actor=CLI_ACTOR,
                    at=at,
                    passwords=Passwords(),
                )
                session.commit()
                where = f" at site {site!r}" if site else ""
                made = f"created user {row.id!r} ({role.value}{where}) in tenant {tenant_id!r}"
                console.print(f"{made}; log in as {login!r}", markup=False)
        finally:
            engine.dispose()
    if generated:
        console.print(f"password: {secret}", markup=False)
        console.print("(shown once: store it now; an admin can set a new one)", markup=False)


def _tenant(session: "Session", tenant: str | None, at: float) -> str:
    """The tenant to add a user to: the one named, else the only one, else a new "default" one."""
    from sqlalchemy import select

    from baiying.errors import DomainError
    from baiying.storage.repositories import Tenants
    from baiying.storage.tables import TenantRow

    if tenant is not None:
        Tenants(session).get(tenant)
        return tenant
    existing = sorted(session.scalars(select(TenantRow.id)))
    if len(existing) == 1:
        return existing[0]
    if existing:
        raise DomainError(
            f"the database has several tenants ({', '.join(existing)}): choose one with --tenant"
        )
    Tenants(session).add("default", "Default", at)
    return "default"
