"""Logging in: check a login and password, rate-limit failures, open a session; and back from a token to
the principal it stands for."""

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from baiying.accounts.errors import InvalidCredentials, Unauthenticated
from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant, Principal
from baiying.accounts.ratelimit import LoginRateLimiter
from baiying.accounts.tokens import IssuedSession, SessionClaims, SessionTokens, TokenKind
from baiying.clock import Clock, Timestamp
from baiying.storage.engine import begin_write
from baiying.storage.repositories import UserRepository, user_by_login
from baiying.storage.tables import AgentRow, Role, SiteRow, UserRoleRow, UserRow

DEFAULT_PASSWORDS = Passwords()
BAD_CREDENTIALS = "wrong login or password"


def principal_of(user: UserRow) -> Principal:
    grants = tuple(Grant(Role(g.role), g.site_id, g.agent_id) for g in user.roles)
    return Principal(user.id, user.tenant_id, user.login, user.display_name, grants, user.language)


def authenticate(
    session: Session,
    login: str,
    password: str,
    now: Timestamp,
    *,
    passwords: Passwords = DEFAULT_PASSWORDS,
    limiter: LoginRateLimiter | None = None,
    address: str = "unknown",
) -> UserRow:
    """The active user with this login and password. Reads only (see `replace_weak_hash`).

    Raises RateLimited when `limiter` says the login or the client `address` has failed too often by
    `now` (the password is then not checked), else InvalidCredentials with the same message for an
    unknown login, a wrong password and a deactivated user (an unknown login costs a hash too, so timing
    does not tell them apart); failures and successes are recorded in `limiter`.
    """
    if limiter is not None:
        limiter.check(login, address, now)
    user = user_by_login(session, login)
    if user is None:
        passwords.waste_time()
    elif passwords.verify(user.password_hash, password) and user.active and user.password_hash is not None:
        if limiter is not None:
            limiter.record_success(login, address)
        return user
    if limiter is not None:
        limiter.record_failure(login, address, now)
    raise InvalidCredentials(BAD_CREDENTIALS)


def replace_weak_hash(session: Session, user: UserRow, password: str, passwords: Passwords) -> str | None:
    """If the user's hash was made with weaker parameters than `passwords`', store a new one (the password
    was just verified) and commit; returns the hash stored now.

    The write runs in a transaction of its own that takes SQLite's write lock when it begins: the
    read transaction that verified the password cannot become a writer if another connection committed
    meanwhile (SQLite refuses at once with "database is locked", whatever the busy timeout), which is
    what parallel first logins did. The session's open transaction, if any, is committed first. A hash
    changed by someone else meanwhile (a new password) is left alone."""
    verified = user.password_hash
    if verified is None or not passwords.needs_rehash(verified):
        return verified
    stronger = passwords.hasher.hash(password)  # slow: before taking the lock
    key = {"tenant_id": user.tenant_id, "id": user.id}
    session.commit()
    begin_write(session)
    row = session.get(UserRow, key, populate_existing=True)
    if row is None or row.password_hash != verified:
        session.rollback()
        return row.password_hash if row is not None else verified
    row.password_hash = stronger
    session.commit()
    return stronger


# ---- who a token stands for, remembered ----------------------------------------------------------------

PRINCIPAL_TTL_SECONDS = 60.0  # how stale a change made by another process (none makes any today) may be
PRINCIPAL_CACHE_SIZE = 10_000
# A commit touching these may change who a user is (their row, roles, or the agent or site a role names,
# whose deletion cascades to the roles).
_ACCOUNT_ROWS = (UserRow, UserRoleRow, AgentRow, SiteRow)
_CHANGED = "baiying_accounts_changed"


