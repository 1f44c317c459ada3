"""The `baiying` command line. Each area registers its commands from its own module."""

import typer

from baiying import hugepages
from baiying.cli import (
    calls,
    database,
    demo,
    email_in,
    notifications,
    routing,
    serve,
    simulation,
    staffing,
    traffic,
)
from baiying.cli import care as care_cli
from baiying.cli import customers as customers_cli
from baiying.cli import knowledge as knowledge_cli
from baiying.cli import tickets as ticket_commands

app = typer.Typer(
    name="baiying",
    help="Baiying (百应): contact-center routing, simulation and workforce planning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

routing.register(app)
staffing.register(app)
calls.register(app)
simulation.register(app)
demo.register(app)
database.register(app)
serve.register(app)
traffic.register(app)
notifications.register(app)
email_in.register(app)
customers_cli.register(app)
care_cli.register(app)
ticket_commands.register(app)
knowledge_cli.register(app)


def main() -> None:
    hugepages.enable()  # if BAIYING_HUGE_PAGES=1 asks for it (`serve` turns it on by itself)
    app()
