"""Logging in: check a login and password, rate-limit failures, open a session; and back from a token to
the principal it stands for."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from baiying.accounts.errors import InvalidCredentials, Unauthenticated
from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant, Principal
from baiying.accounts.ratelimit import LoginRateLimiter
from baiying.accounts.tokens import IssuedSession, SessionClaims, SessionTokens, TokenKind
from baiying.clock import Clock, Timestamp
from baiying.storage.repositories import UserRepository, user_by_login
from baiying.storage.tables import Role, UserRow

DEFAULT_PASSWORDS = Passwords()
BAD_CREDENTIALS = "wrong login or password"


def principal_of(user: UserRow) -> Principal:
    grants = tuple(Grant(Role(g.role), g.site_id, g.agent_id) for g in user.roles)
    return Principal(user.id, user.tenant_id, user.login, user.display_name, grants)


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
    """The active user with this login and password.

    Raises RateLimited when `limiter` says the login or the client `address` has failed too often by
    `now` (the password is then not checked), else InvalidCredentials with the same message for an
    unknown login, a wrong password and a deactivated user (an unknown login costs a hash too, so timing
    does not tell them apart); failures and successes are recorded in `limiter`. A hash made with weaker
    parameters than the hasher's is replaced in the session: the caller commits.
    """
    if limiter is not None:
        limiter.check(login, address, now)
    user = user_by_login(session, login)
    if user is None:
        passwords.waste_time()
    elif passwords.verify(user.password_hash, password) and user.active and user.password_hash is not None:
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hasher.hash(password)
        if limiter is not None:
            limiter.record_success(login, address)
        return user
    if limiter is not None:
        limiter.record_failure(login, address, now)
    raise InvalidCredentials(BAD_CREDENTIALS)


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
    ) -> None:
        self.tokens = tokens
        self.clock = clock
        self.passwords = passwords
        self.limiter = limiter if limiter is not None else LoginRateLimiter()

    def log_in(self, session: Session, login: str, password: str, address: str) -> LoggedIn:
        """Open a session; RateLimited once the login or the address has failed too often (the password
        is then not checked), InvalidCredentials for a wrong login or password. Commits a rehash."""
        now = self.clock.now()
        user = authenticate(
            session, login, password, now, passwords=self.passwords, limiter=self.limiter, address=address
        )
        session.commit()
        return LoggedIn(principal_of(user), self.tokens.open(user.id, user.tenant_id, user.password_hash))

    def principal(self, session: Session, token: str, kind: TokenKind) -> tuple[Principal, SessionClaims]:
        """Who a token stands for now: Unauthenticated (or TokenExpired) unless the token is valid, its
        user still exists and is active, and the password has not changed since it was issued."""
        claims = self.tokens.verify(token, kind)
        user = UserRepository(session, claims.tenant_id).find(claims.user_id)
        if user is None or not user.active or not self.tokens.matches_credential(claims, user.password_hash):
            raise Unauthenticated("the session is no longer valid: log in again")
        return principal_of(user), claims

    def log_out(self, claims: SessionClaims) -> None:
        self.tokens.close(claims)
