"""Typed dependencies for routes: the database session, the clock, the account services, and who is
asking (`CurrentUser`, from a bearer token or the session cookie)."""

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from baiying.accounts.errors import Unauthenticated
from baiying.accounts.login import Accounts
from baiying.accounts.policy import Action, Kind, can_ever, require_ever
from baiying.accounts.principal import Principal
from baiying.accounts.tokens import SessionClaims, TokenKind
from baiying.api.settings import Settings
from baiying.application.center import LiveCenter
from baiying.application.stats import LiveStats
from baiying.clock import Clock
from baiying.storage.engine import request_writer_transactions

if TYPE_CHECKING:
    from baiying.telephony.control import CallControl

SESSION_COOKIE = "baiying_session"
LANGUAGE_COOKIE = "baiying_lang"  # the page language: set by the switcher, and from the account at login
LANGUAGE_COOKIE_MAX_AGE = 365 * 86_400


@dataclass
class ApiState:
    """What the app holds for its lifetime; the session factories are set once the database has been
    checked. `writer_sessions` begin each transaction as a writer (`immediate_transactions`)."""

    settings: Settings
    clock: Clock
    accounts: Accounts
    sessions: sessionmaker[Session] | None = None
    writer_sessions: sessionmaker[Session] | None = None
    center: LiveCenter | None = None  # the live engine, set with `sessions`
    stats: LiveStats | None = None
    call_control: "CallControl | None" = None  # voice: set where the server hosts call control
    express_served: int = 0  # requests `baiying.api.express` answered ahead of FastAPI

    def open(self, engine: Engine, center: LiveCenter, stats: LiveStats) -> sessionmaker[Session]:
        """Serve requests from the database and the live center; returns the (reading) sessions."""
        self.sessions = sessions = sessionmaker(engine, expire_on_commit=False)
        self.writer_sessions = sessionmaker(request_writer_transactions(engine), expire_on_commit=False)
        self.center, self.stats = center, stats
        return sessions

    def close(self) -> None:
        self.sessions, self.writer_sessions, self.center, self.stats = None, None, None, None


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.baiying
    return state


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def database_session(request: Request) -> Iterator[Session]:
    """A session for the route: a request that may change something (POST, PUT, PATCH, DELETE) gets
    writer transactions, because one that read and then writes fails on SQLite with "database is locked"
    whenever another writer (the live center, a background worker) committed in between."""
    state = api_state(request)
    yield from _session(state.sessions if request.method in READ_ONLY_METHODS else state.writer_sessions)


def deferred_session(request: Request) -> Iterator[Session]:
    """A session whose transactions begin as readers, for routes that command the live center between
    their reads: a writer transaction held open across a command would keep the center waiting for the
    write lock the route holds (until the busy timeout). Such routes end their read (rollback or commit)
    before commanding the center, and call `storage.engine.switch_to_writing` before writing."""
    yield from _session(api_state(request).sessions)


def _session(sessions: sessionmaker[Session] | None) -> Iterator[Session]:
    if sessions is None:
        raise RuntimeError("the app has not started: serve it, or enter `with TestClient(app)`")
    with sessions() as session:
        yield session


async def live_center(request: Request) -> LiveCenter:  # async: a dependency's worker thread costs more
    center = api_state(request).center
    if center is None:
        raise RuntimeError("the app has not started: serve it, or enter `with TestClient(app)`")
    return center


async def live_stats(request: Request) -> LiveStats:
    stats = api_state(request).stats
    if stats is None:
        raise RuntimeError("the app has not started: serve it, or enter `with TestClient(app)`")
    return stats


async def clock(request: Request) -> Clock:
    return api_state(request).clock


async def accounts(request: Request) -> Accounts:
    return api_state(request).accounts


async def _api_state(request: Request) -> ApiState:
    return api_state(request)


StateDep = Annotated[ApiState, Depends(_api_state)]
# Closed when the route returns, before the response is sent: a session closed after it could still hold
# its connection when the app shuts down (a test client leaves right after its last response).
SessionDep = Annotated[Session, Depends(database_session, scope="function")]
DeferredSessionDep = Annotated[Session, Depends(deferred_session, scope="function")]
ClockDep = Annotated[Clock, Depends(clock)]
CenterDep = Annotated[LiveCenter, Depends(live_center)]
StatsDep = Annotated[LiveStats, Depends(live_stats)]
AccountsDep = Annotated[Accounts, Depends(accounts)]

bearer_scheme = HTTPBearer(
    auto_error=False, description="The `token` returned by POST /api/auth/login.", scheme_name="bearer"
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The HttpOnly cookie set by POST /api/auth/login, for the browser.",
    scheme_name="session-cookie",
)


@dataclass(frozen=True, slots=True)
class Authenticated:
    principal: Principal
    claims: SessionClaims


async def authenticated(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Authenticated:
    """The principal of a valid bearer token, else of a valid session cookie; a bearer token that is
    sent but invalid is refused even when a cookie is also sent. A remembered user costs no database
    read and no worker thread; otherwise the user is read in a worker thread."""
    if bearer is not None:
        token, kind = bearer.credentials, TokenKind.BEARER
    elif cookie:
        token, kind = cookie, TokenKind.COOKIE
    else:
        raise Unauthenticated("log in first: send `Authorization: Bearer <token>` or the session cookie")
    state = api_state(request)  # not a dependency of its own: each costs every request some 20 us
    known = state.accounts.known_principal(token, kind)
    if known is None:
        known = await run_in_threadpool(_read_principal, state, token, kind)
    return Authenticated(*known)


def _read_principal(state: ApiState, token: str, kind: TokenKind) -> tuple[Principal, SessionClaims]:
    if state.sessions is None:
        raise RuntimeError("the app has not started: serve it, or enter `with TestClient(app)`")
    with state.sessions() as session:
        return state.accounts.principal(session, token, kind)


AuthenticatedDep = Annotated[Authenticated, Depends(authenticated)]


async def current_user(auth: AuthenticatedDep) -> Principal:
    return auth.principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def allowed(action: Action, kind: Kind) -> Any:
    """A dependency giving the current user if some `kind` resource could allow `action`, else 403.

    It runs before the request body is validated, so a role that may never call an endpoint gets 403,
    not a validation error; the route then checks the exact resource with `require`.
    """

    # On the authentication itself, not on `CurrentUser`: one dependency less to solve on every request.
    async def dependency(auth: AuthenticatedDep) -> Principal:  # async: no worker thread for a check
        require_ever(auth.principal, action, kind)
        return auth.principal

    checked: Callable[[Authenticated], Awaitable[Principal]] = dependency
    return Depends(checked)


def allowed_any(*pairs: tuple[Action, Kind]) -> Any:
    """Like `allowed`, for an endpoint that any of several (action, kind) pairs may open."""

    async def dependency(auth: AuthenticatedDep) -> Principal:
        principal = auth.principal
        if not any(can_ever(principal, action, kind) for action, kind in pairs):
            action, kind = pairs[0]
            require_ever(principal, action, kind)
        return principal

    checked: Callable[[Authenticated], Awaitable[Principal]] = dependency
    return Depends(checked)
