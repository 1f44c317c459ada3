"""The notification outbox applies the tenant's SMS and email caps (`PUT /api/care/contact-caps`), the
same settings the screen pop's offers and the ticket desk's callbacks follow (SQLite and PostgreSQL)."""

from fastapi.testclient import TestClient

from tests.api.conftest import log_in

OFFER = {
    "channel": "sms",
    "to": "13800138000",
    "body": "新套餐优惠",
    "purpose": "marketing",
    "customer_id": "c-9",
}


def send(client: TestClient, headers: dict[str, str], cause: str) -> dict[str, object]:
    response = client.post("/api/notifications", json={**OFFER, "cause": cause}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_tenants_sms_caps_replace_the_defaults(client: TestClient) -> None:
    admin = log_in(client, "wang")
    three_a_day = {"channel": "sms", "purposes": ["marketing"], "max_contacts": 3, "period_seconds": 86400}
    caps = {"caps": [three_a_day, {**three_a_day, "channel": "voice"}]}
    assert client.put("/api/care/contact-caps", json=caps, headers=admin).status_code == 200
    assert [send(client, admin, f"offer-{n}")["status"] for n in range(4)] == [
        "pending",
        "pending",
        "pending",
        "suppressed",
    ]
    assert (
        send(client, admin, "offer-5")["last_error"]
        == "contact-frequency cap: at most 3 marketing contacts by sms per day"
    )

    no_sms = {"caps": [{**three_a_day, "max_contacts": 0}]}
    assert client.put("/api/care/contact-caps", json=no_sms, headers=admin).status_code == 200
    refused = send(client, admin, "offer-6")
    assert (refused["status"], refused["last_error"]) == (
        "suppressed",
        "contact-frequency cap: at most 0 marketing contacts by sms per day",
    )
