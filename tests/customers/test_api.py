"""Customers over HTTP: CRUD with contact points and products, role checks and PII masking, CSV import,
duplicates and merge, on SQLite and PostgreSQL."""

import re
from typing import Any

from baiying.clock import ManualClock
from baiying.tickets.history import replay
from tests.api.conftest import TestClient, error_of
from tests.api.test_live import login, ok

LI_NA = {
    "id": "li-na",
    "display_name": "李娜",
    "contact_points": [
        {"kind": "phone", "value": "138 0013 8000", "label": "mobile"},
        {"kind": "email", "value": "Li.Na@Example.com"},
        {"kind": "chat", "value": "wechat:lina88"},
    ],
    "region": "Guangdong",
    "language": "zh",
    "dialect": "yue",
    "tier": "gold",
    "birthday": "1990-05-17",
    "site": "guangzhou",
    "consents": {"sms": True},
}


def create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(client.post("/api/customers", json=body, headers=headers), 201)
    return created


def test_customers_and_products_through_the_api(live: TestClient) -> None:
    boss = login(live, "boss")
    made = create(live, boss, **LI_NA)
    assert made["contact_points"] == [
        {"kind": "phone", "value": "+8613800138000", "label": "mobile"},
        {"kind": "email", "value": "li.na@example.com", "label": ""},
        {"kind": "chat", "value": "wechat:lina88", "label": ""},
    ]
    assert made["consents"] == {"marketing": False, "sms": True, "email": False, "calls": False}
    assert (made["site"], made["birthday"], made["merged_into"], made["masked"]) == (
        "guangzhou",
        "1990-05-17",
        None,
        False,
    )
    assert ok(live.get("/api/customers/li-na", headers=boss)) == made

    taken = live.post(
        "/api/customers",
        json={"display_name": "Other", "contact_points": [{"kind": "phone", "value": "+86 13800138000"}]},
        headers=boss,
    )
    assert error_of(taken) == (
        409,
        "contact-point-taken",
        "+8613800138000 already belongs to customer 'li-na'",
    )
    bad = live.post(
        "/api/customers",
        json={"display_name": "Bad", "contact_points": [{"kind": "phone", "value": "12345"}]},
        headers=boss,
    )
    assert error_of(bad) == (
        422,
        "invalid-contact-point",
        "'12345' is not a valid CN phone number (read as +86 12345)",
    )
    assert error_of(live.get("/api/customers/nobody", headers=boss)) == (
        404,
        "unknown-customer",
        "no customer 'nobody'",
    )
    assert error_of(live.post("/api/customers", json={"display_name": "X", "site": "mars"}, headers=boss))[
        :2
    ] == (
        409,
        "conflict",
    )

    changed = ok(
        live.patch(
            "/api/customers/li-na", json={"tier": "platinum", "consents": {"marketing": True}}, headers=boss
        )
    )
    # Consents left out of a patch are kept.
    assert (changed["tier"], changed["consents"]["marketing"], changed["consents"]["sms"]) == (
        "platinum",
        True,
        True,
    )
    assert error_of(live.patch("/api/customers/li-na", json={"display_name": None}, headers=boss))[:2] == (
        422,
        "invalid-request",
    )
    added = ok(
        live.post(
            "/api/customers/li-na/contact-points",
            json={"kind": "phone", "value": "020 8888 1234"},
            headers=boss,
        ),
        201,
    )
    assert [p["value"] for p in added["contact_points"]][-1] == "+862088881234"
    removed = ok(live.delete("/api/customers/li-na/contact-points/phone/(020) 8888-1234", headers=boss))
    assert "+862088881234" not in [p["value"] for p in removed["contact_points"]]

    plan = {
        "id": "mobile-1",
        "kind": "telecom",
        "name": "畅享 58",
        "plan": "unlimited-58",
        "monthly_fee_cents": 5800,
        "minutes_allowance": 500,
        "data_allowance_mb": 30720,
        "minutes_used": 120,
    }
    product = ok(live.post("/api/customers/li-na/products", json=plan, headers=boss), 201)
    assert (product["kind"], product["monthly_fee_cents"], product["model"]) == ("telecom", 5800, None)
    fridge = {
        "id": "fridge-1",
        "kind": "appliance",
        "name": "Fridge",
        "model": "BCD-470",
        "serial": "SN-1",
        "purchase_date": "2024-03-01",
        "warranty_end": "2027-03-01",
        "product_tier": "premium",
    }
    ok(live.post("/api/customers/li-na/products", json=fridge, headers=boss), 201)
    wrong = live.post("/api/customers/li-na/products", json={**fridge, "id": "x", "plan": "p"}, headers=boss)
    assert error_of(wrong) == (
        422,
        "invalid-request",
        "body: Value error, plan do not apply to a appliance product",
    )
    backwards = live.post(
        "/api/customers/li-na/products",
        json={**fridge, "id": "y", "warranty_end": "2020-01-01"},
        headers=boss,
    )
    assert error_of(backwards)[2] == "body: Value error, warranty_end is before purchase_date"
    used = ok(
        live.patch(
            "/api/customers/li-na/products/mobile-1",
            json={"minutes_used": 480, "data_used_mb": 20000},
            headers=boss,
        )
    )
    assert (used["minutes_used"], used["data_used_mb"]) == (480, 20000)
    assert [p["id"] for p in ok(live.get("/api/customers/li-na/products", headers=boss))] == [
        "fridge-1",
        "mobile-1",
    ]
    assert live.delete("/api/customers/li-na/products/fridge-1", headers=boss).status_code == 204
    assert error_of(live.patch("/api/customers/li-na/products/fridge-1", json={}, headers=boss)) == (
        404,
        "unknown-product",
        "customer 'li-na' has no product 'fridge-1'",
    )
    kinds = [e["kind"] for e in ok(live.get("/api/customers/li-na/events", headers=boss))]
    assert kinds == ["customer-created", "customer-updated"]
    assert live.delete("/api/customers/li-na", headers=boss).status_code == 204
    assert error_of(live.get("/api/customers/li-na", headers=boss))[:2] == (404, "unknown-customer")


