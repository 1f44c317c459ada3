"""Errors leave the API as `{"error": {"code", "message", "details"}}` with the status of the one table;
a malformed or hostile body gets a 4xx, never a 500."""

import importlib
import pkgutil
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import DataError

import baiying
from baiying.api.errors import CODE_BY_FRAMEWORK_STATUS, STATUS_BY_CODE, UNLISTED_DOMAIN_ERROR_STATUS
from baiying.errors import DomainError
from tests.api.conftest import error_of, log_in, sqlite_only

# Modules not to import while looking for error classes: the entry point runs the CLI, and Alembic's
# env script runs migrations.
NOT_IMPORTABLE = ("baiying.__main__", "baiying.storage.migrations")


def all_domain_errors() -> set[type[DomainError]]:
    for module in pkgutil.walk_packages(baiying.__path__, "baiying."):
        if not module.name.startswith(NOT_IMPORTABLE):
            importlib.import_module(module.name)
    found: set[type[DomainError]] = set()
    pending = [DomainError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.add(subclass)
            pending.append(subclass)
    return found


def test_every_domain_error_code_has_a_status() -> None:
    unlisted = sorted(
        f"{e.__module__}.{e.__qualname__}: {e.code}"
        for e in all_domain_errors()
        if e.code not in STATUS_BY_CODE
    )
    assert unlisted == [], "add these codes to STATUS_BY_CODE in baiying/api/errors.py"


def test_framework_codes_agree_with_the_table() -> None:
    for status, code in CODE_BY_FRAMEWORK_STATUS.items():
        assert STATUS_BY_CODE[code] == status
    assert all(400 <= status <= 599 for status in STATUS_BY_CODE.values())


MALFORMED = [
    (b"{", "Expecting property name enclosed in double quotes", 1),
    (b'{"login": "wang",}', "Expecting property name enclosed in double quotes", 17),
    (b'{"login": "wang" "password": "x"}', "Expecting ',' delimiter", 17),
    (b"not json at all", "Expecting value", 0),
]


@sqlite_only
def test_malformed_json_is_400_naming_where(client: TestClient) -> None:
    for body, reason, position in MALFORMED:
        response = client.post("/api/auth/login", content=body, headers={"Content-Type": "application/json"})
        assert error_of(response) == (
            400,
            "malformed-json",
            f"the request body is not valid JSON: {reason} at character {position}",
        )
        assert response.json()["error"]["details"] == {"position": position, "reason": reason}


@sqlite_only
def test_validation_errors_name_each_field_path(client: TestClient) -> None:
    admin = log_in(client, "wang")
    response = client.post(
        "/api/users",
        json={"id": "bad id!", "login": "x", "display_name": "", "roles": [{"role": "boss"}], "extra": 1},
        headers=admin,
    )
    status, code, message = error_of(response)
    assert (status, code) == (422, "invalid-request")
    problems = response.json()["error"]["details"]["problems"]
    assert [p["field"] for p in problems] == [
        "body.id",
        "body.display_name",
        "body.roles.0.role",
        "body.extra",
    ]
    assert problems[-1] == {
        "field": "body.extra",
        "reason": "Extra inputs are not permitted",
        "type": "extra_forbidden",
    }
    assert message.startswith("body.id: String should match pattern ")
    assert "; body.roles.0.role: Input should be 'admin', 'supervisor' or 'agent'; " in message


SITE_MISTAKES: list[tuple[dict[str, Any], str, str]] = [
    (
        {"id": "x", "name": "X", "timezone": "Mars/Olympus"},
        "body.timezone",
        "Value error, unknown time zone 'Mars/Olympus' (e.g. Asia/Shanghai)",
    ),
    (
        {"id": "x", "name": "X", "opens_minute": 480},
        "body",
        "Value error, give both opens_minute and closes_minute, or neither (open 24x7)",
    ),
    (
        {"id": "x", "name": "X", "opens_minute": 480, "closes_minute": 2000},
        "body.closes_minute",
        "Input should be less than or equal to 1440",
    ),
    (
        {"id": "x", "name": "X", "hq": "perhaps"},
        "body.hq",
        "Input should be a valid boolean, unable to interpret input",
    ),
]


@sqlite_only
def test_site_fields_are_validated(client: TestClient) -> None:
    admin = log_in(client, "wang")
    for body, field, reason in SITE_MISTAKES:
        response = client.post("/api/sites", json=body, headers=admin)
        assert error_of(response)[:2] == (422, "invalid-request")
        problems = response.json()["error"]["details"]["problems"]
        assert [(p["field"], p["reason"]) for p in problems] == [(field, reason)]


@sqlite_only
def test_a_patch_cannot_null_a_required_field(client: TestClient) -> None:
    response = client.patch("/api/sites/beijing", json={"name": None}, headers=log_in(client, "wang"))
    assert error_of(response) == (422, "invalid-request", "body: Value error, name may not be null")


@sqlite_only
def test_a_body_that_is_not_declared_json_is_not_read_as_json(client: TestClient) -> None:
    # A cross-site form can post text/plain without a CORS preflight; it must not pass for JSON.
    response = client.post(
        "/api/auth/login",
        content=b'{"login": "wang", "password": "x"}',
        headers={"Content-Type": "text/plain"},
    )
    assert error_of(response)[:2] == (422, "invalid-request")


@sqlite_only
def test_framework_errors_are_json_too(client: TestClient) -> None:
    assert error_of(client.get("/api/nothing-here")) == (404, "not-found", "Not Found")
    assert error_of(client.delete("/healthz")) == (405, "method-not-allowed", "Method Not Allowed")
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/api/auth/login", content=deep, headers={"Content-Type": "application/json"})
    assert error_of(response) == (400, "bad-request", "There was an error parsing the body")


@sqlite_only
def test_too_large_a_body_is_413_whether_declared_or_streamed(client: TestClient) -> None:
    big = b" " * (1024 * 1024 + 1)
    declared = client.post("/api/auth/login", content=big, headers={"Content-Type": "application/json"})
    assert error_of(declared) == (413, "body-too-large", "the request body is larger than 1048576 bytes")

    def chunks() -> Any:
        for _ in range(17):
            yield b" " * 65536

    streamed = client.post("/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert error_of(streamed)[:2] == (413, "body-too-large")


@sqlite_only
def test_an_unexpected_failure_is_a_bare_500(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/refused")
    def refused() -> None:
        raise DataError("INSERT ...", {}, ValueError("cannot store that"))

    @app.get("/odd")
    def odd() -> None:
        class OddError(DomainError):
            code = "odd-error"

        raise OddError("something odd", {"why": "testing"})

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
        assert error_of(response) == (
            500,
            "internal-error",
            "the server failed to handle the request; it has been logged",
        )
        assert "secret internals" not in response.text
        assert error_of(client.get("/refused")) == (
            422,
            "unstorable-value",
            "the database cannot store a value of this request",
        )
        assert error_of(client.get("/odd")) == (UNLISTED_DOMAIN_ERROR_STATUS, "odd-error", "something odd")


@sqlite_only
def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "Baiying"
    assert {"/api/auth/login", "/api/auth/logout", "/api/me", "/api/sites", "/healthz"} <= set(
        schema["paths"]
    )
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "session-cookie"}
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "id",
    "code",
    "name",
    "label",
    "login",
    "password",
    "display_name",
    "roles",
    "status",
    "active",
    "opens_minute",
]
FIELDISH = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=5)
TARGETS = [
    ("POST", "/api/auth/login"),
    ("POST", "/api/sites"),
    ("PATCH", "/api/sites/beijing"),
    ("PUT", "/api/sites/beijing/status"),
    ("POST", "/api/wrap-up-codes"),
    ("POST", "/api/users"),
    ("PATCH", "/api/users/li-na"),
    ("PUT", "/api/users/li-na/roles"),
]


