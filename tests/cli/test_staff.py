"""`baiying staff` through Typer's runner: JSON figures, the table, and user errors with exit code 2."""

import json
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from baiying.cli import staffing

runner = CliRunner()

# The R ErlangC example: 100 calls per 30 minutes (200 an hour), AHT 180 s, T = 20 s.
R_EXAMPLE = ["--arrival-rate-per-hour", "200", "--aht-seconds", "180", "--sl-seconds", "20"]
# Erlang A: 48 calls a minute, AHT 1 minute, mean patience 2 minutes.
ERLANG_A = [
    "--arrival-rate-per-hour",
    "2880",
    "--aht-seconds",
    "60",
    "--sl-seconds",
    "20",
    "--patience-seconds",
    "120",
]


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Keeps `staff` a subcommand, as in the real application."""

    staffing.register(app)
    return app


def run(*args: str) -> Any:
    return runner.invoke(make_app(), ["staff", *args])


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    assert isinstance(parsed, dict)
    return parsed


def test_erlang_c_figures_for_given_agents() -> None:
    figures = run_json(*R_EXAMPLE, "--agents", "14")

    assert set(figures) == {"agents", "p_wait", "service_level", "asa_seconds", "occupancy"}
    assert figures["agents"] == 14
    assert figures["p_wait"] == pytest.approx(0.1741319, abs=5e-8)
    assert figures["service_level"] == pytest.approx(0.88835, abs=5e-6)
    assert figures["asa_seconds"] == pytest.approx(7.8359, abs=5e-5)
    assert figures["occupancy"] == pytest.approx(0.7142857, abs=5e-8)


def test_target_service_level_finds_the_fewest_agents() -> None:
    figures = run_json(*R_EXAMPLE, "--target-service-level", "0.8")

    assert figures["agents"] == 14
    assert figures["service_level"] == pytest.approx(0.88835, abs=5e-6)


def test_shrinkage_adds_scheduled_agents() -> None:
    figures = run_json(*R_EXAMPLE, "--target-service-level", "0.8", "--shrinkage", "0.3")

    assert figures["agents"] == 14
    assert figures["scheduled_agents"] == 20


def test_erlang_a_figures_with_patience() -> None:
    figures = run_json(*ERLANG_A, "--agents", "50")

    assert set(figures) == {
        "agents",
        "p_wait",
        "service_level",
        "asa_seconds",
        "occupancy",
        "p_abandon",
        "mean_wait_seconds",
    }
    assert figures["p_abandon"] == pytest.approx(0.03091, abs=5e-6)
    assert figures["mean_wait_seconds"] == pytest.approx(3.71, abs=5e-3)
    assert figures["occupancy"] == pytest.approx(0.93032, abs=5e-6)
    assert figures["asa_seconds"] < figures["mean_wait_seconds"]


def test_erlang_a_target_with_fewer_agents_than_the_load() -> None:
    figures = run_json(*ERLANG_A, "--target-service-level", "0.5")

    assert figures["agents"] <= 48
    assert figures["service_level"] >= 0.5


def test_table_output() -> None:
    result = run(*ERLANG_A, "--agents", "50", "--shrinkage", "0.25")

    assert result.exit_code == 0, result.output
    for text in ("Erlang A", "48.00 Erlangs", "P(abandon)", "3.09%", "93.03%", "scheduled agents", "67"):
        assert text in result.stdout


def with_value(option: str, value: str) -> list[str]:
    """The R example with one option replaced."""
    args = list(R_EXAMPLE)
    args[args.index(option) + 1] = value
    return args


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*R_EXAMPLE], "give exactly one of --agents or --target-service-level"),
        ([*R_EXAMPLE, "--agents", "14", "--target-service-level", "0.8"], "give exactly one of --agents"),
        ([*with_value("--arrival-rate-per-hour", "-5"), "--agents", "3"], "arrival rate must be a positive"),
        ([*with_value("--aht-seconds", "0"), "--agents", "3"], "average handle time must be a positive"),
        ([*with_value("--sl-seconds", "-1"), "--agents", "14"], "service-level threshold (seconds) must be"),
        ([*R_EXAMPLE, "--agents", "0"], "agents must be a whole number of at least 1, got 0"),
        ([*R_EXAMPLE, "--target-service-level", "1.5"], "target service level must be a fraction between 0"),
        ([*R_EXAMPLE, "--agents", "14", "--shrinkage", "1"], "shrinkage must be at least 0 and below 1"),
        ([*R_EXAMPLE, "--agents", "9"], "9 agents cannot carry 10 Erlangs without abandonment"),
        ([*ERLANG_A, "--agents", "50", "--patience-seconds", "-3"], "mean patience must be a positive"),
    ],
)
def test_user_errors_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = run(*args, "--json")

    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_missing_required_option_is_a_usage_error() -> None:
    result = run("--aht-seconds", "180", "--sl-seconds", "20", "--agents", "14")

    assert result.exit_code == 2
    assert "--arrival-rate-per-hour" in result.stderr
