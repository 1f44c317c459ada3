"""Contact-frequency caps through HTTP on SQLite and PostgreSQL: each tenant sets its caps (audited,
validated, admins only), and the screen pop's offers respect them, naming the cap of each offer held back."""

from baiying.clock import ManualClock
from tests.api.conftest import TestClient, error_of
from tests.api.test_live import login, ok
from tests.customers.test_care_in_screen_pop import PLANS, WANG

DAY = 86_400.0
WEEKLY_VOICE = {
    "channel": "voice",
    "purposes": ["care", "marketing"],
    "max_contacts": 1,
    "period_seconds": 7 * DAY,
}


def seed_wang(live: TestClient, boss: dict[str, str]) -> None:
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


def care(live: TestClient, headers: dict[str, str], **params: str) -> dict[str, object]:
    pop = ok(live.get("/api/screen-pop", params={"phone": "13900139000", **params}, headers=headers))
    return pop["sections"]["care"]  # type: ignore[no-any-return]


def test_the_screen_pop_holds_back_offers_over_the_tenants_cap(
    live: TestClient, live_clock: ManualClock
) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
    seed_wang(live, boss)
    assert [o["id"] for o in care(live, agent)["offers"]] == [
        "cheaper-plan",
        "family-bundle",
    ]  # defaults: 2 a week

    ok(live.put("/api/care/contact-caps", json={"caps": [WEEKLY_VOICE]}, headers=boss))
    first = care(live, agent, contact_id="c-1")
    assert [o["id"] for o in first["offers"]] == ["cheaper-plan"]
    reason = "contact-frequency cap: at most 1 care/marketing contacts by voice per 7 days"
    assert first["suppressed_offers"] == [{"id": "family-bundle", "reason": reason}]

    shown = {"customer_id": "wang-fang", "offer_id": "cheaper-plan", "outcome": "shown", "contact_id": "c-1"}
    ok(live.post("/api/care/offers/outcomes", json=shown, headers=agent), 201)
    # The same contact's pop shows the same offer again; another contact this week gets none.
    assert [o["id"] for o in care(live, agent, contact_id="c-1")["offers"]] == ["cheaper-plan"]
    later = care(live, agent, contact_id="c-2")
    assert later["offers"] == []
    assert [s["id"] for s in later["suppressed_offers"]] == ["cheaper-plan", "family-bundle"]

    live_clock.advance(7 * DAY)
    boss, agent = login(live, "boss"), login(live, "agent-bj")  # the sessions expired meanwhile
    assert [o["id"] for o in care(live, agent, contact_id="c-3")["offers"]] == ["cheaper-plan"]

    ok(live.put("/api/care/contact-caps", json={"caps": []}, headers=boss))  # no caps at all
    assert care(live, agent, contact_id="c-4")["suppressed_offers"] == []


def test_caps_are_read_by_all_set_by_admins_validated_and_audited(live: TestClient) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
    defaults = ok(live.get("/api/care/contact-caps", headers=agent))
    assert defaults["source"] == "default"
    assert {c["channel"] for c in defaults["caps"]} == {"voice", "chat", "email", "sms"}

    status, code, _ = error_of(
        live.put("/api/care/contact-caps", json={"caps": [WEEKLY_VOICE]}, headers=agent)
    )
    assert (status, code) == (403, "forbidden")
    for bad, field in (
        ({**WEEKLY_VOICE, "channel": "fax"}, "channel"),
        ({**WEEKLY_VOICE, "purposes": []}, "purposes"),
        ({**WEEKLY_VOICE, "purposes": ["transactional"]}, "purposes"),
        ({**WEEKLY_VOICE, "max_contacts": -1}, "max_contacts"),
        ({**WEEKLY_VOICE, "period_seconds": 0}, "period_seconds"),
    ):
        response = live.put("/api/care/contact-caps", json={"caps": [bad]}, headers=boss)
        assert error_of(response)[:2] == (422, "invalid-request")
        assert f"caps.0.{field}" in response.text, response.text

    saved = ok(live.put("/api/care/contact-caps", json={"caps": [WEEKLY_VOICE]}, headers=boss))
    assert (saved["source"], saved["caps"], saved["updated_by"]) == ("tenant", [WEEKLY_VOICE], "boss")
    assert ok(live.get("/api/care/contact-caps", headers=agent))["caps"] == [WEEKLY_VOICE]
    audit = ok(live.get("/api/audit", params={"entity": "contact-caps"}, headers=boss))
    assert [(e["action"], e["after"]["source"]) for e in audit] == [("update", "tenant")]
    assert audit[0]["before"]["source"] == "default"


