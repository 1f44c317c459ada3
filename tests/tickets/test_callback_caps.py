"""Survey callbacks respect the tenant's contact-frequency caps (SQLite and PostgreSQL): one over the cap is
not scheduled, and the ticket's history says why; owed callbacks (appointment reminders) are never capped."""

from baiying.clock import ManualClock
from tests.tickets.conftest import TestClient, Users, ok
from tests.tickets.test_api import HOUR, create, move

DAY = 24 * HOUR
ONE_CARE_CALL_A_WEEK = {
    "channel": "voice",
    "purposes": ["care"],
    "max_contacts": 1,
    "period_seconds": 7 * DAY,
}


def close(client: TestClient, users: Users, customer_id: str) -> str:
    tid = create(client, users["lina"], customer_id=customer_id)["id"]
    ok(move(client, users["lina"], tid, "resolve", resolution="Explained the bill"))
    ok(move(client, users["lina"], tid, "close"))
    return tid  # type: ignore[no-any-return]


def surveys(client: TestClient, users: Users, tid: str) -> list[float]:
    outbox = ok(client.get(f"/api/tickets/{tid}/outbox", headers=users["lina"]))
    return [o["due_at"] for o in outbox if o["kind"] == "callback" and o["template"] == "survey"]


def test_a_second_survey_call_in_a_week_is_suppressed_with_its_reason(
    client: TestClient, users: Users, clock: ManualClock
) -> None:
    ok(client.put("/api/care/contact-caps", json={"caps": [ONE_CARE_CALL_A_WEEK]}, headers=users["wang"]))
    first = close(client, users, "cus-42")
    assert len(surveys(client, users, first)) == 1
    clock.advance(2 * DAY)
    second = close(client, users, "cus-42")
    assert surveys(client, users, second) == []
    history = ok(client.get(f"/api/tickets/{second}/history", headers=users["lina"]))
    suppressed = [e for e in history if e["kind"] == "callback-suppressed"]
    assert [(e["data"]["purpose"], e["data"]["reason"]) for e in suppressed] == [
        ("survey", "contact-frequency cap: at most 1 care contacts by voice per 7 days")
    ]
    assert len(surveys(client, users, close(client, users, "cus-7"))) == 1  # another customer

    clock.advance(6 * DAY)  # a week after the first survey call
    assert len(surveys(client, users, close(client, users, "cus-42"))) == 1


def test_with_the_default_caps_two_surveys_a_week_are_made(client: TestClient, users: Users) -> None:
    assert all(len(surveys(client, users, close(client, users, "cus-42"))) == 1 for _ in range(2))
    assert surveys(client, users, close(client, users, "cus-42")) == []
