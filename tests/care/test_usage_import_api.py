"""Usage import through HTTP on SQLite and PostgreSQL: billing's CSV with a column mapping feeds the plan
optimizer (the screen pop's cheaper-plan offer); bad rows come back with row, field and reason."""

from tests.api.conftest import TestClient, error_of
from tests.api.test_live import login, ok
from tests.care.test_caps_api import PLANS, WANG

MAPPING = {
    "product_column": "号码套餐ID",
    "month_column": "账期",
    "month_format": "%Y%m",
    "minutes_column": "通话分钟",
    "data_column": "流量GB",
    "data_unit": "gb",
}
CSV = (
    "号码套餐ID,账期,通话分钟,流量GB\n"
    "m9,202608,60,1.5\nm9,202609,80,2\nm9,202610,90,2.5\nm9,2026-10,1,1\nzz,202610,1,1\n"
)


def seed(live: TestClient, boss: dict[str, str]) -> None:
    for plan_id, (name, fee, minutes, data, per_minute, per_mb) in PLANS.items():
        plan = {
            "name": name,
            "monthly_fee_fen": fee,
            "minutes": minutes,
            "data_mb": data,
            "extra_minute_fen": per_minute,
            "extra_mb_fen": per_mb,
        }
        ok(live.put(f"/api/care/plans/{plan_id}", json=plan, headers=boss), 201)
    ok(live.post("/api/customers", json=WANG, headers=boss), 201)
    product = {"id": "m9", "kind": "telecom", "name": "手机", "plan": "畅享129", "monthly_fee_cents": 12900}
    ok(live.post("/api/customers/wang-fang/products", json=product, headers=boss), 201)


def test_imported_usage_feeds_the_plan_optimizer(live: TestClient) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
    seed(live, boss)
    pop = ok(live.get("/api/screen-pop", params={"phone": "13900139000"}, headers=agent))
    assert "cheaper-plan" not in [o["id"] for o in pop["sections"]["care"]["offers"]]  # no usage yet

    dry = ok(
        live.post(
            "/api/care/usage/import", json={"csv": CSV, "mapping": MAPPING, "dry_run": True}, headers=boss
        )
    )
    assert (dry["imported"], dry["dry_run"]) == (3, True)
    assert ok(live.get("/api/care/usage/m9", headers=boss)) == []

    report = ok(live.post("/api/care/usage/import", json={"csv": CSV, "mapping": MAPPING}, headers=boss))
    assert (report["rows_read"], report["imported"], report["added"], report["replaced"]) == (5, 3, 3, 0)
    assert report["rejected_rows"] == [
        {"row": 5, "field": "账期", "reason": "'2026-10' is not a month in the form %Y%m"},
        {"row": 6, "field": "号码套餐ID", "reason": "no subscription 'zz'"},
    ]
    usage = ok(live.get("/api/care/usage/m9", headers=boss))
    assert [(u["month"], u["minutes"], u["data_mb"]) for u in usage] == [
        ("2026-08", 60, 1536),
        ("2026-09", 80, 2048),
        ("2026-10", 90, 2560),
    ]
    pop = ok(live.get("/api/screen-pop", params={"phone": "13900139000"}, headers=agent))
    cheaper = pop["sections"]["care"]["offers"][0]
    assert (cheaper["id"], cheaper["monthly_saving_fen"]) == ("cheaper-plan", 9000)

    again = ok(live.post("/api/care/usage/import", json={"csv": CSV, "mapping": MAPPING}, headers=boss))
    assert (again["added"], again["replaced"]) == (0, 3)
    audit = ok(live.get("/api/audit", params={"entity": "usage"}, headers=boss))
    assert [e["after"] for e in audit] == [{"imported": 3, "rejected": 2}] * 2


def test_unusable_imports_are_refused_naming_the_field(live: TestClient) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
    body = {"csv": CSV, "mapping": MAPPING}
    assert error_of(live.post("/api/care/usage/import", json=body, headers=agent))[:2] == (403, "forbidden")
    missing = live.post(
        "/api/care/usage/import", json={**body, "mapping": {**MAPPING, "data_column": "GB"}}, headers=boss
    )
    assert error_of(missing) == (
        422,
        "invalid-config",
        "mapping: data_column: column 'GB' is not in the header "
        "(columns: 号码套餐ID, 账期, 通话分钟, 流量GB)",
    )
    unknown = live.post(
        "/api/care/usage/import", json={**body, "mapping": {**MAPPING, "colour": "red"}}, headers=boss
    )
    assert error_of(unknown) == (422, "invalid-config", "mapping: colour: unknown field (check the spelling)")
    yaml_mapping = "product_column: a\nmonth_column: b\nminutes_column: c\ndata_column: d\ndata_unit: tb\n"
    bad_yaml = live.post(
        "/api/care/usage/import", json={"csv": CSV, "mapping_yaml": yaml_mapping}, headers=boss
    )
    status, code, message = error_of(bad_yaml)
    assert (status, code) == (422, "invalid-config")
    assert message.startswith("mapping_yaml:5: data_unit:")
    neither = live.post("/api/care/usage/import", json={"csv": CSV}, headers=boss)
    assert error_of(neither)[:2] == (422, "invalid-request")