def test_who_sees_which_customers_and_their_pii(live: TestClient) -> None:
    boss, sup, agent_gz, agent_bj = (login(live, u) for u in ("boss", "sup-gz", "agent-gz", "agent-bj"))
    create(live, boss, **LI_NA)
    create(
        live,
        boss,
        id="wang-fang",
        display_name="Wang Fang",
        site="beijing",
        contact_points=[{"kind": "phone", "value": "13900139000"}],
    )
    create(live, boss, id="nobody-site", display_name="Zhao Lei")

    def listed(headers: dict[str, str], **query: Any) -> list[dict[str, Any]]:
        page = ok(live.get("/api/customers", params=query, headers=headers))
        assert page["total"] == len(page["items"]) or "limit" in query
        items: list[dict[str, Any]] = page["items"]
        return items

    everyone = listed(boss)
    assert [c["id"] for c in everyone] == ["li-na", "nobody-site", "wang-fang"]
    assert everyone[0]["display_name"] == "李娜"
    assert not everyone[0]["masked"]
    # A supervisor sees their site's customers and those of no site, masked (PII is the admin's by default).
    seen = listed(sup)
    assert [c["id"] for c in seen] == ["li-na", "nobody-site"]
    assert (seen[0]["display_name"], seen[0]["birthday"], seen[0]["masked"]) == ("李*", None, True)
    assert [p["value"] for p in seen[0]["contact_points"]] == [
        "+86138****8000",
        "l***@example.com",
        "wech***",
    ]
    assert error_of(live.get("/api/customers/wang-fang", headers=sup)) == (
        403,
        "forbidden",
        "user 'sup-gz' may not read customer 'wang-fang'",
    )
    # Opened one at a time, a customer is shown in full.
    assert ok(live.get("/api/customers/li-na", headers=sup))["contact_points"][0]["value"] == "+8613800138000"
    # Agents see the whole tenant until the tenant restricts them to their site.
    assert [c["id"] for c in listed(agent_gz)] == ["li-na", "nobody-site", "wang-fang"]
    assert listed(agent_gz, q="wang")[0]["display_name"] == "W********"
    settings = {"agents_see_own_site_only": True, "pii_roles": ["admin", "supervisor"]}
    assert ok(live.put("/api/customer-settings", json=settings, headers=boss))["pii_roles"] == [
        "admin",
        "supervisor",
    ]
    assert [c["id"] for c in listed(agent_gz)] == ["li-na"]
    assert [c["id"] for c in listed(agent_bj)] == ["wang-fang"]
    assert error_of(live.get("/api/customers/li-na", headers=agent_bj))[:2] == (403, "forbidden")
    assert listed(sup)[0]["display_name"] == "李娜"  # supervisors now see PII in lists
    assert listed(boss, q="李", limit=1, offset=0)[0]["id"] == "li-na"
    assert [c["id"] for c in listed(boss, contact="138-0013-8000")] == ["li-na"]
    assert [c["id"] for c in listed(boss, contact="LI.NA@example.com")] == ["li-na"]
    assert [c["id"] for c in listed(boss, contact="wechat:lina88")] == ["li-na"]
    assert listed(boss, contact="13700137000") == []
    assert listed(agent_bj, contact="13800138000") == []  # not a customer of their site

    # What each role may change.
    assert error_of(live.post("/api/customers", json={"display_name": "X"}, headers=agent_gz)) == (
        403,
        "forbidden",
        "user 'agent-gz' may not create customers",
    )
    fixed = ok(live.patch("/api/customers/li-na", json={"language": "en"}, headers=agent_gz))
    assert fixed["language"] == "en"
    assert error_of(live.patch("/api/customers/li-na", json={"site": "beijing"}, headers=agent_gz))[:2] == (
        403,
        "forbidden",
    )
    assert error_of(live.post("/api/customers", json={"display_name": "X", "site": "beijing"}, headers=sup))[
        :2
    ] == (
        403,
        "forbidden",
    )
    ok(live.post("/api/customers", json={"display_name": "X", "site": "guangzhou"}, headers=sup), 201)
    for method, path in (
        ("delete", "/api/customers/li-na"),
        ("post", "/api/customers/li-na/merge"),
        ("get", "/api/customers/duplicates"),
        ("get", "/api/customer-settings"),
    ):
        response = live.request(
            method, path, json={"merged": "nobody-site"} if method == "post" else None, headers=sup
        )
        assert error_of(response)[:2] == (403, "forbidden"), path
    assert error_of(live.get("/api/customers"))[:2] == (401, "unauthenticated")
    bad_zone = live.put("/api/customer-settings", json={"timezone": "Mars/Olympus"}, headers=boss)
    assert error_of(bad_zone) == (
        422,
        "invalid-record",
        "unknown time zone 'Mars/Olympus' (use an IANA name such as Asia/Shanghai)",
    )


