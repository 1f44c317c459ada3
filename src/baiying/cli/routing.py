"""`baiying route-check`: validate a routing file and say what it means."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from baiying.cli.errors import read_text, user_errors
from baiying.routing.config import load_routing_config
from baiying.routing.describe import describe


def register(app: typer.Typer) -> None:
    app.command("route-check")(route_check)


def route_check(
    file: Annotated[Path, typer.Argument(help="Routing YAML: sites, placement, queues and/or policies.")],
) -> None:
    """Validate a routing policy file and print what it means in words."""
    with user_errors():
        config = load_routing_config(read_text(file), str(file))
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"[green]✓[/] {file} is valid.", markup=True)
    for line in describe(config):
        console.print(line, markup=False)
