"""`GET /api/contacts`: the contacts a caller may see, filtered, newest first, a page at a time.

Who sees what is the policy's READ scope on contacts: an admin (or an unscoped supervisor) every contact
of the tenant; a site's supervisor those placed at the site; an agent those assigned to them (ringing at,
connected to or completed by them). A filter that could only name contacts outside that scope (another
site, another agent) is refused with 403 rather than answered with an empty page; a filter naming a
queue, site or agent that does not exist, a malformed time or cursor, or an unknown parameter is 422.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime

from baiying.accounts.errors import Forbidden
from baiying.accounts.policy import Action, Kind, Visibility, visibility
from baiying.accounts.principal import Principal
from baiying.api.deps import CenterDep, SessionDep, allowed
from baiying.api.schemas import KEY_PATTERN
from baiying.api.schemas.live import ContactPage, ContactPublic
from baiying.routing.model import Channel
from baiying.storage.repositories import AgentRepository, QueueRepository, SiteRepository
from baiying.storage.repositories.contacts import ContactCursor, ContactFilter, ContactScope

router = APIRouter(prefix="/api/contacts", tags=["contacts"])

DEFAULT_PAGE = 50
MAX_PAGE = 500
# The routing phases while routed, then how it ended (`contacts.state`).
ContactState = Literal["waiting", "offered", "connected", "completed", "abandoned", "routed-out"]

FilterKey = Annotated[str | None, Query(pattern=KEY_PATTERN)]


@router.get("")
def list_contacts(
    request: Request,
    session: SessionDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.CONTACT)],
    queue: FilterKey = None,
    site: Annotated[str | None, Query(pattern=KEY_PATTERN, description="Placed at this site.")] = None,
    state: Annotated[ContactState | None, Query(description="Its phase, or how it ended.")] = None,
    channel: Channel | None = None,
    agent: Annotated[str | None, Query(pattern=KEY_PATTERN, description="Assigned to this agent.")] = None,
    created_from: Annotated[
        AwareDatetime | None, Query(description="Arrived at or after (ISO 8601 with zone, or epoch s).")
    ] = None,
    created_to: Annotated[AwareDatetime | None, Query(description="Arrived before.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=400, description="`next_cursor` of a page.")] = None,
) -> ContactPage:
    """The contacts the caller may see, newest first, filtered by queue, site, state, channel, agent and
    arrival time."""
    _refuse_unknown_parameters(request)
    if created_from is not None and created_to is not None and created_to < created_from:
        _invalid("created_to", "must not be before created_from", created_to.isoformat())
    after = _decode(cursor) if cursor is not None else None
    tenant = principal.tenant_id
    seen = visibility(principal, Action.READ, Kind.CONTACT)
    _check_in_scope(principal, seen, site, agent)
    for name, value, repository in (
        ("queue", queue, QueueRepository),
        ("site", site, SiteRepository),
        ("agent", agent, AgentRepository),
    ):
        if value is not None and repository(session, tenant).find(value) is None:
            _invalid(name, f"no {name} {value!r}", value)
    session.rollback()  # end the read: the center reads in a session of its own
    criteria = ContactFilter(
        queue_id=queue,
        site_id=site,
        state=state,
        channel=channel.value if channel is not None else None,
        agent_id=agent,
        arrived_from=_epoch(created_from),
        arrived_to=_epoch(created_to),
    )
    scope = ContactScope(seen.everything, seen.sites, seen.agents)
    found, following = center.list_contacts(tenant, criteria, scope, limit=limit, after=after)
    return ContactPage(
        items=[ContactPublic.of(status) for status in found],
        next_cursor=_encode(following) if following is not None else None,
    )


_PARAMETERS = frozenset(
    ("queue", "site", "state", "channel", "agent", "created_from", "created_to", "limit", "cursor")
)


def _refuse_unknown_parameters(request: Request) -> None:
    """A misspelt filter must not silently list everything."""
    unknown = sorted(set(request.query_params) - _PARAMETERS)
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": f"unknown parameter; the filters are {', '.join(sorted(_PARAMETERS))}",
                    "input": request.query_params[name],
                }
                for name in unknown
            ]
        )


def _invalid(name: str, reason: str, value: Any) -> NoReturn:
    raise RequestValidationError(
        [{"type": "value_error", "loc": ("query", name), "msg": reason, "input": value}]
    )


def _check_in_scope(principal: Principal, seen: Visibility, site: str | None, agent: str | None) -> None:
    if seen.everything:
        return
    if site is not None and site not in seen.sites and not seen.agents:
        raise Forbidden(
            f"user {principal.login!r} may not read contacts at site {site!r}",
            {"action": Action.READ.value, "kind": Kind.CONTACT.value, "id": None, "site": site},
        )
    if agent is not None and agent not in seen.agents and not seen.sites:
        raise Forbidden(
            f"user {principal.login!r} may not read the contacts of agent {agent!r}",
            {"action": Action.READ.value, "kind": Kind.CONTACT.value, "id": None, "agent": agent},
        )


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _encode(cursor: ContactCursor) -> str:
    raw = json.dumps([cursor.arrived_at, cursor.contact_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> ContactCursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        arrived_at, contact_id = json.loads(raw)
        if (
            isinstance(arrived_at, int | float)
            and not isinstance(arrived_at, bool)
            and isinstance(contact_id, str)
        ):
            return ContactCursor(float(arrived_at), contact_id)
    except (binascii.Error, ValueError, TypeError):
        pass
    _invalid("cursor", "not a cursor this server gave (pass a page's next_cursor as it is)", text)
