"""Session tokens: signed, expiring on the clock passed in, kind-specific, revocable on logout."""

import pytest

from baiying.accounts import tokens as token_module
from baiying.accounts.errors import TokenExpired, Unauthenticated
from baiying.accounts.tokens import RevokedSessions, SessionTokens, TokenKind
from baiying.clock import ManualClock
from tests.accounts.conftest import T0

SECRET = "k" * 40


def tokens(clock: ManualClock, ttl: float = 3600.0, secret: str = SECRET) -> SessionTokens:
    return SessionTokens(secret, clock, ttl_seconds=ttl)


def test_a_session_carries_the_user_and_expires_after_its_ttl() -> None:
    clock = ManualClock(T0)
    service = tokens(clock)
    opened = service.open("li-na", "acme", "$argon2id$hash")
    assert opened.bearer_token != opened.cookie_value
    for token, kind in ((opened.bearer_token, TokenKind.BEARER), (opened.cookie_value, TokenKind.COOKIE)):
        claims = service.verify(token, kind)
        assert (claims.user_id, claims.tenant_id) == ("li-na", "acme")
        assert claims.session_id == opened.claims.session_id
        assert (claims.issued_at, claims.expires_at) == (T0, T0 + 3600)
        assert service.matches_credential(claims, "$argon2id$hash")
        assert not service.matches_credential(claims, "$argon2id$another")

    clock.advance(3600)
    service.verify(opened.bearer_token, TokenKind.BEARER)  # valid to the second
    clock.advance(1)
    with pytest.raises(TokenExpired, match=r"^the session has expired: log in again$"):
        service.verify(opened.bearer_token, TokenKind.BEARER)


def test_a_token_works_only_as_its_own_kind() -> None:
    service = tokens(ManualClock(T0))
    opened = service.open("li-na", "acme", None)
    with pytest.raises(Unauthenticated, match=r"^the cookie token is not valid: log in again$"):
        service.verify(opened.bearer_token, TokenKind.COOKIE)
    with pytest.raises(Unauthenticated, match=r"^the bearer token is not valid: log in again$"):
        service.verify(opened.cookie_value, TokenKind.BEARER)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJzIjoiMSJ9.AAAA.BBBB"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthenticated):
        tokens(ManualClock(T0)).verify(token, TokenKind.BEARER)


def test_a_tampered_or_foreign_token_is_refused() -> None:
    clock = ManualClock(T0)
    opened = tokens(clock).open("li-na", "acme", None)
    payload, _, signature = opened.bearer_token.partition(".")
    tampered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + signature
    with pytest.raises(Unauthenticated):
        tokens(clock).verify(tampered, TokenKind.BEARER)
    with pytest.raises(Unauthenticated):
        tokens(clock, secret="another-secret-" + "z" * 30).verify(opened.bearer_token, TokenKind.BEARER)


def test_closing_a_session_refuses_both_its_tokens_and_no_other() -> None:
    clock = ManualClock(T0)
    service = tokens(clock)
    mine, other = service.open("li-na", "acme", None), service.open("li-na", "acme", None)
    service.close(service.verify(mine.cookie_value, TokenKind.COOKIE))
    for token, kind in ((mine.bearer_token, TokenKind.BEARER), (mine.cookie_value, TokenKind.COOKIE)):
        with pytest.raises(Unauthenticated, match=r"^the session was logged out: log in again$"):
            service.verify(token, kind)
    assert service.verify(other.bearer_token, TokenKind.BEARER).user_id == "li-na"


def test_revoked_sessions_are_forgotten_once_they_would_have_expired() -> None:
    revoked = RevokedSessions()
    revoked.revoke("a", expires_at=T0 + 10, now=T0)
    revoked.revoke("b", expires_at=T0 + 100, now=T0)
    revoked.revoke("stale", expires_at=T0 - 1, now=T0)  # already expired: nothing to remember
    assert (revoked.is_revoked("a"), revoked.is_revoked("b"), len(revoked)) == (True, True, 2)
    revoked.revoke("c", expires_at=T0 + 100, now=T0 + 10)
    assert (revoked.is_revoked("a"), len(revoked)) == (False, 2)


def test_a_session_needs_a_positive_lifetime() -> None:
    with pytest.raises(ValueError, match="a session must last some time"):
        tokens(ManualClock(T0), ttl=0)


class _SettableClock:
    """A clock that may also go back (a system clock stepped back by NTP)."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


def test_a_remembered_token_still_expires_is_still_revoked_and_is_refused_before_its_signing() -> None:
    clock = _SettableClock(T0 + 0.5)
    service = SessionTokens(SECRET, clock, ttl_seconds=60)
    opened = service.open("li-na", "acme", None)
    assert service.verify(opened.bearer_token, TokenKind.BEARER).user_id == "li-na"  # remembered now
    clock.at = T0 - 1
    with pytest.raises(TokenExpired):
        service.verify(opened.bearer_token, TokenKind.BEARER)
    clock.at = T0 + 60.9
    assert service.verify(opened.bearer_token, TokenKind.BEARER).user_id == "li-na"  # 60 whole seconds
    clock.at = T0 + 61
    with pytest.raises(TokenExpired):
        service.verify(opened.bearer_token, TokenKind.BEARER)
    clock.at = T0 + 10
    service.close(service.verify(opened.cookie_value, TokenKind.COOKIE))
    for token, kind in ((opened.bearer_token, TokenKind.BEARER), (opened.cookie_value, TokenKind.COOKIE)):
        with pytest.raises(Unauthenticated, match="logged out"):
            service.verify(token, kind)
    with pytest.raises(Unauthenticated, match="not valid"):  # remembered as a bearer token only
        service.verify(opened.bearer_token, TokenKind.COOKIE)


def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(token_module, "VERIFIED_LIMIT", 3)
    clock = ManualClock(T0)
    service = tokens(clock)
    opened = [service.open(f"agent-{n}", "acme", None) for n in range(7)]
    for session in opened * 2:
        assert service.verify(session.bearer_token, TokenKind.BEARER).user_id == session.claims.user_id
    assert len(service._verified) <= 3
