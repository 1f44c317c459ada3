"""The interaction timeline from the event log, repeat contacts, FCR and the screen pop, through live
contacts created over HTTP, on SQLite and PostgreSQL."""

from typing import Any

import pytest
from sqlalchemy.orm import Session

from baiying.api.routes.customer_timeline import SCREEN_POP_SECTIONS, PopContext
from baiying.clock import ManualClock
from baiying.storage.customer_tables import CustomerRow
from baiying.storage.engine import make_engine
from baiying.storage.tables import ContactRow
from tests.api.conftest import TestClient, error_of
from tests.api.test_live import arrive, login, ok
from tests.application.helpers import A1, T0

MINUTE = 60.0
LI_NA = {
    "id": "li-na",
    "display_name": "李娜",
    "site": "beijing",
    "contact_points": [
        {"kind": "phone", "value": "13800138000"},
        {"kind": "email", "value": "li.na@example.com"},
        {"kind": "chat", "value": "wechat:lina88"},
    ],
    "tier": "gold",
}


def customer_of(url: str, contact_id: str) -> str | None:
    """The customer the live engine stored on the contact (and in its contact-arrived event)."""
    engine = make_engine(url)
    with Session(engine) as session:
        row = session.get(ContactRow, {"tenant_id": "national", "id": contact_id})
        assert row is not None
        found = row.customer_id
    engine.dispose()
    return found


def handled(client: TestClient, clock: ManualClock, contact_id: str, minutes: float, **fields: Any) -> None:
    """A contact that agent A1 answers and completes `minutes` later."""
    admin, agent = login(client, "boss"), login(client, "agent-bj")
    created = arrive(client, admin, contact_id, **fields)
    assert created["agent"] == A1, created
    ok(client.post(f"/api/contacts/{contact_id}/accept", headers=agent))
    clock.advance(minutes * MINUTE)
    ok(client.post(f"/api/contacts/{contact_id}/complete", json={"wrap_up_code": "resolved"}, headers=agent))
    ok(client.post(f"/api/agents/{A1}/wrap-up/end", headers=agent))


