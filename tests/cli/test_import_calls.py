"""`baiying import-calls` on a small hand-made log and on the real Anonymous Bank log."""

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from baiying.cli import calls
from baiying.events import record_columns

SMALL_BANK = Path(__file__).parents[1] / "importers" / "data" / "small-bank.tsv"


def invoke(*args: str) -> Result:
    app = typer.Typer()
    calls.register(app)

    @app.callback()
    def main() -> None:
        """Keep `import-calls` a named subcommand, as in the full CLI."""

    return CliRunner().invoke(app, ["import-calls", *args])


def test_table_of_daily_kpis_and_rejected_rows() -> None:
    result = invoke(str(SMALL_BANK), "--format", "anonymous-bank")

    assert result.exit_code == 0, result.output
    day_row = next(line for line in result.stdout.splitlines() if "1999-02-01 Mon" in line)
    assert [cell.strip() for cell in day_row.split("│")[2:8]] == ["5", "4", "20.0%", "60.0%", "12.5", "91.2"]
    assert (
        "13 rows read: 5 calls offered, 6 rejected, "
        "ignored: 1 hung up before reaching the queue, 1 outcome PHANTOM" in result.stdout
    )
    assert "line 7: q_time: 'abc' is not a number of seconds" in result.stdout
    assert "line 11: (row): expected 17 fields, found 7" in result.stdout
    assert "… and 1 more (see --json)" in result.stdout


def test_json_has_daily_kpis_totals_and_rejections() -> None:
    result = invoke(str(SMALL_BANK), "--format", "anonymous-bank", "--json", "--sl-seconds", "30")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["rows_read"], data["calls"], data["rejected"]) == (13, 5, 6)
    assert data["rejected_rows"][0] == {
        "line": 7,
        "field": "q_time",
        "reason": "'abc' is not a number of seconds",
    }
    assert data["ignored"] == {"hung up before reaching the queue": 1, "outcome PHANTOM": 1}
    assert data["timezone"] == "Asia/Jerusalem"
    (day,) = data["days"]
    assert day["day"] == "1999-02-01"
    assert (day["offered"], day["answered"], day["abandoned"], day["answered_within_sl"]) == (5, 4, 1, 4)
    assert day["service_level"] == 0.8
    assert data["total"]["aht_seconds"] == 91.25
    assert [row["start"] for row in data["intervals"]] == [
        "1999-02-01T09:00:00+02:00",
        "1999-02-01T23:00:00+02:00",
    ]


def test_events_are_written_as_csv(tmp_path: Path) -> None:
    out = tmp_path / "events.csv"

    result = invoke(str(SMALL_BANK), "--format", "anonymous-bank", "--events", str(out))

    assert result.exit_code == 0, result.output
    assert f"18 events written to {out}" in result.stdout
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == record_columns()
    assert len(rows) == 18
    assert (rows[0]["kind"], rows[0]["contact_id"], rows[0]["queue_id"], rows[0]["customer_id"]) == (
        "contact-arrived",
        "AA0101-1",
        "PS",
        "23317894",
    )
    assert (rows[1]["kind"], rows[1]["agent_id"], rows[1]["wait_seconds"]) == (
        "contact-answered",
        "DORIT",
        "30.0",
    )
    assert rows[0]["agent_id"] == ""


def test_generic_csv_with_a_mapping_file(tmp_path: Path) -> None:
    log = tmp_path / "calls.csv"
    log.write_text(
        "id,queue,arrived,answered,ended,agent\n"
        "1,billing,2024-03-04T09:00:00,2024-03-04T09:00:25,2024-03-04T09:05:25,li-na\n"
        "2,billing,2024-03-04T09:01:00,,2024-03-04T09:02:30,\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "timezone: Asia/Shanghai\ntime_format: iso\nid_columns: [id]\narrival_column: arrived\n"
        "answer_column: answered\nend_column: ended\nagent_column: agent\nqueue_column: queue\n",
        encoding="utf-8",
    )

    result = invoke(str(log), "--format", "csv", "--mapping", str(mapping), "--json")

    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    assert (total["offered"], total["answered"], total["abandoned"], total["asa_seconds"]) == (2, 1, 1, 25.0)


def test_invalid_mapping_names_file_field_and_line_without_a_traceback(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "arrival_column: arrived\nanswer_column: answered\nend_colum: ended\n", encoding="utf-8"
    )

    result = invoke(str(SMALL_BANK), "--format", "csv", "--mapping", str(mapping))

    assert result.exit_code == 2
    assert f"{mapping}:3: end_colum: unknown field (check the spelling)" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv"], "--format csv needs --mapping FILE.yaml naming the columns"),
        (["--format", "anonymous-bank", "--mapping", "m.yaml"], "--mapping is only for --format csv"),
        (["--format", "anonymous-bank", "--interval-minutes", "7"], "interval must divide a day"),
    ],
)
def test_usage_errors_exit_with_code_2(args: list[str], message: str) -> None:
    result = invoke(str(SMALL_BANK), *args)

    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "nope.tsv"), "--format", "anonymous-bank")

    assert result.exit_code == 2
    assert "No such file or directory" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.shared_data
def test_real_bank_log_totals(bank_log: Path) -> None:
    result = invoke(str(bank_log), "--format", "anonymous-bank", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["rows_read"], data["calls"], data["rejected"]) == (25_890, 23_968, 42)
    assert len(data["days"]) == 21
    assert (data["total"]["answered"], data["total"]["abandoned"]) == (20_857, 3_111)
    assert data["total"]["service_level"] == pytest.approx(12_570 / 23_968)
