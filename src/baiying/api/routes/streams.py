"""WebSocket streams: an agent's desktop and the wallboard.

- `GET /api/agents/{agent_id}/stream`: the agent themself, an admin, or a supervisor of the agent's site.
  First `{"type": "hello", "agent", "state", "reason", "since", "contacts": [{"phase", "contact"}], "at"}`
  (the agent's state and contacts in hand now, so a reconnecting desktop restores its view), then
  `offer`, `offer-withdrawn`, `state`, `answered`, `completed` and `wrap-up-ended` messages as they
  are committed (formats in `baiying.api.websockets`).
- `GET /api/wallboard/stream`: admins and supervisors. `{"type": "stats", ...}` (the body of
  `GET /api/stats`, scoped the same way) on connect, once a second, and shortly after a change
  (changes within `WALLBOARD_DEBOUNCE_SECONDS` are sent as one).

Authentication as for HTTP: `Authorization: Bearer <token>`, or `?token=<token>` (browsers cannot set
headers on a WebSocket), or the session cookie (refused when the `Origin` header names another host).
A refused connection is accepted, sent `{"type": "error", "error": {"code", "message", "details"}}` and
closed with code 4000 + the HTTP status of the error: 4401 unauthenticated, 4403 forbidden, 4404
unknown agent. A client too slow to keep up is closed with 1013; messages sent by the client are ignored.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session

from baiying.accounts.errors import Unauthenticated
from baiying.accounts.policy import Action, Kind, can, require, require_ever, resource
from baiying.accounts.principal import Principal
from baiying.accounts.tokens import TokenKind
from baiying.api.deps import SESSION_COOKIE, ApiState
from baiying.api.errors import STATUS_BY_CODE
from baiying.api.schemas.live import StatsPublic
from baiying.api.websockets import (
    CLOSE_TOO_SLOW,
    AgentFeed,
    BoardFeed,
    Feed,
    Message,
    Outgoing,
    StreamHub,
    as_text,
)
from baiying.application.stats import LiveStats
from baiying.errors import DomainError
from baiying.storage.repositories import AgentRepository

router = APIRouter(tags=["streams"])

WALLBOARD_PERIOD_SECONDS = 1.0
WALLBOARD_DEBOUNCE_SECONDS = 0.1


def _started(websocket: WebSocket) -> tuple[ApiState, StreamHub]:
    state: ApiState = websocket.app.state.baiying
    hub: StreamHub | None = getattr(websocket.app.state, "streams", None)
    if state.sessions is None or hub is None:
        raise RuntimeError("the app has not started: serve it, or enter `with TestClient(app)`")
    return state, hub


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser
        return True
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


def _principal(state: ApiState, session: Session, websocket: WebSocket) -> Principal:
    header = websocket.headers.get("authorization")
    query = websocket.query_params.get("token")
    cookie = websocket.cookies.get(SESSION_COOKIE)
    if header is not None:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthenticated("send `Authorization: Bearer <token>`")
        return state.accounts.principal(session, credentials.strip(), TokenKind.BEARER)[0]
    if query:
        return state.accounts.principal(session, query, TokenKind.BEARER)[0]
    if cookie and _same_origin(websocket):
        return state.accounts.principal(session, cookie, TokenKind.COOKIE)[0]
    raise Unauthenticated("log in first: send a bearer token (header or `?token=`) or the session cookie")


def _check_agent(state: ApiState, websocket: WebSocket, agent_id: str) -> Principal:
    assert state.sessions is not None
    with state.sessions() as session:
        principal = _principal(state, session, websocket)
        require_ever(principal, Action.READ, Kind.AGENT)
        row = AgentRepository(session, principal.tenant_id).get(agent_id)
        target = resource(Kind.AGENT, principal.tenant_id, agent_id, site=row.site_id, agent=agent_id)
        require(principal, Action.READ, target)
        return principal


def _check_board(state: ApiState, websocket: WebSocket) -> Principal:
    assert state.sessions is not None
    with state.sessions() as session:
        principal = _principal(state, session, websocket)
    require_ever(principal, Action.READ, Kind.STATS)  # admins and supervisors; scoped per message
    return principal


async def _refuse(websocket: WebSocket, error: DomainError) -> None:
    status = STATUS_BY_CODE.get(error.code, 500)
    await websocket.accept()
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        body = {"code": error.code, "message": error.message, "details": dict(error.details)}
        await websocket.send_json({"type": "error", "error": body})
        await websocket.close(code=4000 + status, reason=error.code)


async def _until_disconnect(websocket: WebSocket, feed: Feed) -> None:
    """Read (and ignore) what the client sends, until it goes away; then close the feed."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        feed.close()


