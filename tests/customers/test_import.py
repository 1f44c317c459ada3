"""Customer CSV import: the mapping (YAML or --column options), the parser's rejections, and
`baiying customers import` on SQLite and PostgreSQL, where every row is accounted for."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from baiying.cli import app
from baiying.customers.errors import InvalidCustomerImport
from baiying.customers.importing import RejectedRow, parse_customers
from baiying.customers.mapping import CustomerMapping, load_mapping
from baiying.customers.model import ContactPointKind, TelecomTerms
from baiying.customers.options import mapping_from_options
from baiying.errors import ConfigError
from baiying.storage.customer_tables import ContactPointRow, CustomerRow, ProductRow
from baiying.storage.engine import make_engine
from baiying.storage.repositories import SiteRepository, Tenants
from baiying.storage.tables import SiteRow

T0 = 1_795_000_000.0

MAPPING = """\
name_column: 姓名
id_column: 客户编号
phone_columns: [手机, 座机]
email_columns: [邮箱]
birthday_column: 生日
site_column: 网点
tier_column: 等级
consent_sms_column: 短信
attribute_columns:
  source: 来源
product:
  kind: telecom
  plan_column: 套餐
  monthly_fee_column: 月费
  minutes_allowance_column: 分钟
"""

CSV = """\
客户编号,姓名,手机,座机,邮箱,生日,网点,等级,短信,来源,套餐,月费,分钟
c1,李娜,138 0013 8000,,li.na@example.com,1990-05-17,guangzhou,gold,是,shop,畅享58,58,500
c2,王芳,139-0013-9000,(020) 8888 1234,,,,,否,,,,
c3,坏号码,12345,,,,,,,,,,
c4,,13700137000,,,,,,,,,,
c5,张伟,13600136000,,,17/05/1990,,,,,,,
c6,刘洋,13500135000,,,,,,也许,,,,
,Li Na again,+86 13800138000,,,,,,1,crm,,,
c8,冲突,13800138000,,wang@example.com,,,,,,,,
c9,远方,13300133000,,,,nowhere,,,,,,
c10,赵磊,13200132000,,,,,,,,畅享58,five,
c11,短行,13100131000
"""


def mapping() -> CustomerMapping:
    return load_mapping(MAPPING, "mapping.yaml")


def test_the_parser_reads_good_rows_and_names_each_bad_one() -> None:
    parsed = parse_customers(CSV.splitlines(), mapping(), "customers.csv")
    assert parsed.rows_read == 11
    assert [row.line for row in parsed.rows] == [2, 3, 8, 9, 10]
    first = parsed.rows[0]
    assert first.customer_id == "c1"
    assert [(column, point.value) for column, point in first.points] == [
        ("手机", "+8613800138000"),
        ("邮箱", "li.na@example.com"),
    ]
    assert first.fields["birthday"].isoformat() == "1990-05-17"
    assert first.fields["site_id"] == "guangzhou"
    assert first.consents is not None
    assert first.consents.sms
    assert first.attributes == {"source": "shop"}
    assert first.product is not None
    assert first.product.terms == TelecomTerms("畅享58", 5800, minutes_allowance=500)
    assert [p.kind for _, p in parsed.rows[1].points] == [ContactPointKind.PHONE, ContactPointKind.PHONE]
    assert parsed.rows[1].product is None  # its product columns are all empty
    assert list(parsed.rejected) == [
        RejectedRow(4, "手机", "'12345' is not a valid CN phone number (read as +86 12345)"),
        RejectedRow(5, "姓名", "the name is empty"),
        RejectedRow(6, "生日", "'17/05/1990' is not a date in the format %Y-%m-%d"),
        RejectedRow(
            7,
            "短信",
            "'也许' is neither true nor false (expected one of '1', 'true', 'yes', 'y', '是', '', '0', "
            "'false', 'no', 'n', '否')",
        ),
        RejectedRow(11, "月费", "'five' is not an amount of money"),
        RejectedRow(12, "", "expected 13 fields, found 3"),
    ]


def test_a_file_that_cannot_be_read_with_the_mapping_is_refused_as_a_whole() -> None:
    with pytest.raises(InvalidCustomerImport, match=r"^x.csv is empty"):
        parse_customers([], mapping(), "x.csv")
    with pytest.raises(
        InvalidCustomerImport,
        match=r"^x.csv: column '邮箱' \(from email_columns\[0\]\) is not in the header; "
        r"columns are: 姓名, 手机$",
    ):
        parse_customers(
            ["姓名,手机"], load_mapping("name_column: 姓名\nemail_columns: [邮箱]\n", "m"), "x.csv"
        )


def test_mapping_errors_name_the_field_and_line() -> None:
    with pytest.raises(ConfigError) as raised:
        load_mapping("name_column: Name\nphone_column: Mobile\nproduct:\n  kind: telecom\n", "m.yaml")
    assert [p.describe("m.yaml") for p in raised.value.problems] == [
        "m.yaml:3: product: a telecom product needs plan_column and monthly_fee_column",
        "m.yaml:2: phone_column: unknown field (check the spelling)",
    ]


def test_a_mapping_from_column_options() -> None:
    built = mapping_from_options(
        ["name=Name", "phone=Mobile", "phone=Home", "attribute.vip=VIP"], delimiter="tab", country_code=852
    )
    assert (built.name_column, built.phone_columns, built.delimiter, built.country_code) == (
        "Name",
        ["Mobile", "Home"],
        "\t",
        852,
    )
    assert built.attribute_columns == {"vip": "VIP"}
    with pytest.raises(ConfigError) as raised:
        mapping_from_options(["name=Name", "name=Other", "fax=Fax", "phone"])
    assert [p.describe("--column options") for p in raised.value.problems] == [
        "--column options: name=Other: name is mapped twice",
        "--column options: fax=Fax: unknown field 'fax' (known: id, name, phone, email, chat, region, "
        "language, dialect, tier, segment, birthday, site, consent_marketing, consent_sms, consent_email, "
        "consent_calls, attribute.NAME)",
        "--column options: phone: expected FIELD=COLUMN, e.g. phone=Mobile",
    ]
    with pytest.raises(ConfigError, match="name_column"):
        mapping_from_options(["phone=Mobile"])


@pytest.fixture
def world(db_url: str) -> str:
    engine = make_engine(db_url)
    with Session(engine) as session:
        Tenants(session).add("acme", "Acme", at=T0)
        SiteRepository(session, "acme").add(SiteRow(id="guangzhou", name="Guangzhou"))
        session.commit()
    engine.dispose()
    return db_url


def run(*args: str) -> object:
    return CliRunner().invoke(app, ["customers", "import", *args])


def test_the_cli_imports_and_accounts_for_every_row(world: str, tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    args = [str(tmp_path / "customers.csv"), "--mapping", str(tmp_path / "mapping.yaml"), "--url", world]
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    report = json.loads(result.output)  # type: ignore[attr-defined]
    assert (report["rows_read"], report["created"], report["updated"], report["rejected"]) == (11, 2, 1, 8)
    assert report["rows_read"] == len(report["imported_rows"]) + len(report["rejected_rows"])
    assert report["imported_rows"][2] == {
        "line": 8,
        "customer_id": "c1",
        "action": "updated",
        "matched_by": ["+8613800138000"],
    }
    rejected = {row["line"]: row for row in report["rejected_rows"]}
    assert sorted(rejected) == [4, 5, 6, 7, 9, 10, 11, 12]
    assert rejected[9] == {
        "line": 9,
        "field": "手机",
        "reason": "the row is customer c8, but +8613800138000 belongs to c1",
    }
    assert rejected[10] == {
        "line": 10,
        "field": "",
        "reason": "customer 'c9' refers to a record that does not exist",
    }

    engine = make_engine(world)
    with Session(engine) as session:
        customers = {row.id: row for row in session.scalars(select(CustomerRow))}
        assert sorted(customers) == ["c1", "c2"]
        assert customers["c1"].display_name == "Li Na again"  # line 8 updated it
        assert customers["c1"].attributes == {"source": "crm"}
        assert customers["c1"].tier == "gold"  # kept: line 8 left it empty
        points = sorted(
            session.scalars(select(ContactPointRow.value).where(ContactPointRow.customer_id == "c2"))
        )
        assert points == ["+8613900139000", "+862088881234"]
        product = session.scalars(select(ProductRow)).one()
        assert (product.id, product.customer_id, product.plan, product.monthly_fee_cents) == (
            "c1-2",
            "c1",
            "畅享58",
            5800,
        )
    engine.dispose()

    # Importing again updates, creating nothing; on_existing: reject names the customer instead.
    again = json.loads(run(*args, "--json").output)  # type: ignore[attr-defined]
    assert (again["created"], again["updated"]) == (0, 3)
    (tmp_path / "strict.yaml").write_text(MAPPING + "on_existing: reject\n", encoding="utf-8")
    strict = run(str(tmp_path / "customers.csv"), "--mapping", str(tmp_path / "strict.yaml"), "--url", world)
    assert "0 customers were created, 0 updated, 11 rows rejected" in strict.output  # type: ignore[attr-defined]
    assert "line 2: (row): matches existing customer 'c1' by id (on_existing: reject)" in strict.output  # type: ignore[attr-defined]


def test_the_cli_with_column_options_and_dry_run(world: str, tmp_path: Path) -> None:
    (tmp_path / "c.tsv").write_text("Name\tMobile\nLi Na\t13800138000\nBad\tx\n", encoding="utf-8")
    args = [
        str(tmp_path / "c.tsv"),
        "--column",
        "name=Name",
        "--column",
        "phone=Mobile",
        "--delimiter",
        "tab",
    ]
    dry = run(*args, "--dry-run", "--url", world)
    assert dry.exit_code == 0, dry.output  # type: ignore[attr-defined]
    assert dry.output.splitlines() == [  # type: ignore[attr-defined]
        f"2 rows read from {tmp_path / 'c.tsv'}: 1 customers would be created, 0 updated, 1 rows rejected",
        "  line 3: Mobile: 'x' is not a phone number (not a number)",
    ]
    engine = make_engine(world)
    with Session(engine) as session:
        assert session.scalars(select(CustomerRow)).all() == []
    engine.dispose()
    done = run(*args, "--url", world)
    assert "1 customers were created" in done.output  # type: ignore[attr-defined]


def test_the_cli_refuses_unusable_input_with_exit_2(world: str, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("Name\nLi Na\n", encoding="utf-8")
    no_mapping = run(str(tmp_path / "c.csv"), "--url", world)
    assert no_mapping.exit_code == 2  # type: ignore[attr-defined]
    assert "give --mapping FILE.yaml, or --column FIELD=COLUMN options" in no_mapping.output  # type: ignore[attr-defined]
    missing = run(str(tmp_path / "c.csv"), "--column", "name=Name", "--column", "email=Mail", "--url", world)
    assert missing.exit_code == 2  # type: ignore[attr-defined]
    assert "column 'Mail' (from email_columns[0]) is not in the header" in missing.output  # type: ignore[attr-defined]
    unknown = run(str(tmp_path / "c.csv"), "--column", "name=Name", "--tenant", "nobody", "--url", world)
    assert unknown.exit_code == 2  # type: ignore[attr-defined]


def test_the_bundled_example_imports(world: str) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "customers"
    engine = make_engine(world)
    with Session(engine) as session:
        SiteRepository(session, "acme").add(SiteRow(id="beijing", name="Beijing"))
        session.commit()
    engine.dispose()
    result = run(
        str(examples / "customers.csv"), "--mapping", str(examples / "mapping.yaml"), "--url", world, "--json"
    )
    report = json.loads(result.output)  # type: ignore[attr-defined]
    assert (report["created"], report["updated"], report["rejected"]) == (2, 0, 1)
    assert report["rejected_rows"] == [
        {"line": 4, "field": "手机", "reason": "'12345' is not a valid CN phone number (read as +86 12345)"}
    ]


def test_the_command_is_documented() -> None:
    result = CliRunner().invoke(app, ["customers", "import", "--help"])
    assert result.exit_code == 0
    assert "--mapping" in result.output
    assert "--column" in result.output
    assert "customers" in CliRunner().invoke(app, ["--help"]).output
