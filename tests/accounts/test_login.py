"""Logging in against the users table: the right password, the same refusal for every wrong case,
rehashing, a token that stops working when its user changes, and users remembered between requests."""

import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update
from sqlalchemy.event import listen
from sqlalchemy.orm import Session

from baiying.accounts import login as login_module
from baiying.accounts.errors import InvalidCredentials, RateLimited, Unauthenticated
from baiying.accounts.login import (
    PRINCIPAL_TTL_SECONDS,
    Accounts,
    authenticate,
    principal_of,
    replace_weak_hash,
)
from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.accounts.ratelimit import LoginRateLimiter
from baiying.accounts.tokens import SessionTokens, TokenKind
from baiying.accounts.users import create_user, replace_grants, update_user, user_snapshot
from baiying.clock import ManualClock
from baiying.storage.repositories import AgentRepository, AuditLog, SiteRepository, Tenants, UserRepository
from baiying.storage.tables import AgentRow, Role, SiteRow, UserRow
from tests.accounts.conftest import T0

PASSWORD = "li-na's password"


@pytest.fixture
def acme(session: Session, passwords: Passwords) -> Session:
    Tenants(session).add("acme", "Acme", at=T0)
    SiteRepository(session, "acme").add(SiteRow(id="guangzhou", name="Guangzhou"))
    AgentRepository(session, "acme").add(AgentRow(id="li-na", site_id="guangzhou", display_name="Li Na"))
    create_user(
        session,
        "acme",
        user_id="li-na",
        login="lina",
        display_name="Li Na",
        password=PASSWORD,
        grants=[Grant(Role.AGENT, agent_id="li-na")],
        actor="test",
        at=T0,
        passwords=passwords,
    )
    session.commit()
    return session


def test_the_right_password_gives_the_user(acme: Session, passwords: Passwords) -> None:
    user = authenticate(acme, "lina", PASSWORD, T0, passwords=passwords)
    assert user.id == "li-na"
    assert principal_of(user).grants == (Grant(Role.AGENT, agent_id="li-na"),)


@pytest.mark.parametrize(("login", "password"), [("lina", "wrong password"), ("nobody", PASSWORD)])
def test_every_wrong_case_is_refused_alike(
    acme: Session, passwords: Passwords, login: str, password: str
) -> None:
    with pytest.raises(InvalidCredentials) as refused:
        authenticate(acme, login, password, T0, passwords=passwords)
    assert (refused.value.message, refused.value.details) == ("wrong login or password", {})


def test_a_deactivated_user_cannot_log_in(acme: Session, passwords: Passwords) -> None:
    UserRepository(acme, "acme").update("li-na", active=False)
    with pytest.raises(InvalidCredentials, match=r"^wrong login or password$"):
        authenticate(acme, "lina", PASSWORD, T0, passwords=passwords)


def test_a_user_without_a_password_cannot_log_in(acme: Session, passwords: Passwords) -> None:
    UserRepository(acme, "acme").update("li-na", password_hash=None)
    with pytest.raises(InvalidCredentials):
        authenticate(acme, "lina", "", T0, passwords=passwords)


def test_a_weak_hash_is_replaced_at_login(acme: Session, passwords: Passwords) -> None:
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    old_hash = UserRepository(acme, "acme").get("li-na").password_hash
    user = authenticate(acme, "lina", PASSWORD, T0, passwords=stronger)
    assert user.password_hash == old_hash  # authenticating only reads
    assert old_hash is not None
    stored = replace_weak_hash(acme, user, PASSWORD, stronger)
    assert stored is not None
    assert stored != old_hash
    assert UserRepository(acme, "acme").get("li-na").password_hash == stored
    assert not stronger.needs_rehash(stored)
    assert replace_weak_hash(acme, user, PASSWORD, stronger) == stored  # strong now: nothing to do


def test_the_limiter_counts_failures_and_then_refuses_even_the_right_password(
    acme: Session, passwords: Passwords
) -> None:
    limiter = LoginRateLimiter(max_failures=2, window_seconds=60)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            authenticate(acme, "lina", "wrong", T0, passwords=passwords, limiter=limiter, address="10.0.0.1")
    with pytest.raises(RateLimited):
        authenticate(acme, "lina", PASSWORD, T0 + 1, passwords=passwords, limiter=limiter, address="10.0.0.2")
    user = authenticate(acme, "lina", PASSWORD, T0 + 60, passwords=passwords, limiter=limiter, address="x")
    assert user.id == "li-na"


