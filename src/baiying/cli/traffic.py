"""`baiying traffic` plays a scenario's arrivals into a running server; `baiying bots` works its contacts
with bot agents. Both go through the HTTP API, as a channel adapter and as people would."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from baiying.cli.errors import read_text, user_errors
from baiying.errors import DomainError

if TYPE_CHECKING:
    from baiying.simulation.scenario import Scenario

DEFAULT_SERVER = "http://127.0.0.1:8000"
DEFAULT_SCENARIO = Path("scenarios/national.yaml")
HTTP_TIMEOUT_SECONDS = 10.0

ServerOption = Annotated[str, typer.Option("--url", help="The server's base URL.")]
ScenarioOption = Annotated[Path, typer.Option(help="Scenario YAML whose traffic and handle times to play.")]
SpeedOption = Annotated[float, typer.Option(min=0.001, help="Acceleration: 60 plays an hour in a minute.")]
MinutesOption = Annotated[
    float | None, typer.Option(min=0, help="Stop after this many minutes of wall time.", show_default=False)
]
SeedOption = Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")]
PasswordOption = Annotated[
    str, typer.Option(envvar="BAIYING_TRAFFIC_PASSWORD", help="Password (or $BAIYING_TRAFFIC_PASSWORD).")
]


def register(app: typer.Typer) -> None:
    app.command("traffic")(traffic_command)
    app.command("bots")(bots_command)


def _scenario(path: Path) -> "Scenario":
    from baiying.simulation.scenario import load_scenario

    return load_scenario(read_text(path), str(path))


def traffic_command(
    admin: Annotated[str, typer.Option(help="Login of a user who may create contacts (an admin).")],
    password: PasswordOption,
    url: ServerOption = DEFAULT_SERVER,
    scenario: ScenarioOption = DEFAULT_SCENARIO,
    speed: SpeedOption = 1.0,
    minutes: MinutesOption = None,
    count: Annotated[
        int | None, typer.Option(min=0, help="Stop after this many contacts.", show_default=False)
    ] = None,
    seed: SeedOption = None,
) -> None:
    """Play the scenario's arrival profile (from the current time of day, ×speed) into the server."""
    import httpx

    from baiying.traffic import TrafficGenerator
    from baiying.traffic.http import log_in

    with user_errors():
        if minutes is None and count is None:
            raise DomainError("give --minutes or --count: the traffic must end by itself")
        played = _scenario(scenario)
        with httpx.Client(base_url=url, timeout=HTTP_TIMEOUT_SECONDS) as client:
            log_in(client, admin, password)
            generator = TrafficGenerator(client, played, speed=speed, seed=seed)
            try:
                report = generator.run(minutes=minutes, count=count)
            except KeyboardInterrupt:
                generator.stop()
                raise typer.Exit(130) from None
    queues = ", ".join(f"{q} {n}" for q, n in sorted(report.by_queue.items())) or "none"
    typer.echo(f"sent {report.sent} contacts ({len(report.created)} created: {queues})")
    for error in report.errors[:10]:
        typer.echo(f"error: {error}", err=True)
    if report.errors:
        raise typer.Exit(1)


def bots_command(
    bot: Annotated[
        list[str],
        typer.Option(help="An agent user's login (LOGIN, or LOGIN:PASSWORD); repeat for more bots."),
    ],
    password: Annotated[
        str | None,
        typer.Option(envvar="BAIYING_TRAFFIC_PASSWORD", help="Password of bots given without one."),
    ] = None,
    url: ServerOption = DEFAULT_SERVER,
    scenario: ScenarioOption = DEFAULT_SCENARIO,
    speed: SpeedOption = 1.0,
    minutes: MinutesOption = None,
    seed: SeedOption = None,
) -> None:
    """Bot agents that log in, take offers and complete them with the scenario's handle times, until
    --minutes pass or Ctrl-C; then they finish their contacts and log out."""
    import threading

    from baiying.traffic import run_bots

    with user_errors():
        credentials: list[tuple[str, str]] = []
        for given in bot:
            login, sep, secret = given.partition(":")
            if not sep and password is None:
                raise DomainError(f"no password for bot {login!r}: give LOGIN:PASSWORD or --password")
            credentials.append((login, secret if sep else password or ""))
        played = _scenario(scenario)
        stop = threading.Event()
        if minutes is None:
            typer.echo(f"{len(credentials)} bots at work; Ctrl-C stops them")
        try:
            reports = run_bots(url, played, credentials, speed=speed, seed=seed, minutes=minutes, stop=stop)
        except KeyboardInterrupt:
            stop.set()
            raise typer.Exit(130) from None
    failed = False
    for report in reports:
        typer.echo(f"{report.login}: accepted {len(report.accepted)}, completed {len(report.completed)}")
        for error in report.errors[:10]:
            failed = True
            typer.echo(f"error ({report.login}): {error}", err=True)
    if failed:
        raise typer.Exit(1)
