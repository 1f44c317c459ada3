"""`baiying simulate` through the command line."""

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from baiying.cli import app
from tests import REPO

MMN = REPO / "scenarios" / "validation" / "mmn.yaml"
runner = CliRunner()


def test_json_output_has_estimates_and_accounting(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    result = runner.invoke(
        app, ["simulate", str(MMN), "--replications", "2", "--json", "--events", str(events)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["replications"] == 2
    assert data["lost"] == 0
    assert 4000 < data["estimates"]["Offered"]["mean"] < 5600
    assert data["estimates"]["Service level"]["ci95_half_width"] is not None
    assert [a["lost"] for a in data["accounting"]] == [0, 0]
    with events.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["kind"] == "agent-state-changed"
    assert {"contact-arrived", "contact-answered", "contact-completed"} <= {row["kind"] for row in rows}


def test_tables_and_days_override() -> None:
    result = runner.invoke(app, ["simulate", str(MMN), "--days", "2", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "seed 5" in result.output
    assert "2026-11-24" in result.output  # the second day
    assert "no contact lost" in result.output


def test_bad_scenario_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MMN.read_text().replace("count: 14", "count: -1"))
    result = runner.invoke(app, ["simulate", str(bad)])
    assert result.exit_code == 2
    assert "agents[0].count: Input should be greater than or equal to 1" in result.output


def test_report_in_chinese(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = runner.invoke(app, ["simulate", str(MMN), "--report", str(page), "--language", "zh"])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html
    assert "服务水平" in html


def _recorded_scenario(tmp_path: Path, rows: str) -> Path:
    scenario = tmp_path / "replay.yaml"
    text = MMN.read_text().split("traffic:")[0]
    agents = MMN.read_text().split("agents:")[1]
    scenario.write_text(text + "recorded_arrivals: {file: arrivals.csv}\nagents:" + agents)
    (tmp_path / "arrivals.csv").write_text("at,queue,handle_seconds,patience_seconds,priority\n" + rows)
    return scenario


def test_a_scenario_can_replay_a_recorded_arrival_list(tmp_path: Path) -> None:
    rows = "".join(f"2026-11-23T09:{minute:02d}:00+08:00,support,120,,0\n" for minute in range(30))
    rows += "2026-11-23T09:30:00+08:00,support,60,0,1\n"  # hung up the moment they arrived
    scenario = _recorded_scenario(tmp_path, rows)
    result = runner.invoke(app, ["simulate", str(scenario), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["accounting"][0]["arrived"] == 31
    assert data["accounting"][0]["abandoned"] == 1
    assert data["lost"] == 0


def test_bad_recorded_rows_name_line_and_field(tmp_path: Path) -> None:
    rows = "2026-11-23T09:00:00+08:00,support,120,,0\n2026-11-23T09:01:00,support,120,,0\n"
    rows += "2026-11-23T09:02:00+08:00,sales,abc,,0\n"
    scenario = _recorded_scenario(tmp_path, rows)
    result = runner.invoke(app, ["simulate", str(scenario)])
    assert result.exit_code == 2
    assert "arrivals.csv:3: at: '2026-11-23T09:01:00' has no UTC offset" in result.output
    assert "arrivals.csv:4: queue: unknown queue 'sales'" in result.output
