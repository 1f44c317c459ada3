"""The express lane: the three calls every routed contact makes (`POST /api/contacts`, then
`/api/contacts/{id}/accept` and `/complete`) served by a pure ASGI middleware, ahead of FastAPI's stack.

Why: through FastAPI each request crosses its exception, exit-stack and telemetry middleware, matches the
route table, builds a `Request`, solves the route's dependency tree (FastAPI 0.165 recomputes each
dependency's cache key on every request) and validates the route's answer again before serialising it:
some 55 % of the server's CPU under `benchmarks/bench_server.py`, more than the live center itself.

What: only the plain, valid case takes the lane: a POST to exactly one of those paths, a bearer token
whose user is remembered (`Accounts.known_principal`), a role that may ever make the call, and a body that
is a JSON object the route's own model accepts (or no body, for complete). The lane then runs the very
functions the FastAPI routes run (`_create_contact`, `_accept_offer`, `_complete_contact`, off the loop
as they are) and answers with the route's status and model, serialised as FastAPI would. Anything else (a
cookie, an unknown or invalid token, a forbidden role, a body that is not valid, another content type) is
handed to FastAPI unchanged, the body it read replayed: the errors, their codes and the documented
OpenAPI operations are FastAPI's, as before. A domain error raised by the route's function is answered by
the app's own handler (`baiying.api.errors`), so a refused command reads the same either way.
"""

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from baiying.accounts.policy import Action, Kind, require_ever
from baiying.accounts.principal import Principal
from baiying.accounts.tokens import TokenKind
from baiying.api import errors
from baiying.api.blocking import off_loop
from baiying.api.deps import ApiState
from baiying.api.routes.live import _accept_offer, _complete_contact, _create_contact
from baiying.api.schemas import KEY_PATTERN
from baiying.api.schemas.live import CompleteRequest, ContactCreate
from baiying.errors import DomainError

CONTACTS = "/api/contacts"
_CONTACT_ACTION = re.compile(r"^/api/contacts/([^/]+)/(accept|complete)$")
_KEY = re.compile(KEY_PATTERN)
_JSON_HEADERS = [(b"content-type", b"application/json")]

M = TypeVar("M", bound=BaseModel)
Served = tuple[int, BaseModel]
Handler = Callable[[ApiState, Principal, bytes, str | None], Awaitable[Served | None]]


async def _create(state: ApiState, principal: Principal, body: bytes, _contact: str | None) -> Served | None:
    given = _model(ContactCreate, body, required=True)
    if given is None:
        return None
    assert state.center is not None
    return 201, await off_loop(_create_contact, given, state.center, state, principal)


async def _accept(state: ApiState, principal: Principal, body: bytes, contact: str | None) -> Served | None:
    if body or contact is None:
        return None  # the route reads no body: FastAPI decides what one means
    assert state.center is not None
    return 200, await off_loop(_accept_offer, state.center, principal, contact)


async def _complete(state: ApiState, principal: Principal, body: bytes, contact: str | None) -> Served | None:
    given = _model(CompleteRequest, body, required=False) if body else CompleteRequest()
    if given is None or contact is None:
        return None
    assert state.center is not None
    return 200, await off_loop(_complete_contact, state.center, principal, contact, given)


# The role check each route's `allowed(...)` dependency makes, and the route's own work.
_ROUTES: dict[str, tuple[Action, Kind, Handler]] = {
    "create": (Action.CREATE, Kind.CONTACT, _create),
    "accept": (Action.WORK, Kind.AGENT, _accept),
    "complete": (Action.UPDATE, Kind.CONTACT, _complete),
}


def _model(model: type[M], body: bytes, *, required: bool) -> M | None:
    """The body as `model`, validated as FastAPI does (JSON parsed, then the object validated); None for
    anything FastAPI should answer (not JSON, not an object, not valid)."""
    if not body:
        return None if required else model()
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    try:
        return model.model_validate(parsed)
    except ValidationError:
        return None


class ExpressContactRoutes:
    """Pure ASGI middleware serving the contact routes' plain case (see the module's doc); it counts the
    requests it answered itself in `ApiState.express_served`."""

    def __init__(self, app: ASGIApp, state: ApiState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _route(scope) if scope["type"] == "http" and scope["method"] == "POST" else None
        principal = self._principal(scope, route[0]) if route is not None else None
        if route is None or principal is None:
            await self.app(scope, receive, send)
            return
        name, contact = route
        try:
            body = await _read_body(receive)
        except StarletteHTTPException as exc:  # too large a body (BodySizeLimit, outside this lane)
            await (await errors.http_error(Request(scope), exc))(scope, receive, send)
            return
        if body is None:
            return  # the client left before sending its body: nobody to answer
        if body and not _is_json(scope):
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            served = await _ROUTES[name][2](self.state, principal, body, contact)
        except DomainError as exc:
            await (await errors.domain_error(Request(scope), exc))(scope, receive, send)
            return
        except DataError as exc:
            await (await errors.data_error(Request(scope), exc))(scope, receive, send)
            return
        if served is None:
            await self.app(scope, _replay(body, receive), send)
            return
        status, answer = served
        self.state.express_served += 1
        payload = answer.__pydantic_serializer__.to_json(answer, by_alias=True)
        headers = [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _principal(self, scope: Scope, name: str) -> Principal | None:
        """The remembered principal of the request's bearer token, if it may ever make the call."""
        if self.state.center is None:
            return None  # not started: FastAPI says so
        token = _bearer(scope)
        if token is None:
            return None
        try:
            known = self.state.accounts.known_principal(token, TokenKind.BEARER)
            if known is None:
                return None
            action, kind, _ = _ROUTES[name]
            require_ever(known[0], action, kind)
        except DomainError:
            return None  # FastAPI refuses it, with its own answer
        return known[0]


def _route(scope: Scope) -> tuple[str, str | None] | None:
    if scope.get("root_path"):
        return None
    path: str = scope["path"]
    if path == CONTACTS:
        return "create", None
    if not path.startswith(CONTACTS):
        return None
    matched = _CONTACT_ACTION.match(path)
    if matched is None or _KEY.search(matched.group(1)) is None:
        return None
    return matched.group(2), matched.group(1)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


def _bearer(scope: Scope) -> str | None:
    """The token of `Authorization: Bearer <token>`, as FastAPI's HTTPBearer reads it."""
    header = _header(scope, b"authorization")
    if header is None:
        return None
    scheme, _, credentials = header.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials


def _is_json(scope: Scope) -> bool:
    content_type = _header(scope, b"content-type")
    return content_type is not None and content_type.split(b";")[0].strip().lower() == b"application/json"


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body; None if the client left first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app behind the lane: the body the lane read, then the client's own messages."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
            return message
        return await receive()

    return replayed
