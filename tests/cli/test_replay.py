"""`baiying replay`: the real bank log through the simulator, compared with what really happened."""

import json
from pathlib import Path

from typer.testing import CliRunner

from baiying.cli import app

runner = CliRunner()


def test_replay_of_the_bank_log_tracks_the_real_day(bank_log: Path) -> None:
    result = runner.invoke(app, ["replay", str(bank_log), "--format", "anonymous-bank", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["lost"] == 0
    assert data["calls"] == 23_968
    assert len(data["days"]) == 21
    total = data["total"]
    assert abs(total["simulated"]["service_level"] - total["real"]["service_level"]) < 0.08
    assert abs(total["simulated"]["abandon_rate"] - total["real"]["abandon_rate"]) < 0.06
    assert abs(total["simulated"]["asa_seconds"] - total["real"]["asa_seconds"]) < 10
    assert 250 < data["patience_mean_seconds"] < 400


def test_replay_needs_a_mapping_for_csv(tmp_path: Path) -> None:
    log = tmp_path / "calls.csv"
    log.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["replay", str(log), "--format", "csv"])
    assert result.exit_code == 2
    assert "--format csv needs --mapping FILE.yaml" in result.output
