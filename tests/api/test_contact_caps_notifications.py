"""The notification outbox applies the tenant's SMS and email caps (`PUT /api/care/contact-caps`), the
same settings the screen pop's offers and the ticket desk's callbacks follow, and the customer's consents
(SQLite and PostgreSQL)."""

from fastapi.testclient import TestClient

from tests.api.conftest import log_in

OFFER = {
    "channel": "sms",
    "to": "13800138000",
    "body": "新套餐优惠",
    "purpose": "marketing",
    "customer_id": "c-9",
}


def send_message(
    client: TestClient, headers: dict[str, str], message: dict[str, object]
) -> dict[str, object]:
    response = client.post("/api/notifications", json=message, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def send(client: TestClient, headers: dict[str, str], cause: str) -> dict[str, object]:
    return send_message(client, headers, {**OFFER, "cause": cause})


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


def test_care_and_marketing_need_the_customers_consent_and_what_is_owed_does_not(
    client: TestClient,
) -> None:
    admin = log_in(client, "wang")
    customer = {
        "id": "zhao-lei",
        "display_name": "赵磊",
        "contact_points": [
            {"kind": "phone", "value": "13700137000"},
            {"kind": "email", "value": "z@example.cn"},
        ],
        "consents": {"email": True},
    }
    assert client.post("/api/customers", json=customer, headers=admin).status_code == 201

    def status(cause: str, **message: str) -> tuple[object, object]:
        body = {"to": "13700137000", "channel": "sms", "body": "x", **message, "customer_id": "zhao-lei"}
        sent = send_message(client, admin, {**body, "cause": cause})
        return sent["status"], sent["last_error"]

    no_sms = "no consent: the customer has not agreed to sms"
    assert status("survey", purpose="care") == ("suppressed", no_sms)
    assert status("offer", purpose="marketing") == (
        "suppressed",
        "no consent: the customer has not agreed to sms or marketing",
    )
    assert status("dispatch", purpose="transactional") == ("pending", None)
    email = {"channel": "email", "to": "z@example.cn", "subject": "Hi"}
    assert status("newsletter", purpose="care", **email) == ("pending", None)
    assert status("promo", purpose="marketing", **email) == (
        "suppressed",
        "no consent: the customer has not agreed to marketing",
    )

    consent = {"consents": {"sms": True, "marketing": True}}
    assert client.patch("/api/customers/zhao-lei", json=consent, headers=admin).status_code == 200
    assert status("offer-again", purpose="marketing") == ("pending", None)