def test_import_over_http_lists_rejected_rows(live: TestClient) -> None:
    boss = login(live, "boss")
    csv = "Name,Mobile,Site\nLi Na,13800138000,guangzhou\n,13900139000,\nWang,12,\nZhao,13700137000,mars\n"
    mapping = {"name_column": "Name", "phone_columns": ["Mobile"], "site_column": "Site"}
    report = ok(live.post("/api/customers/import", json={"csv": csv, "mapping": mapping}, headers=boss))
    assert (report["rows_read"], report["created"], report["updated"], report["rejected"]) == (4, 1, 0, 3)
    assert report["rejected_rows"][:2] == [
        {"line": 3, "field": "Name", "reason": "the name is empty"},
        {"line": 4, "field": "Mobile", "reason": "'12' is not a valid CN phone number (read as +86 12)"},
    ]
    last = report["rejected_rows"][2]
    assert (last["line"], last["field"]) == (5, "")
    assert re.fullmatch(r"customer 'c-[0-9a-f]{16}' refers to a record that does not exist", last["reason"])
    again = ok(
        live.post(
            "/api/customers/import", json={"csv": csv, "mapping": mapping, "dry_run": True}, headers=boss
        )
    )
    assert (again["created"], again["updated"], again["dry_run"]) == (0, 1, True)
    broken = live.post(
        "/api/customers/import",
        json={"csv": csv, "mapping": {"name_column": "Name", "phone": "Mobile"}},
        headers=boss,
    )
    status, code, message = error_of(broken)
    assert (status, code) == (422, "invalid-config")
    assert message == "mapping: phone: unknown field (check the spelling)"
    as_yaml = live.post(
        "/api/customers/import",
        json={"csv": csv, "mapping_yaml": "name_column: Name\nphone: Mobile\n"},
        headers=boss,
    )
    assert error_of(as_yaml) == (
        422,
        "invalid-config",
        "mapping_yaml:2: phone: unknown field (check the spelling)",
    )
    both = live.post(
        "/api/customers/import", json={"csv": csv, "mapping": mapping, "mapping_yaml": ""}, headers=boss
    )
    assert error_of(both)[2] == "body: Value error, give exactly one of mapping and mapping_yaml"
    missing = live.post(
        "/api/customers/import", json={"csv": csv, "mapping": {"name_column": "Nom"}}, headers=boss
    )
    assert error_of(missing) == (
        422,
        "invalid-customer-import",
        "request: column 'Nom' (from name_column) is not in the header; columns are: Name, Mobile, Site",
    )
    assert error_of(
        live.post(
            "/api/customers/import", json={"csv": csv, "mapping": mapping}, headers=login(live, "agent-gz")
        )
    )[:2] == (
        403,
        "forbidden",
    )