HOSTILE = [
    b'{"id": NaN, "name": Infinity}',
    b'{"id": "x", "name": "X", "opens_minute": 1e999, "closes_minute": -1e999}',
    b'{"id": "x", "name": "X", "opens_minute": 123456789012345678901234567890, "closes_minute": 1}',
    b'{"id": "\\ud800", "name": "\\u0000"}',
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
    b"\x00" * 64,
    b"[]",
    b"null",
    b'"a string"',
    b"0",
    b"{" * 5000,
    b'{"roles": ' + b"[" * 3000 + b"]" * 3000 + b"}",
]


def test_hostile_bodies_never_cause_a_500(client: TestClient) -> None:
    headers = {"Content-Type": "application/json", **_admin(client)}
    for body in HOSTILE:
        for method, path in TARGETS:
            _assert_not_a_server_error(client.request(method, path, content=body, headers=headers))


def _assert_not_a_server_error(response: Any) -> None:
    assert response.status_code < 500, response.text
    if not response.url.path.startswith("/api/auth/"):
        assert response.status_code != 401, "the fuzzed request should have been the admin's"
    if response.status_code >= 400:
        body = response.json()
        assert body["error"]["code"] in STATUS_BY_CODE, body
        assert STATUS_BY_CODE[body["error"]["code"]] == response.status_code, body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(TARGETS), body=st.binary(max_size=200) | JSON.map(repr).map(str.encode))
def test_fuzzed_raw_bodies_never_cause_a_500(
    client: TestClient, target: tuple[str, str], body: bytes
) -> None:
    method, path = target
    headers = {"Content-Type": "application/json", **_admin(client)}
    _assert_not_a_server_error(client.request(method, path, content=body, headers=headers))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(TARGETS), body=JSON | FIELDISH)
def test_fuzzed_json_bodies_never_cause_a_500(client: TestClient, target: tuple[str, str], body: Any) -> None:
    method, path = target
    _assert_not_a_server_error(client.request(method, path, json=body, headers=_admin(client)))


def _admin(client: TestClient) -> dict[str, str]:
    """The admin's headers, logged in once per client (fuzzed logins would trip the failure limit)."""
    if "Authorization" not in client.headers:
        client.headers.update(log_in(client, "wang"))
    return {}


def test_nul_characters_are_refused_before_they_reach_the_database(client: TestClient) -> None:
    # PostgreSQL cannot store or even compare text with NUL in it; SQLite can: both must say 422.
    admin = _admin(client)
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/api/sites", {"id": "nul", "name": "a\u0000b"}),
        ("POST", "/api/wrap-up-codes", {"code": "nul", "label": "\u0000"}),
        ("PATCH", "/api/users/li-na", {"display_name": "Li\u0000Na"}),
        ("POST", "/api/auth/login", {"login": "wang\u0000", "password": "wang's password"}),
        ("GET", "/api/sites/a%00b", None),
        ("GET", "/api/users/%00", None),
        ("DELETE", "/api/wrap-up-codes/%00", None),
        ("GET", "/api/audit?entity=%00", None),
        ("GET", "/api/audit?entity_id=x%00", None),
    ]
    for method, path, body in calls:
        response = client.request(method, path, json=body, headers=admin)
        assert error_of(response)[:2] == (422, "invalid-request"), (method, path, response.text)