def test_contacts_build_the_timeline_and_the_screen_pop(
    live: TestClient, live_clock: ManualClock, live_world: str
) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
    ok(live.post("/api/customers", json=LI_NA, headers=boss), 201)
    ok(
        live.post(
            "/api/customers/li-na/products",
            json={"id": "m1", "kind": "telecom", "name": "畅享58", "plan": "p58", "monthly_fee_cents": 5800},
            headers=boss,
        ),
        201,
    )
    ok(live.post(f"/api/agents/{A1}/login", headers=agent))

    # 10:00 a call from her mobile (written nationally) about billing, resolved; linked by the phone.
    handled(live, live_clock, "k1", 5, intent="billing", attributes={"phone": "138-0013-8000"})
    assert customer_of(live_world, "k1") == "li-na"
    # 10:42 a chat from her WeChat about billing, abandoned while ringing: unresolved.
    live_clock.set(live_clock.now() + 37 * MINUTE)
    arrive(live, boss, "k2", intent="billing", channel="chat", attributes={"chat_id": "wechat:lina88"})
    ok(live.post("/api/contacts/k2/cancel", headers=boss))
    # 11:00 a complaint call whose IVR identified her by account (her customer id).
    live_clock.advance(18 * MINUTE)
    handled(live, live_clock, "k3", 10, intent="complaint", customer="li-na")
    # A caller nobody knows is not in any timeline.
    handled(live, live_clock, "k4", 1, intent="billing", attributes={"phone": "13900139000"})

    timeline = ok(live.get("/api/customers/li-na/timeline", headers=boss))
    items = [
        (i["source_id"], i["channel"], i["topic"], i["outcome"], i["resolution"]) for i in timeline["items"]
    ]
    assert items == [
        ("k3", "voice", "complaint", "completed", "resolved"),
        ("k2", "chat", "billing", "abandoned", "unresolved"),
        ("k1", "voice", "billing", "completed", "resolved"),
    ]
    assert timeline["items"][2]["agent_id"] == A1
    assert timeline["counts"] == {"complaint": 1, "consultation": 0, "service": 0, "other": 2}
    assert (
        ok(live.get("/api/customers/li-na/timeline", params={"limit": 1}, headers=boss))["items"][0][
            "source_id"
        ]
        == "k3"
    )

    # 14:11 she calls again: the screen pop, before and after the contact is created.
    live_clock.set(live_clock.now() + 3 * 3600)
    pop = ok(live.get("/api/screen-pop", params={"phone": "+86 138 0013 8000"}, headers=agent))
    assert pop["found"]
    assert pop["lookup"] == {"kind": "phone", "value": "+8613800138000"}
    assert pop["customer"]["id"] == "li-na"
    assert pop["customer"]["tier"] == "gold"
    assert pop["banner"] == "4th contact today, last at 11:00 (complaint, resolved)"
    sections = pop["sections"]
    assert set(sections) == {"products", "interactions", "repeat_contact", "counts", "care", "open_tickets"}
    assert [p["id"] for p in sections["products"]] == ["m1"]
    assert [i["source_id"] for i in sections["interactions"]] == ["k3", "k2", "k1"]
    assert sections["counts"]["complaint"] == 1
    repeat = sections["repeat_contact"]
    assert (repeat["ordinal"], repeat["today"], repeat["is_repeat"]) == (4, 3, True)
    assert repeat["banners"] == {
        "en": "4th contact today, last at 11:00 (complaint, resolved)",
        "zh": "今天第4次联系，上次 11:00（complaint，已解决）",
    }
    arrive(live, boss, "k5", intent="billing", attributes={"phone": "13800138000"})
    during = ok(
        live.get(
            "/api/screen-pop",
            params={"phone": "13800138000", "contact_id": "k5", "lang": "zh"},
            headers=agent,
        )
    )
    assert during["banner"] == "今天第4次联系，上次 11:00（complaint，已解决）"
    by_email = ok(live.get("/api/screen-pop", params={"email": "LI.NA@example.com"}, headers=agent))
    assert by_email["banner"] == "5th contact today, last at 14:11 (billing, open)"
    assert ok(live.get("/api/screen-pop", params={"chat_id": "wechat:lina88"}, headers=agent))["found"]

    unknown = ok(live.get("/api/screen-pop", params={"phone": "13700137000"}, headers=agent))
    assert unknown == {
        "lookup": {"kind": "phone", "value": "+8613700137000"},
        "found": False,
        "customer": None,
        "banner": None,
        "sections": {},
    }
    assert error_of(live.get("/api/screen-pop", headers=agent)) == (
        422,
        "invalid-lookup",
        "give exactly one of phone, email and chat_id",
    )
    both = live.get("/api/screen-pop", params={"phone": "13800138000", "email": "a@b.cn"}, headers=agent)
    assert error_of(both)[:2] == (422, "invalid-lookup")
    assert error_of(live.get("/api/screen-pop", params={"phone": "12"}, headers=agent))[:2] == (
        422,
        "invalid-contact-point",
    )
    # An agent of another site may not pop her once the tenant restricts agents to their site.
    ok(live.put("/api/customer-settings", json={"agents_see_own_site_only": True}, headers=boss))
    gz = login(live, "agent-gz")
    assert error_of(live.get("/api/screen-pop", params={"phone": "13800138000"}, headers=gz)) == (
        403,
        "forbidden",
        "user 'agent-gz' may not read customer 'li-na'",
    )


def test_fcr_and_a_merge_moves_the_timeline(
    live: TestClient, live_clock: ManualClock, live_world: str
) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
    ok(live.post("/api/customers", json=LI_NA, headers=boss), 201)
    other = {
        "id": "lina-2",
        "display_name": "Li Na",
        "contact_points": [{"kind": "phone", "value": "13600136000"}],
    }
    ok(live.post("/api/customers", json=other, headers=boss), 201)
    ok(live.post(f"/api/agents/{A1}/login", headers=agent))
    start = live_clock.now()
    handled(live, live_clock, "f1", 5, intent="billing", customer="li-na")  # repeated by f2 within 72 h
    live_clock.advance(3600)
    handled(live, live_clock, "f2", 5, intent="billing", customer="li-na")  # never again: resolved
    handled(live, live_clock, "f3", 5, intent="roaming", attributes={"phone": "13600136000"})  # lina-2

    fcr = ok(live.get("/api/customers/fcr", params={"since": start}, headers=boss))
    assert (fcr["handled"], fcr["repeated"], fcr["pending"], fcr["window_hours"]) == (3, 1, 2, 72.0)
    assert fcr["rate"] == 0.0  # the only decided contact was repeated
    live_clock.advance(4 * 24 * 3600)
    boss, agent = login(live, "boss"), login(live, "agent-bj")  # the day's tokens have expired
    fcr = ok(live.get("/api/customers/fcr", params={"since": start}, headers=boss))
    assert (fcr["handled"], fcr["resolved_first_time"], fcr["repeated"], fcr["pending"]) == (3, 2, 1, 0)
    assert abs(fcr["rate"] - 2 / 3) < 1e-9
    assert error_of(live.get("/api/customers/fcr", params={"since": start}, headers=agent))[:2] == (
        403,
        "forbidden",
    )
    too_long = live.get("/api/customers/fcr", params={"since": start - 400 * 86_400}, headers=boss)
    assert error_of(too_long) == (
        422,
        "invalid-lookup",
        "the period is longer than 366 days: ask for a year at most",
    )
    empty = live.get("/api/customers/fcr", params={"since": start, "until": start}, headers=boss)
    assert error_of(empty)[:2] == (
        422,
        "invalid-lookup",
    )

    merged = ok(live.post("/api/customers/li-na/merge", json={"merged": "lina-2"}, headers=boss))
    assert merged["moved"] == {
        "contact_points": 1,
        "products": 0,
        "interactions": 1,
        "contacts": 1,
        "tickets": 0,
    }
    timeline = ok(live.get("/api/customers/li-na/timeline", headers=boss))
    assert [i["source_id"] for i in timeline["items"]] == ["f3", "f2", "f1"]
    assert ok(live.get("/api/customers/lina-2/timeline", headers=boss))["items"] == []
    assert customer_of(live_world, "f3") == "li-na"
    # A later event of a merged customer's contact lands on the survivor too.
    handled(live, live_clock, "f4", 1, intent="roaming", customer="lina-2")
    assert ok(live.get("/api/customers/li-na/timeline", headers=boss))["items"][0]["source_id"] == "f4"