def test_a_token_stops_working_when_its_user_changes(acme: Session, passwords: Passwords) -> None:
    clock = ManualClock(T0)
    accounts = Accounts(SessionTokens("s" * 40, clock), clock, passwords=passwords)
    first = accounts.log_in(acme, "lina", PASSWORD, "10.0.0.1")
    second = accounts.log_in(acme, "lina", PASSWORD, "10.0.0.1")
    principal, claims = accounts.principal(acme, first.session.bearer_token, TokenKind.BEARER)
    assert (principal, claims) == (first.principal, first.session.claims)

    replace_grants(acme, "acme", "li-na", [Grant(Role.SUPERVISOR)], actor="test", at=T0)
    acme.commit()
    principal, _ = accounts.principal(acme, first.session.bearer_token, TokenKind.BEARER)
    assert principal.grants == (Grant(Role.SUPERVISOR),)  # roles are read fresh: no stale grant

    update_user(
        acme, "acme", "li-na", changes={}, password="a new password", actor="test", at=T0, passwords=passwords
    )
    acme.commit()
    for opened in (first, second):
        with pytest.raises(Unauthenticated, match=r"^the session is no longer valid: log in again$"):
            accounts.principal(acme, opened.session.bearer_token, TokenKind.BEARER)

    third = accounts.log_in(acme, "lina", "a new password", "10.0.0.1")
    UserRepository(acme, "acme").update("li-na", active=False)
    acme.commit()
    with pytest.raises(Unauthenticated):
        accounts.principal(acme, third.session.cookie_value, TokenKind.COOKIE)


def test_user_changes_are_audited_without_the_password_hash(acme: Session, passwords: Passwords) -> None:
    update_user(
        acme,
        "acme",
        "li-na",
        changes={"display_name": "Li Na (GZ)"},
        password="a new password",
        actor="wang",
        at=T0 + 5,
        passwords=passwords,
    )
    entries = AuditLog(acme, "acme").entries(entity="user", entity_id="li-na")
    assert [(e.action, e.actor, e.at) for e in entries] == [
        ("update", "wang", T0 + 5),
        ("create", "test", T0),
    ]
    update = entries[0]
    assert update.before is not None
    assert update.after is not None
    assert (update.before["display_name"], update.after["display_name"]) == ("Li Na", "Li Na (GZ)")
    assert update.after["password"] == "(changed)"
    for entry in entries:
        for values in (entry.before, entry.after):
            assert values is None or ("password_hash" not in values and "$argon2" not in repr(values))
    assert user_snapshot(UserRepository(acme, "acme").get("li-na"))["roles"] == [
        {"role": "agent", "site_id": None, "agent_id": "li-na"}
    ]


def test_a_remembered_user_costs_no_read_until_an_account_change_or_the_ttl(
    acme: Session, passwords: Passwords, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(T0)
    accounts = Accounts(SessionTokens("s" * 40, clock), clock, passwords=passwords)
    token = accounts.log_in(acme, "lina", PASSWORD, "10.0.0.1").session.bearer_token
    reads: list[str] = []
    listen(acme.get_bind(), "before_cursor_execute", lambda *args: reads.append(args[2]))
    first, _ = accounts.principal(acme, token, TokenKind.BEARER)
    assert len(reads) >= 1
    reads.clear()
    assert accounts.known_principal(token, TokenKind.BEARER) == (
        first,
        accounts.tokens.verify(token, TokenKind.BEARER),
    )
    assert accounts.principal(acme, token, TokenKind.BEARER)[0] == first
    assert reads == []  # remembered

    replace_grants(acme, "acme", "li-na", [Grant(Role.SUPERVISOR)], actor="test", at=T0)
    acme.commit()  # a change this process commits voids what it remembers at once
    assert accounts.known_principal(token, TokenKind.BEARER) is None
    assert accounts.principal(acme, token, TokenKind.BEARER)[0].grants == (Grant(Role.SUPERVISOR),)

    # A change made elsewhere (a raw statement stands for another process) shows once the TTL passed.
    acme.execute(update(UserRow).where(UserRow.id == "li-na").values(active=False))
    acme.commit()
    assert accounts.principal(acme, token, TokenKind.BEARER)[0].user_id == "li-na"
    later = time.monotonic() + PRINCIPAL_TTL_SECONDS + 1
    monkeypatch.setattr(login_module.time, "monotonic", lambda: later)
    with pytest.raises(Unauthenticated):
        accounts.principal(acme, token, TokenKind.BEARER)
