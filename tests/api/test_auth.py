"""Logging in and out over HTTP: bearer tokens and the session cookie, refusals, the failed-login limit,
expiry and revocation, on SQLite and PostgreSQL."""

from fastapi import FastAPI
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning

from baiying.api.app import create_app
from baiying.api.settings import Settings
from baiying.clock import ManualClock
from tests.api.conftest import FAST_PASSWORDS, PASSWORDS, T0, DatabaseState, error_of, log_in

TWELVE_HOURS = 12 * 3600


def test_login_gives_a_token_and_an_http_only_cookie(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"login": "chen", "password": PASSWORDS["chen"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_at"] == T0 + TWELVE_HOURS
    assert body["user"] == {
        "id": "chen",
        "tenant_id": "acme",
        "login": "chen",
        "display_name": "Chen Jie",
        "roles": [{"role": "supervisor", "site_id": "guangzhou", "agent_id": None}],
        "language": None,
    }
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("baiying_session=")
    for attribute in ("HttpOnly", "Max-Age=43200", "Path=/", "SameSite=lax"):
        assert attribute in cookie
    assert "Secure" not in cookie  # set BAIYING_COOKIE_SECURE=1 behind TLS
    assert client.cookies["baiying_session"] != body["token"]

    me = client.get("/api/me")  # the cookie alone
    assert me.status_code == 200, me.text
    assert me.json() == body["user"]
    client.cookies.clear()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"}).json() == body["user"]
    assert error_of(client.get("/api/me"))[:2] == (401, "unauthenticated")


def test_a_secure_cookie_when_configured(settings: Settings, clock: ManualClock) -> None:
    secure = Settings(database_url=settings.database_url, secret_key=settings.secret_key, cookie_secure=True)
    with TestClient(create_app(secure, clock=clock, passwords=FAST_PASSWORDS)) as client:
        response = client.post("/api/auth/login", json={"login": "chen", "password": PASSWORDS["chen"]})
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_unknown_login_and_inactive_user_get_the_same_401(client: TestClient) -> None:
    admin = log_in(client, "wang")
    assert client.patch("/api/users/zhou", json={"active": False}, headers=admin).status_code == 200
    attempts = [("chen", "not chen's password"), ("nobody", "whatever it is"), ("zhou", PASSWORDS["zhou"])]
    for login, password in attempts:
        response = client.post("/api/auth/login", json={"login": login, "password": password})
        assert error_of(response) == (401, "invalid-credentials", "wrong login or password")
        assert response.headers["www-authenticate"] == "Bearer"
        assert "set-cookie" not in response.headers


def test_five_failures_in_five_minutes_then_429_even_for_the_right_password(
    client: TestClient, clock: ManualClock
) -> None:
    for _ in range(5):
        wrong = client.post("/api/auth/login", json={"login": "chen", "password": "guessing..."})
        assert wrong.status_code == 401
        clock.advance(10)
    right = {"login": "chen", "password": PASSWORDS["chen"]}
    limited = client.post("/api/auth/login", json=right)
    assert error_of(limited) == (429, "rate-limited", "too many failed logins: try again in 250 s")
    assert limited.headers["retry-after"] == "250"
    assert limited.json()["error"]["details"] == {"retry_after_seconds": 250.0}
    clock.advance(250)
    assert client.post("/api/auth/login", json=right).status_code == 200


def test_one_client_guessing_at_many_logins_is_limited(client: TestClient) -> None:
    for login in ("a1", "a2", "a3", "a4", "a5"):
        assert client.post("/api/auth/login", json={"login": login, "password": "x"}).status_code == 401
    limited = client.post("/api/auth/login", json={"login": "wang", "password": PASSWORDS["wang"]})
    assert error_of(limited)[:2] == (429, "rate-limited")


def test_a_session_expires_after_twelve_hours(client: TestClient, clock: ManualClock) -> None:
    headers = log_in(client, "lina")
    clock.advance(TWELVE_HOURS)
    assert client.get("/api/me", headers=headers).status_code == 200
    clock.advance(1)
    assert error_of(client.get("/api/me", headers=headers)) == (
        401,
        "token-expired",
        "the session has expired: log in again",
    )


def test_logout_ends_the_session_for_its_token_and_its_cookie(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"login": "lina", "password": PASSWORDS["lina"]})
    token, cookie = response.json()["token"], client.cookies["baiying_session"]
    client.cookies.clear()
    other = log_in(client, "lina")  # another session of the same user

    logout = client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert logout.status_code == 204
    assert logout.content == b""
    assert 'baiying_session=""' in logout.headers["set-cookie"]
    assert "Max-Age=0" in logout.headers["set-cookie"]

    refused = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert error_of(refused) == (401, "unauthenticated", "the session was logged out: log in again")
    client.cookies.set("baiying_session", cookie)
    assert error_of(client.get("/api/me"))[:2] == (401, "unauthenticated")
    client.cookies.clear()
    assert client.get("/api/me", headers=other).status_code == 200
    assert client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_logout_needs_a_session(client: TestClient) -> None:
    assert error_of(client.post("/api/auth/logout"))[:2] == (401, "unauthenticated")


def test_tokens_do_not_stand_in_for_each_other_or_survive_forgery(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"login": "wang", "password": PASSWORDS["wang"]})
    token, cookie = response.json()["token"], client.cookies["baiying_session"]
    client.cookies.clear()
    cases: list[tuple[str | None, str | None]] = [  # (Authorization header, cookie)
        (f"Bearer {cookie}", None),  # a cookie value as a bearer token
        (None, token),  # a bearer token as a cookie
        (f"Bearer {token[:-2]}xx", None),  # a forged signature
        ("Bearer not-a-token", None),
        (f"Bearer {token}x", None),
        ("Bearer ", None),
        ("Bearer nope", cookie),  # a valid cookie does not rescue an invalid bearer token
    ]
    for authorization, cookie_value in cases:
        if cookie_value is not None:
            client.cookies.set("baiying_session", cookie_value)
        headers = {"Authorization": authorization} if authorization is not None else {}
        refused = client.get("/api/me", headers=headers)
        assert error_of(refused)[:2] == (401, "unauthenticated"), (authorization, cookie_value)
        client.cookies.clear()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_token_from_a_server_with_another_secret_is_refused(
    client: TestClient, settings: Settings, clock: ManualClock
) -> None:
    other_key = Settings(database_url=settings.database_url, secret_key="another-secret-" + "y" * 40)
    other: FastAPI = create_app(other_key, clock=clock, passwords=FAST_PASSWORDS)
    with TestClient(other) as other_client:
        headers = log_in(other_client, "wang")
    assert error_of(client.get("/api/me", headers=headers))[:2] == (401, "unauthenticated")