def test_other_modules_add_screen_pop_sections(live: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    boss = login(live, "boss")
    ok(live.post("/api/customers", json=LI_NA, headers=boss), 201)

    def loyalty(
        session: Session, tenant_id: str, customer: CustomerRow, pop: PopContext
    ) -> list[dict[str, Any]]:
        return [{"customer": customer.id, "tenant": tenant_id, "at": pop.now, "lang": pop.lang}]

    monkeypatch.setitem(SCREEN_POP_SECTIONS, "loyalty", loyalty)
    pop = ok(live.get("/api/screen-pop", params={"phone": "13800138000", "lang": "zh"}, headers=boss))
    assert pop["sections"]["loyalty"] == [{"customer": "li-na", "tenant": "national", "at": T0, "lang": "zh"}]


def test_tickets_and_messages_sent_join_the_timeline(live: TestClient, live_clock: ManualClock) -> None:
    boss, agent = login(live, "boss"), login(live, "agent-bj")
    ok(live.post("/api/customers", json=LI_NA, headers=boss), 201)
    ok(live.post(f"/api/agents/{A1}/login", headers=agent))
    handled(live, live_clock, "k1", 5, intent="billing", customer="li-na")
    live_clock.advance(10 * MINUTE)
    ticket = {
        "type": "complaint",
        "level": 1,
        "subject": "Billed twice",
        "customer_id": "li-na",
        "site_id": "beijing",
    }
    tid = ok(live.post("/api/tickets", json=ticket, headers=boss), 201)["id"]
    live_clock.advance(MINUTE)
    sms = {
        "channel": "sms",
        "to": "13800138000",
        "body": "已收到您的投诉",
        "customer_id": "li-na",
        "cause": "ack",
    }
    ok(live.post("/api/notifications", json=sms, headers=boss), 201)
    live_clock.advance(MINUTE)
    offer = {**sms, "purpose": "marketing", "cause": "offer"}  # no marketing consent: held back
    ok(live.post("/api/notifications", json=offer, headers=boss), 201)

    timeline = ok(live.get("/api/customers/li-na/timeline", headers=boss))
    items = [
        (i["source"], i["channel"], i["category"], i["outcome"], i["resolution"]) for i in timeline["items"]
    ]
    assert items == [
        ("message", "sms", "other", "suppressed", None),
        ("message", "sms", "other", "pending", None),
        ("ticket", "ticket", "complaint", "recorded", "unresolved"),
        ("contact", "voice", "other", "completed", "resolved"),
    ]
    assert timeline["items"][2]["source_id"] == tid
    assert timeline["items"][2]["topic"] == "Billed twice"
    assert timeline["counts"] == {"complaint": 0, "consultation": 0, "service": 0, "other": 1}  # contacts
    latest = ok(live.get("/api/customers/li-na/timeline", params={"limit": 2}, headers=boss))["items"]
    assert [i["source"] for i in latest] == ["message", "message"]
    after_ticket = timeline["items"][2]["at"] + 1
    since = ok(live.get("/api/customers/li-na/timeline", params={"since": after_ticket}, headers=boss))
    assert [i["source"] for i in since["items"]] == ["message", "message"]
