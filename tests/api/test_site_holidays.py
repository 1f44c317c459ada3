"""A site's holidays over HTTP, on SQLite and PostgreSQL: admins replace them (audited), supervisors of the
site read them, bad dates and repeated dates are 422 naming the field, others get 403."""

from tests.api.conftest import DatabaseState, TestClient, error_of, log_in

NEW_YEAR = {"day": "2027-01-01", "name": "New Year"}
SPRING = {"day": "2027-02-06", "name": "春节"}


def test_an_admin_replaces_a_sites_holidays_and_the_change_is_audited(client: TestClient) -> None:
    admin = log_in(client, "wang")
    assert client.get("/api/sites/guangzhou/holidays", headers=admin).json() == []
    body = {"holidays": [SPRING, NEW_YEAR]}
    response = client.put("/api/sites/guangzhou/holidays", json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == [NEW_YEAR, SPRING]
    # Replacing keeps a date that stays, renames it, and drops the others.
    renamed = {"day": "2027-01-01", "name": "元旦"}
    response = client.put("/api/sites/guangzhou/holidays", json={"holidays": [renamed]}, headers=admin)
    assert response.json() == [renamed]
    supervisor = log_in(client, "chen")
    assert client.get("/api/sites/guangzhou/holidays", headers=supervisor).json() == [renamed]
    [latest, first] = client.get(
        "/api/audit", params={"entity": "site-holidays"}, headers=log_in(client, "wang")
    ).json()[:2]
    assert first["before"] == {}
    assert first["after"] == {"2027-01-01": "New Year", "2027-02-06": "春节"}
    assert (latest["before"], latest["after"]) == (first["after"], {"2027-01-01": "元旦"})
    assert latest["actor"] == "wang"


def test_bad_holidays_and_other_roles_change_nothing(
    client: TestClient, database_state: DatabaseState
) -> None:
    admin = log_in(client, "wang")
    before = database_state()
    cases = [
        ({"holidays": [{"day": "2027-02-30", "name": "x"}]}, 422, "invalid-request", "holidays.0.day"),
        ({"holidays": [NEW_YEAR, NEW_YEAR]}, 422, "invalid-record", "2027-01-01 given more than once"),
        ({"holidays": [{"day": "2027-01-01"}]}, 422, "invalid-request", "holidays.0.name"),
    ]
    for body, status, code, words in cases:
        response = client.put("/api/sites/guangzhou/holidays", json=body, headers=admin)
        assert error_of(response)[:2] == (status, code), response.text
        assert words in response.text
    response = client.put("/api/sites/atlantis/holidays", json={"holidays": []}, headers=admin)
    assert error_of(response)[0] == 404
    for login in ("chen", "lina"):
        response = client.put(
            "/api/sites/guangzhou/holidays", json={"holidays": [NEW_YEAR]}, headers=log_in(client, login)
        )
        assert error_of(response)[:2] == (403, "forbidden")
    assert error_of(client.get("/api/sites/beijing/holidays", headers=log_in(client, "chen")))[0] == 403
    assert database_state() == before
