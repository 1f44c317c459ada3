"""Care through the HTTP API: the plan catalogue, monthly usage, offer outcomes and their conversion
report, with precise 4xx for bad input."""

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import T0, error_of, log_in
from tests.api.test_admin import PLAN


def test_plans_are_created_replaced_and_listed(client: TestClient) -> None:
    admin = log_in(client, "wang")
    assert client.put("/api/care/plans/basic", json=PLAN, headers=admin).status_code == 201
    cheaper = client.put("/api/care/plans/basic", json={**PLAN, "monthly_fee_fen": 2900}, headers=admin)
    assert cheaper.status_code == 200
    listed = client.get("/api/care/plans", headers=log_in(client, "lina")).json()
    assert [(p["id"], p["monthly_fee_fen"]) for p in listed] == [("basic", 2900)]
    audit = client.get("/api/audit?entity=plan", headers=admin).json()
    assert sorted(e["action"] for e in audit) == ["create", "update"]


def test_usage_is_kept_per_month_and_replaced_when_billing_corrects_it(client: TestClient) -> None:
    admin = log_in(client, "wang")
    for month, data in (("2026-10", 2000), ("2026-09", 1500), ("2026-10", 2100)):
        response = client.put(
            f"/api/care/usage/p-1/{month}", json={"minutes": 80, "data_mb": data}, headers=admin
        )
        assert response.status_code == 200, response.text
    usage = client.get("/api/care/usage/p-1", headers=admin).json()
    assert [(u["month"], u["data_mb"]) for u in usage] == [("2026-09", 1500), ("2026-10", 2100)]


def test_conversion_counts_outcomes_per_offer(client: TestClient, clock: object) -> None:
    agent = log_in(client, "lina")
    for offer, outcome in [
        ("data-upgrade", "shown"),
        ("data-upgrade", "accepted"),
        ("data-upgrade", "shown"),
        ("data-upgrade", "declined"),
        ("family-bundle", "shown"),
        ("family-bundle", "later"),
    ]:
        body = {"customer_id": "c-1", "offer_id": offer, "outcome": outcome, "contact_id": "k-1"}
        assert client.post("/api/care/offers/outcomes", json=body, headers=agent).status_code == 201
    report = client.get(
        f"/api/care/offers/conversion?from={T0 - 1}&to={T0 + 1}", headers=log_in(client, "chen")
    )
    rows = {r["offer_id"]: r for r in report.json()}
    assert rows["data-upgrade"] == {
        "offer_id": "data-upgrade",
        "shown": 2,
        "accepted": 1,
        "declined": 1,
        "later": 0,
        "conversion_rate": 0.5,
    }
    assert rows["family-bundle"]["conversion_rate"] == 0.0
    empty = client.get(f"/api/care/offers/conversion?from={T0 + 10}&to={T0 + 20}", headers=agent)
    assert empty.json() == []


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("PUT", "/api/care/plans/basic", {**PLAN, "monthly_fee_fen": -1}, "invalid-request"),
        ("PUT", "/api/care/plans/basic", {**PLAN, "colour": "red"}, "invalid-request"),
        ("PUT", "/api/care/usage/p-1/2026-13", {"minutes": 1, "data_mb": 1}, "invalid-request"),
        (
            "POST",
            "/api/care/offers/outcomes",
            {"customer_id": "c", "offer_id": "o", "outcome": "maybe"},
            "invalid-request",
        ),
        ("GET", "/api/care/offers/conversion?from=10&to=5", None, "invalid-request"),
        ("DELETE", "/api/care/plans/none", None, "not-found"),
    ],
)
def test_bad_input_gets_a_precise_error(
    client: TestClient, method: str, path: str, body: object, code: str
) -> None:
    response = client.request(method, path, json=body, headers=log_in(client, "wang"))
    assert error_of(response)[1] == code
    assert response.status_code == (404 if code == "not-found" else 422)