def close_a_ticket(live: TestClient, agent: dict[str, str]) -> tuple[str, list[dict[str, object]]]:
    """A consultation for wang-fang, resolved and closed (which asks for a survey call): its id and the
    survey callbacks it scheduled."""
    body = {
        "type": "consultation",
        "subject": "Roaming prices",
        "customer_id": "wang-fang",
        "site_id": "beijing",
    }
    tid = ok(live.post("/api/tickets", json=body, headers=agent), 201)["id"]
    for name, fields in (("resolve", {"resolution": "Sent the price list"}), ("close", {})):
        ok(live.post(f"/api/tickets/{tid}/transitions", json={"name": name, "fields": fields}, headers=agent))
    outbox = ok(live.get(f"/api/tickets/{tid}/outbox", headers=agent))
    return tid, [o for o in outbox if o["kind"] == "callback" and o["template"] == "survey"]


def test_offers_shown_and_survey_calls_count_against_one_voice_cap(
    live: TestClient, live_clock: ManualClock
) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
    seed_wang(live, boss)
    ok(live.put("/api/care/contact-caps", json={"caps": [WEEKLY_VOICE]}, headers=boss))
    shown = {"customer_id": "wang-fang", "offer_id": "cheaper-plan", "outcome": "shown", "contact_id": "c-1"}
    ok(live.post("/api/care/offers/outcomes", json=shown, headers=agent), 201)

    # The offer made by voice this week uses the customer's one care call: no survey call on top.
    tid, surveys = close_a_ticket(live, agent)
    assert surveys == []
    history = ok(live.get(f"/api/tickets/{tid}/history", headers=agent))
    assert [e["data"]["reason"] for e in history if e["kind"] == "callback-suppressed"] == [
        "contact-frequency cap: at most 1 care/marketing contacts by voice per 7 days"
    ]

    live_clock.advance(8 * DAY)
    boss, agent = login(live, "boss"), login(live, "agent-bj")  # the sessions expired meanwhile
    _, surveys = close_a_ticket(live, agent)
    assert len(surveys) == 1
    live_clock.advance(DAY + 60)  # the survey call is due and made: it is this week's care call
    agent = login(live, "agent-bj")
    held = care(live, agent, contact_id="c-2")
    assert held["offers"] == []
    assert [s["id"] for s in held["suppressed_offers"]] == ["cheaper-plan", "family-bundle"]


def test_an_offer_made_in_an_sms_conversation_counts_against_the_care_sms_of_the_day(
    live: TestClient,
) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
    seed_wang(live, boss)
    daily_sms = {
        "channel": "sms",
        "purposes": ["care", "marketing"],
        "max_contacts": 1,
        "period_seconds": DAY,
    }
    ok(live.put("/api/care/contact-caps", json={"caps": [daily_sms]}, headers=boss))
    ok(live.patch("/api/customers/wang-fang", json={"consents": {"sms": True}}, headers=boss))
    sms = {"id": "sms-1", "queue": "billing", "site": "beijing", "channel": "sms", "customer": "wang-fang"}
    ok(live.post("/api/contacts", json=sms, headers=boss), 201)
    shown = {
        "customer_id": "wang-fang",
        "offer_id": "cheaper-plan",
        "outcome": "shown",
        "contact_id": "sms-1",
    }
    ok(live.post("/api/care/offers/outcomes", json=shown, headers=agent), 201)

    care_sms = {"channel": "sms", "to": "13900139000", "body": "生日快乐", "purpose": "care"}
    message = {**care_sms, "customer_id": "wang-fang", "cause": "birthday-2026"}
    queued = ok(live.post("/api/notifications", json=message, headers=boss), 201)
    assert (queued["status"], queued["last_error"]) == (
        "suppressed",
        "contact-frequency cap: at most 1 care/marketing contacts by sms per day",
    )
    owed = {**message, "purpose": "transactional", "cause": "bill-ready"}
    assert ok(live.post("/api/notifications", json=owed, headers=boss), 201)["status"] == "pending"