def test_duplicates_and_merge(live: TestClient, live_clock: ManualClock) -> None:
    boss = login(live, "boss")
    create(live, boss, **LI_NA)
    create(
        live,
        boss,
        id="lina-shop",
        display_name="Li Na (shop)",
        contact_points=[
            {"kind": "email", "value": "li.na+shop@example.com"},
            {"kind": "phone", "value": "13700137000"},
        ],
        segment="consumer",
        consents={"sms": False, "marketing": True},
    )
    create(live, boss, id="li-na-2", display_name="李 娜", birthday="1990-05-17")
    create(live, boss, id="other", display_name="Someone", birthday="1990-05-17")
    dups = ok(live.get("/api/customers/li-na/duplicates", headers=boss))
    assert dups == [
        {
            "first": "li-na",
            "second": "li-na-2",
            "reasons": ["similar names (1.00)", "same birthday 1990-05-17"],
            "score": 1.0,
        },
        {"first": "li-na", "second": "lina-shop", "reasons": ["same email li.na@example.com"], "score": 1.0},
    ]
    scan = ok(live.get("/api/customers/duplicates", headers=boss))
    assert {(p["first"], p["second"]) for p in scan} == {("li-na", "lina-shop"), ("li-na", "li-na-2")}

    ticket = {"type": "repair", "subject": "Shop router", "customer_id": "lina-shop", "site_id": "beijing"}
    tid = ok(live.post("/api/tickets", json=ticket, headers=boss), 201)["id"]

    live_clock.advance(60)
    merged = ok(live.post("/api/customers/li-na/merge", json={"merged": "lina-shop"}, headers=boss))
    assert merged["moved"] == {
        "contact_points": 2,
        "products": 0,
        "interactions": 0,
        "contacts": 0,
        "tickets": 1,
    }
    # The ticket follows the survivor, the change in its history.
    assert ok(live.get(f"/api/tickets/{tid}", headers=boss))["customer_id"] == "li-na"
    history = ok(live.get(f"/api/tickets/{tid}/history", headers=boss))
    assert replay((e["kind"], e["data"]) for e in history)["customer_id"] == "li-na"  # the log says so too
    last = history[-1]
    assert (last["kind"], last["actor"], last["data"]) == (
        "customer-merged",
        "boss",
        {"before": {"customer_id": "lina-shop"}, "after": {"customer_id": "li-na"}},
    )
    assert merged["filled"] == ["segment"]
    survivor = merged["survivor"]
    assert [p["value"] for p in survivor["contact_points"]] == [
        "+8613800138000",
        "li.na@example.com",
        "wechat:lina88",
        "li.na+shop@example.com",
        "+8613700137000",
    ]
    # A refusal on either record wins: the shop record refused SMS, li-na refused marketing.
    assert survivor["consents"] == {"marketing": False, "sms": False, "email": False, "calls": False}
    gone = ok(live.get("/api/customers/lina-shop", headers=boss))
    assert (gone["merged_into"], gone["contact_points"]) == ("li-na", [])
    assert "lina-shop" not in [c["id"] for c in ok(live.get("/api/customers", headers=boss))["items"]]
    events = ok(live.get("/api/customers/li-na/events", headers=boss))
    assert events[-1]["kind"] == "customer-merged"
    assert events[-1]["data"]["merged_id"] == "lina-shop"
    assert events[-1]["actor"] == "boss"
    assert ok(live.get("/api/customers/lina-shop/events", headers=boss))[-1]["data"]["fields"] == [
        "merged_into"
    ]
    # The survivor is found by the merged record's contact points.
    pop = ok(live.get("/api/screen-pop", params={"phone": "13700137000"}, headers=boss))
    assert pop["customer"]["id"] == "li-na"
    assert [t["id"] for t in pop["sections"]["open_tickets"]] == [tid]

    again = live.post("/api/customers/li-na/merge", json={"merged": "lina-shop"}, headers=boss)
    assert error_of(again) == (409, "invalid-merge", "customer 'lina-shop' was already merged into 'li-na'")
    self_merge = live.post("/api/customers/li-na/merge", json={"merged": "li-na"}, headers=boss)
    assert error_of(self_merge) == (409, "invalid-merge", "customer 'li-na' cannot be merged with itself")
    audit = ok(live.get("/api/audit", params={"entity": "customer", "entity_id": "li-na"}, headers=boss))
    assert "merge" in [entry["action"] for entry in audit]