async def _serve(
    websocket: WebSocket, feed: Feed, produce: Callable[[], Awaitable[Sequence[Outgoing]]]
) -> None:
    """Send what `produce` gives until the client leaves, the feed overflows or the hub closes."""
    reader = asyncio.create_task(_until_disconnect(websocket, feed), name="websocket-reader")
    try:
        while True:
            messages = await produce()
            if feed.overflowed:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await websocket.close(code=CLOSE_TOO_SLOW, reason="too slow to keep up")
                return
            if feed.closed:
                if not reader.done():  # the server is stopping, the client is still there
                    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                        await websocket.close(code=1001)
                return
            for message in messages:
                await websocket.send({"type": "websocket.send", "text": as_text(message)})
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


@router.websocket("/api/agents/{agent_id}/stream")
async def agent_stream(websocket: WebSocket, agent_id: str) -> None:
    """An agent's offers (with the contact's data for the screen pop), state changes and contacts."""
    state, hub = _started(websocket)
    try:
        principal = await asyncio.to_thread(_check_agent, state, websocket, agent_id)
    except DomainError as error:
        await _refuse(websocket, error)
        return
    await websocket.accept()
    feed = Feed(asyncio.get_running_loop())
    subscriber = AgentFeed(feed, principal.tenant_id, agent_id)
    try:
        hello = await asyncio.to_thread(hub.attach_agent, subscriber)
        await websocket.send_json(hello)

        async def next_messages() -> list[Outgoing]:
            await feed.wait()
            return feed.take()

        await _serve(websocket, feed, next_messages)
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        hub.detach(subscriber)


def _stats_message(stats: LiveStats, principal: Principal) -> Message:
    tenant = principal.tenant_id
    snapshot = stats.snapshot(tenant)
    tenant_wide = can(principal, Action.READ, resource(Kind.STATS, tenant))
    sites = None
    if not tenant_wide:
        sites = {
            s for s in snapshot.sites if can(principal, Action.READ, resource(Kind.STATS, tenant, s, site=s))
        }
    public = StatsPublic.of(snapshot, tenant_wide=tenant_wide, sites=sites)
    return {"type": "stats", **public.model_dump(mode="json")}


@router.websocket("/api/wallboard/stream")
async def wallboard_stream(websocket: WebSocket) -> None:
    """Live statistics, once a second and on change."""
    state, hub = _started(websocket)
    try:
        principal = await asyncio.to_thread(_check_board, state, websocket)
    except DomainError as error:
        await _refuse(websocket, error)
        return
    stats = state.stats
    assert stats is not None
    await websocket.accept()
    feed = Feed(asyncio.get_running_loop())
    subscriber = BoardFeed(feed, principal.tenant_id)
    hub.attach_board(subscriber)
    first = True

    async def next_snapshot() -> list[Message]:
        nonlocal first
        if not first:
            changed = await feed.wait(WALLBOARD_PERIOD_SECONDS)
            if feed.closed:
                return []
            if changed:
                await asyncio.sleep(WALLBOARD_DEBOUNCE_SECONDS)  # let a burst of commits settle
            feed.take()
        first = False
        return [await asyncio.to_thread(_stats_message, stats, principal)]

    try:
        await _serve(websocket, feed, next_snapshot)
    finally:
        hub.detach(subscriber)