class _Generation:
    """Counts this process's commits that changed accounts: a remembered user is good only for the
    generation it was read in."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        with self._lock:
            self.value += 1


ACCOUNTS_GENERATION = _Generation()


@event.listens_for(Session, "after_flush")
def _note_account_changes(session: Session, _context: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, _ACCOUNT_ROWS) for row in touched):
        session.info[_CHANGED] = True
        ACCOUNTS_GENERATION.bump()  # now too: a reader between this flush and the commit must not keep it


@event.listens_for(Session, "after_commit")
def _forget_changed_accounts(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        ACCOUNTS_GENERATION.bump()


@event.listens_for(Session, "after_soft_rollback")
def _nothing_changed(session: Session, _previous: Any) -> None:
    session.info.pop(_CHANGED, None)


@dataclass(frozen=True, slots=True)
class _Known:
    principal: Principal
    active: bool
    password_hash: str | None
    generation: int
    read_at: float  # time.monotonic()


class PrincipalCache:
    """Users as read for their tokens, kept for `ttl_seconds` so that a busy API does not read the users
    table on every request. A change committed by this process (a role, a password, a deactivation, an
    agent or site deleted) applies at once; one made by another process within `ttl_seconds`. Monotonic
    time: a cache is plumbing, not domain time. Thread-safe."""

    def __init__(self, ttl_seconds: float = PRINCIPAL_TTL_SECONDS, size: int = PRINCIPAL_CACHE_SIZE) -> None:
        self.ttl_seconds = ttl_seconds
        self.size = size
        self._known: dict[tuple[str, str], _Known] = {}

    def get(self, tenant_id: str, user_id: str) -> _Known | None:
        found = self._known.get((tenant_id, user_id))
        if found is None:
            return None
        if (
            found.generation != ACCOUNTS_GENERATION.value
            or time.monotonic() - found.read_at > self.ttl_seconds
        ):
            self._known.pop((tenant_id, user_id), None)
            return None
        return found

    def put(self, user: UserRow, generation: int) -> _Known:
        known = _Known(principal_of(user), user.active, user.password_hash, generation, time.monotonic())
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[(user.tenant_id, user.id)] = known
        return known


@dataclass(frozen=True, slots=True)
class LoggedIn:
    principal: Principal
    session: IssuedSession


class Accounts:
    """Logging in and out, and who a token stands for: passwords, the failed-login limiter and session
    tokens of one server process, on one clock."""

    def __init__(
        self,
        tokens: SessionTokens,
        clock: Clock,
        *,
        passwords: Passwords = DEFAULT_PASSWORDS,
        limiter: LoginRateLimiter | None = None,
        cache: PrincipalCache | None = None,
    ) -> None:
        self.tokens = tokens
        self.clock = clock
        self.passwords = passwords
        self.limiter = limiter if limiter is not None else LoginRateLimiter()
        self.cache = cache if cache is not None else PrincipalCache()

    def log_in(self, session: Session, login: str, password: str, address: str) -> LoggedIn:
        """Open a session; RateLimited once the login or the address has failed too often (the password
        is then not checked), InvalidCredentials for a wrong login or password. Replaces a weak hash
        (`replace_weak_hash`) and commits."""
        now = self.clock.now()
        user = authenticate(
            session, login, password, now, passwords=self.passwords, limiter=self.limiter, address=address
        )
        principal, user_id, tenant_id = principal_of(user), user.id, user.tenant_id
        stored = replace_weak_hash(session, user, password, self.passwords)
        session.commit()
        return LoggedIn(principal, self.tokens.open(user_id, tenant_id, stored))

    def principal(self, session: Session, token: str, kind: TokenKind) -> tuple[Principal, SessionClaims]:
        """Who a token stands for now: Unauthenticated (or TokenExpired) unless the token is valid, its
        user still exists and is active, and the password has not changed since it was issued."""
        claims = self.tokens.verify(token, kind)
        known = self.cache.get(claims.tenant_id, claims.user_id)
        if known is None:
            generation = ACCOUNTS_GENERATION.value  # before reading: a change meanwhile voids what is read
            user = UserRepository(session, claims.tenant_id).find(claims.user_id)
            if user is not None:
                known = self.cache.put(user, generation)
            if session.in_transaction() and not session.new and not session.dirty:
                session.rollback()  # return the connection: the request may wait long for a worker thread
        return self._checked(known, claims), claims

    def known_principal(self, token: str, kind: TokenKind) -> tuple[Principal, SessionClaims] | None:
        """`principal` without the database: the answer if the token's user is remembered, else None.
        Raises as `principal` does for an invalid token or a remembered user it no longer stands for."""
        claims = self.tokens.verify(token, kind)
        known = self.cache.get(claims.tenant_id, claims.user_id)
        return None if known is None else (self._checked(known, claims), claims)

    def _checked(self, known: _Known | None, claims: SessionClaims) -> Principal:
        if (
            known is None
            or not known.active
            or not self.tokens.matches_credential(claims, known.password_hash)
        ):
            raise Unauthenticated("the session is no longer valid: log in again")
        return known.principal

    def log_out(self, claims: SessionClaims) -> None:
        self.tokens.close(claims)
