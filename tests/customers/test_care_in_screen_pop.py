"""Care in the screen pop, through HTTP: reminders and next-best offers for the customer on the line,
computed from the stored catalogue, usage and past offer outcomes (SQLite and PostgreSQL)."""

from baiying.clock import ManualClock
from tests.api.conftest import TestClient
from tests.api.test_live import login, ok

PLANS = {
    "basic-39": ("畅享39", 3900, 100, 3_000, 15, 3),
    "medium-79": ("畅享79", 7900, 500, 20_000, 15, 3),
    "large-129": ("畅享129", 12900, 1000, 60_000, 10, 1),
}
WANG = {
    "id": "wang-fang",
    "display_name": "王芳",
    "site": "beijing",
    "contact_points": [{"kind": "phone", "value": "13900139000"}],
    "tier": "gold",
    "birthday": "1990-11-23",  # the live world's clock starts on 2026-11-23
    "consents": {"marketing": True},
}


def test_the_screen_pop_brings_reminders_and_the_cheaper_plan(
    live: TestClient, live_clock: ManualClock
) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
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
    for month, minutes, data in (("2026-08", 60, 1_500), ("2026-09", 80, 2_000), ("2026-10", 90, 2_500)):
        ok(live.put(f"/api/care/usage/m9/{month}", json={"minutes": minutes, "data_mb": data}, headers=boss))

    pop = ok(live.get("/api/screen-pop", params={"phone": "13900139000", "lang": "zh"}, headers=agent))
    care = pop["sections"]["care"]
    assert [r["kind"] for r in care["reminders"]] == ["birthday"]
    assert care["reminders"][0]["text"] == "今天是客户生日"
    cheaper = care["offers"][0]
    assert (cheaper["id"], cheaper["title"], cheaper["monthly_saving_fen"]) == (
        "cheaper-plan",
        "改用畅享39，每月省¥90.00",
        9000,
    )
    assert [o["id"] for o in care["offers"]] == ["cheaper-plan", "family-bundle"]

    # She declines the plan change: it rests (60 days), the rest of the list stays.
    outcome = {"customer_id": "wang-fang", "offer_id": "cheaper-plan", "outcome": "declined"}
    ok(live.post("/api/care/offers/outcomes", json=outcome, headers=agent), 201)
    again = ok(live.get("/api/screen-pop", params={"phone": "13900139000"}, headers=agent))
    assert [o["id"] for o in again["sections"]["care"]["offers"]] == ["family-bundle"]
    assert again["sections"]["care"]["offers"][0]["title"] == "Family bundle"
