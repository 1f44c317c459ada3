"""Usage import: the mapping (errors name field and line), the parser's rejections (row, field, reason),
and `baiying care import-usage` on SQLite and PostgreSQL, where every row is accounted for."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from baiying.care.usage_import import RejectedUsage, UsageLine, UsageMapping, load_usage_mapping, parse_usage
from baiying.cli import app
from baiying.errors import ConfigError
from baiying.storage.care_tables import UsageRow
from baiying.storage.customer_tables import CustomerRow, ProductRow
from baiying.storage.engine import make_engine
from baiying.storage.repositories import Tenants
from tests.api.conftest import T0

MAPPING = UsageMapping(
    product_column="Sub",
    month_column="Month",
    month_format="%Y%m",
    minutes_column="Minutes",
    data_column="Data GB",
    data_unit="gb",
)
CSV = """Sub,Month,Minutes,Data GB
m9,202608,60,1.5
m9,2026-09,80,2
,202609,1,1
m9,202610,-5,1
m9,202610,90,lots
m9,202610,90
m9,202610,90,2.5

m9,202610,91,2.5
"""


def test_good_rows_are_read_and_each_bad_one_is_named() -> None:
    parsed = parse_usage(CSV.splitlines(), MAPPING, "usage.csv")
    assert parsed.rows_read == 8  # the blank line is no row
    assert parsed.rows == (UsageLine(2, "m9", "2026-08", 60, 1536), UsageLine(8, "m9", "2026-10", 90, 2560))
    assert parsed.rejected == (
        RejectedUsage(3, "Month", "'2026-09' is not a month in the form %Y%m"),
        RejectedUsage(4, "Sub", "empty: the subscription id is required"),
        RejectedUsage(5, "Minutes", "-5 is negative"),
        RejectedUsage(6, "Data GB", "'lots' is not a number of GB"),
        RejectedUsage(7, "", "3 cells where the header has 4"),
        RejectedUsage(10, "Month", "2026-10 of 'm9' is already on line 8"),
    )


def test_a_header_without_a_mapped_column_is_refused_as_a_whole() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_usage(["Sub,Month,Minutes,Data"], MAPPING, "usage.csv")
    assert str(refused.value) == (
        "mapping: data_column: column 'Data GB' is not in the header (columns: Sub, Month, Minutes, Data)"
    )
    with pytest.raises(ConfigError, match="the file is empty"):
        parse_usage([], MAPPING, "usage.csv")


def test_mapping_errors_name_the_field_and_line() -> None:
    text = (
        "product_column: Sub\nmonth_column: Month\nminutes_column: Minutes\ndata_column: Data\n"
        "data_unit: tb\n"
    )
    with pytest.raises(ConfigError) as refused:
        load_usage_mapping(text, "mapping.yaml")
    assert str(refused.value).startswith("mapping.yaml:5: data_unit:")
    with pytest.raises(ConfigError, match=r"mapping\.yaml:1: colour"):
        load_usage_mapping("colour: red\n" + text.replace("tb", "mb"), "mapping.yaml")


@pytest.fixture
def world(db_url: str) -> str:
    engine = make_engine(db_url)
    with Session(engine) as session:
        Tenants(session).add("acme", "Acme", at=T0)
        session.flush()
        customer = {"display_name": "Wang", "name_key": "wang", "created_at": T0, "updated_at": T0}
        session.add(CustomerRow(tenant_id="acme", id="wang", **customer))
        session.flush()
        common = {"tenant_id": "acme", "customer_id": "wang", "updated_at": T0}
        session.add(
            ProductRow(id="m9", kind="telecom", name="Mobile", plan="p", monthly_fee_cents=1, **common)
        )
        session.add(ProductRow(id="fridge", kind="appliance", name="Fridge", model="F-1", **common))
        session.flush()
        session.add(UsageRow(tenant_id="acme", product_id="m9", month="2026-08", minutes=1, data_mb=1))
        session.commit()
    engine.dispose()
    return db_url


def stored(url: str) -> list[tuple[str, str, int, int]]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = [
            (r.product_id, r.month, r.minutes, r.data_mb)
            for r in session.scalars(select(UsageRow).order_by(UsageRow.month))
        ]
    engine.dispose()
    return rows


def test_the_cli_imports_and_accounts_for_every_row(world: str, tmp_path: Path) -> None:
    (tmp_path / "usage.csv").write_text(CSV + "x1,202610,1,1\nfridge,202610,1,1\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(
        "product_column: Sub\nmonth_column: Month\nmonth_format: '%Y%m'\nminutes_column: Minutes\n"
        "data_column: Data GB\ndata_unit: gb\n",
        encoding="utf-8",
    )
    args = [
        "care",
        "import-usage",
        str(tmp_path / "usage.csv"),
        "--mapping",
        str(tmp_path / "mapping.yaml"),
        "--url",
        world,
    ]
    dry = CliRunner().invoke(app, [*args, "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert (report["rows_read"], report["added"], report["replaced"], report["dry_run"]) == (10, 1, 1, True)
    assert [(r["row"], r["field"]) for r in report["rejected_rows"]] == [
        (3, "Month"),
        (4, "Sub"),
        (5, "Minutes"),
        (6, "Data GB"),
        (7, ""),
        (10, "Month"),
        (11, "Sub"),
        (12, "Sub"),
    ]
    assert report["rejected_rows"][-2:] == [
        {"row": 11, "field": "Sub", "reason": "no subscription 'x1'"},
        {
            "row": 12,
            "field": "Sub",
            "reason": "'fridge' is a appliance product, not a subscription with usage",
        },
    ]
    assert stored(world) == [("m9", "2026-08", 1, 1)]  # a dry run stores nothing

    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "10 rows read" in done.output
    assert "2 months were imported (1 new, 1 replaced), 8 rows rejected" in done.output
    assert "line 11: Sub: no subscription 'x1'" in done.output
    assert stored(world) == [("m9", "2026-08", 60, 1536), ("m9", "2026-10", 90, 2560)]

    broken = CliRunner().invoke(app, [*args[:-4], "--mapping", str(tmp_path / "usage.csv"), "--url", world])
    assert broken.exit_code == 2


def test_the_bundled_example_imports(world: str) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "care"
    result = CliRunner().invoke(
        app,
        [
            "care",
            "import-usage",
            str(examples / "usage.csv"),
            "--mapping",
            str(examples / "usage-mapping.yaml"),
            "--url",
            world,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["imported"], report["rejected_rows"]) == (3, [])
