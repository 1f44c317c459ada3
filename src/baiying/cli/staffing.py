"""`baiying staff`: Erlang C / Erlang A figures for one interval, or the agents needed to meet a target."""

import json
import math
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from baiying.cli.errors import user_errors
from baiying.errors import DomainError
from baiying.wfm import (
    QueueMetrics,
    offered_load_erlangs,
    queue_metrics,
    required_agents,
    scheduled_agents,
)


def register(app: typer.Typer) -> None:
    """Add the `staff` command to `app`."""
    app.command(name="staff")(staff)


def staff(
    arrival_rate_per_hour: Annotated[
        float, typer.Option("--arrival-rate-per-hour", help="Offered calls per hour.", show_default=False)
    ],
    aht_seconds: Annotated[
        float, typer.Option("--aht-seconds", help="Average handle time in seconds.", show_default=False)
    ],
    sl_seconds: Annotated[
        float,
        typer.Option(
            "--sl-seconds", help="Service-level threshold T: answered within T seconds.", show_default=False
        ),
    ],
    agents: Annotated[
        int | None, typer.Option("--agents", help="Evaluate this many agents (on the phones).")
    ] = None,
    target_service_level: Annotated[
        float | None,
        typer.Option(
            "--target-service-level", help="Find the fewest agents answering this fraction within T."
        ),
    ] = None,
    patience_seconds: Annotated[
        float | None,
        typer.Option("--patience-seconds", help="Mean caller patience in seconds; switches to Erlang A."),
    ] = None,
    shrinkage: Annotated[
        float | None,
        typer.Option(
            "--shrinkage", help="Fraction of paid time off the phones, in [0, 1); adds scheduled agents."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Queue figures for one interval (Erlang C; Erlang A with --patience-seconds).

    Give exactly one of --agents (evaluate that staffing) or --target-service-level (find the fewest
    agents meeting it). With patience, the service level counts abandoned calls as not answered in time.
    """
    with user_errors():
        if (agents is None) == (target_service_level is None):
            raise DomainError("give exactly one of --agents or --target-service-level")
        load = offered_load_erlangs(arrival_rate_per_hour, aht_seconds)
        if agents is None:
            agents = required_agents(
                load,
                aht_seconds,
                service_level=target_service_level,
                sl_seconds=sl_seconds,
                patience_seconds=patience_seconds,
            )
        metrics = queue_metrics(agents, load, aht_seconds, sl_seconds, patience_seconds)
        scheduled = None if shrinkage is None else scheduled_agents(agents, shrinkage)
        if patience_seconds is not None and not math.isfinite(metrics.asa_seconds):
            raise DomainError(f"{agents} agents answer no calls at this load; add agents")
    if as_json:
        typer.echo(json.dumps(_as_dict(metrics, patience_seconds is not None, scheduled)))
    else:
        Console(highlight=False).print(_as_table(metrics, patience_seconds is not None, scheduled))


def _as_dict(metrics: QueueMetrics, with_patience: bool, scheduled: int | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "agents": metrics.agents,
        "p_wait": metrics.p_wait,
        "service_level": metrics.service_level,
        "asa_seconds": metrics.asa_seconds,
        "occupancy": metrics.occupancy,
    }
    if with_patience:
        result["p_abandon"] = metrics.p_abandon
        result["mean_wait_seconds"] = metrics.mean_wait_seconds
    if scheduled is not None:
        result["scheduled_agents"] = scheduled
    return result


def _as_table(metrics: QueueMetrics, with_patience: bool, scheduled: int | None) -> Table:
    model = "Erlang A" if with_patience else "Erlang C"
    table = Table(title=f"{model}, offered load {metrics.load_erlangs:.2f} Erlangs")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("agents", str(metrics.agents))
    if scheduled is not None:
        table.add_row("scheduled agents (after shrinkage)", str(scheduled))
    table.add_row("P(wait)", f"{metrics.p_wait:.2%}")
    table.add_row(f"service level ({metrics.sl_seconds:g} s)", f"{metrics.service_level:.2%}")
    table.add_row("ASA (answered calls)", f"{metrics.asa_seconds:.1f} s")
    if with_patience:
        table.add_row("P(abandon)", f"{metrics.p_abandon:.2%}")
        table.add_row("mean wait (all callers)", f"{metrics.mean_wait_seconds:.1f} s")
    table.add_row("occupancy", f"{metrics.occupancy:.2%}")
    return table