def test_a_new_password_or_deactivation_ends_the_users_sessions(client: TestClient) -> None:
    admin, agent, supervisor = log_in(client, "wang"), log_in(client, "lina"), log_in(client, "chen")
    assert (
        client.patch("/api/users/li-na", json={"password": "brand new password"}, headers=admin).status_code
        == 200
    )
    assert error_of(client.get("/api/me", headers=agent)) == (
        401,
        "unauthenticated",
        "the session is no longer valid: log in again",
    )
    relogin = client.post("/api/auth/login", json={"login": "lina", "password": "brand new password"})
    assert relogin.status_code == 200
    assert client.patch("/api/users/chen", json={"active": False}, headers=admin).status_code == 200
    assert client.get("/api/me", headers=supervisor).status_code == 401


def test_role_changes_apply_to_open_sessions_at_once(client: TestClient) -> None:
    admin, supervisor = log_in(client, "wang"), log_in(client, "chen")
    assert client.get("/api/sites/guangzhou", headers=supervisor).status_code == 200
    roles = {"roles": [{"role": "supervisor", "site_id": "beijing"}]}
    assert client.put("/api/users/chen/roles", json=roles, headers=admin).status_code == 200
    assert client.get("/api/sites/guangzhou", headers=supervisor).status_code == 403
    assert client.get("/api/sites/beijing", headers=supervisor).status_code == 200


def test_a_user_saves_their_language_and_each_login_brings_it_back(client: TestClient) -> None:
    lina = log_in(client, "lina")
    saved = client.patch("/api/me", json={"language": "zh"}, headers=lina)
    assert saved.status_code == 200, saved.text
    assert saved.json()["language"] == "zh"
    assert saved.headers["set-cookie"].startswith("baiying_lang=zh;")
    assert client.get("/api/me", headers=lina).json()["language"] == "zh"

    # A new browser: the login sets the language cookie from the account.
    client.cookies.clear()
    login = client.post("/api/auth/login", json={"login": "lina", "password": PASSWORDS["lina"]})
    assert login.json()["user"]["language"] == "zh"
    assert client.cookies["baiying_lang"] == "zh"
    assert 'lang="zh-CN"' in client.get("/login").text  # the cookie speaks before any login

    # The change is the user's own, in the audit log; admins see the language in the user list.
    wang = log_in(client, "wang")
    entries = client.get("/api/audit", params={"entity": "user", "entity_id": "li-na"}, headers=wang).json()
    assert (entries[0]["actor"], entries[0]["action"]) == ("li-na", "update")
    assert (entries[0]["before"]["language"], entries[0]["after"]["language"]) == (None, "zh")
    assert client.get("/api/users/li-na", headers=wang).json()["language"] == "zh"

    # Back to the browser's language: no cookie at the next login.
    back = client.patch("/api/me", json={"language": None}, headers=lina)
    assert back.status_code == 200
    assert back.json()["language"] is None
    assert 'baiying_lang=""' in back.headers["set-cookie"]
    client.cookies.clear()
    login = client.post("/api/auth/login", json={"login": "lina", "password": PASSWORDS["lina"]})
    assert login.json()["user"]["language"] is None
    assert "baiying_lang" not in client.cookies


def test_a_language_change_is_checked_and_needs_a_session(
    client: TestClient, database_state: DatabaseState
) -> None:
    chen = log_in(client, "chen")
    before = database_state()
    for body, field in (
        ({"language": "fr"}, "body.language"),
        ({}, "body.language"),
        ({"language": "en", "display_name": "Boss"}, "body.display_name"),
    ):
        response = client.patch("/api/me", json=body, headers=chen)
        assert error_of(response)[:2] == (422, "invalid-request"), body
        assert [p["field"] for p in response.json()["error"]["details"]["problems"]] == [field]
    assert error_of(client.patch("/api/me", json={"language": "en"}))[:2] == (401, "unauthenticated")
    assert database_state() == before
