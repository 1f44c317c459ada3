"""A customer's interactions over HTTP: the timeline, tenant-wide FCR, and the screen pop
(`GET /api/screen-pop?phone=...|email=...|chat_id=...`) that gives an agent the customer 360.

Reads first bring the timeline up to date with the event log (`InteractionProjector.catch_up`).

The screen pop's `sections` are open for other modules: register a `SectionProvider` in
`SCREEN_POP_SECTIONS` under the section's name (e.g. "open_tickets") and it is called with the session,
the tenant, the customer row and a `PopContext` (now, time zone, language, contact); its JSON-able result
appears under that name.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from baiying.accounts.errors import Forbidden
from baiying.accounts.policy import Action, Kind, visibility
from baiying.api.deps import ClockDep, CurrentUser, SessionDep
from baiying.api.routes.customers import forbid, public, viewer_of, visible
from baiying.api.schemas import KeyPath
from baiying.api.schemas.customers import (
    FcrPublic,
    InteractionPublic,
    ProductPublic,
    RepeatContactPublic,
    ScreenPopPublic,
    TimelinePublic,
)
from baiying.clock import Timestamp
from baiying.customers.contacts import normalise
from baiying.customers.errors import InvalidLookup
from baiying.customers.interactions import FcrAccumulator, repeat_contact
from baiying.customers.model import ContactPointKind
from baiying.storage.customer_tables import CustomerRow, CustomerSettingsRow
from baiying.storage.engine import switch_to_writing
from baiying.storage.repositories.customer_activity import message_entries, ticket_entries
from baiying.storage.repositories.customer_timeline import (
    InteractionProjector,
    category_totals,
    interactions_between_chunks,
    timeline,
)
from baiying.storage.repositories.customers import CustomerStore, settings_of

router = APIRouter(prefix="/api/customers", tags=["customers"])
screen_pop_router = APIRouter(prefix="/api/screen-pop", tags=["customers"])


@dataclass(frozen=True, slots=True)
class PopContext:
    """What a section provider knows of the screen pop besides the customer."""

    now: Timestamp
    timezone: str  # the tenant's, for "today"
    lang: str  # en or zh
    contact_id: str | None  # the contact being handled, if already created


SectionProvider = Callable[[Session, str, CustomerRow, PopContext], Any]
SCREEN_POP_SECTIONS: dict[str, SectionProvider] = {}
RECENT = 10
MAX_ITEMS = 500
MAX_FCR_DAYS = 366
FCR_CHUNK = 5_000  # interactions read at a time


def refresh(
    session: Session, tenant_id: str, now: float, settings: CustomerSettingsRow | None = None
) -> None:
    """Project new events into the timeline and commit; a concurrent refresh that got there first is fine.
    Called by requests that read: the session must hold no changes of its own."""
    if not InteractionProjector(session, tenant_id).behind():
        return
    switch_to_writing(session)  # screen pops race the live center's commits
    try:
        if InteractionProjector(session, tenant_id).catch_up(now, settings=settings):
            session.commit()
        else:
            session.rollback()  # another request projected them meanwhile: end the write transaction
    except IntegrityError:
        session.rollback()  # another request projected the same events; they are in the table now


def _start_of_day(now: float, timezone: str) -> float:
    local = datetime.fromtimestamp(now, tz=ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


@router.get("/fcr")
def tenant_fcr(
    session: SessionDep,
    clock: ClockDep,
    principal: CurrentUser,
    since: Annotated[float, Query(description="Contacts from (epoch seconds).")],
    until: Annotated[float | None, Query(description="...until (default: now); 366 days at most.")] = None,
) -> FcrPublic:
    """First-contact resolution of the handled contacts in [since, until): the share not followed by
    another contact of the same customer on the same topic within the tenant's FCR window; a supervisor
    of some sites measures the contacts settled there."""
    who = viewer_of(session, principal)
    if not (who.is_admin or "supervisor" in who.roles):
        raise forbid(who, "measure")
    now = clock.now()
    end = now if until is None else until
    if end <= since:
        raise InvalidLookup(f"until ({end}) must be after since ({since})", {"since": since, "until": end})
    if end - since > MAX_FCR_DAYS * 86_400:
        raise InvalidLookup(
            f"the period is longer than {MAX_FCR_DAYS} days: ask for a year at most",
            {"since": since, "until": end},
        )
    scope = visibility(principal, Action.READ, Kind.STATS)
    sites = None if scope.everything else scope.sites
    return fcr_between(session, principal.tenant_id, since, end, now, sites)


def fcr_between(
    session: Session,
    tenant_id: str,
    since: float,
    until: float,
    now: float,
    sites: frozenset[str] | None,
    chunk_size: int = FCR_CHUNK,
) -> FcrPublic:
    """FCR of the contacts handled in [since, until) (at `sites` when given): one pass over the timeline
    of the period and the window after it, `chunk_size` interactions at a time, forgetting each contact
    once its window has closed, so a year costs the memory of a window's contacts."""
    refresh(session, tenant_id, now)
    hours = settings_of(session, tenant_id).fcr_window_hours
    window = hours * 3600
    accumulator = FcrAccumulator(now, window, since, until, sites)
    for items in interactions_between_chunks(session, tenant_id, since, until + window, chunk_size):
        for item in items:
            accumulator.add(item)
        accumulator.forget_decided()
    return FcrPublic.of(accumulator.result(), since, until, hours)


@router.get("/{customer_id}/timeline")
def customer_timeline(
    customer_id: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    principal: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=MAX_ITEMS)] = 50,
    since: Annotated[float | None, Query(description="Only interactions from (epoch seconds).")] = None,
) -> TimelinePublic:
    """The customer's interactions across channels, newest first: contacts (voice, chat, email, SMS),
    tickets and the SMS and email sent to them; with all-time counts of contacts by category."""
    tenant = principal.tenant_id
    visible(session, principal, customer_id)
    refresh(session, tenant, clock.now())
    items = [
        *timeline(session, tenant, customer_id, since=since, limit=limit),
        *ticket_entries(session, tenant, customer_id, since=since, limit=limit),
        *message_entries(session, tenant, customer_id, since=since, limit=limit),
    ]
    items = sorted(items, key=lambda item: item.at, reverse=True)[:limit]
    return TimelinePublic(
        customer_id=customer_id,
        items=[InteractionPublic.of(item) for item in items],
        counts=category_totals(session, tenant, customer_id),
    )


def _lookup(phone: str | None, email: str | None, chat_id: str | None) -> tuple[ContactPointKind, str]:
    given = [
        (kind, value)
        for kind, value in (
            (ContactPointKind.PHONE, phone),
            (ContactPointKind.EMAIL, email),
            (ContactPointKind.CHAT, chat_id),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise InvalidLookup(
            "give exactly one of phone, email and chat_id",
            {"given": [kind.value if kind is not ContactPointKind.CHAT else "chat_id" for kind, _ in given]},
        )
    return given[0]


@screen_pop_router.get("")
def screen_pop(
    session: SessionDep,
    clock: ClockDep,
    principal: CurrentUser,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=200)] = None,
    chat_id: Annotated[str | None, Query(max_length=200)] = None,
    contact_id: Annotated[
        str | None, Query(max_length=64, description="The contact being handled, if already created.")
    ] = None,
    lang: Annotated[str, Query(pattern=r"^(en|zh)([-_][A-Za-z]+)?$")] = "en",
) -> ScreenPopPublic:
    """The customer 360 for a contact: profile, products, last interactions, repeat-contact banner and
    counts by category (plus sections other modules register). An unknown contact point is not an error:
    `found` is false. A customer the caller may not see is a 403."""
    tenant = principal.tenant_id
    now = clock.now()
    kind, raw = _lookup(phone, email, chat_id)
    settings = settings_of(session, tenant)
    value = normalise(kind, raw, settings.default_country_code)
    lookup = {"kind": kind.value, "value": value}
    store = CustomerStore(session, tenant)
    row = store.by_point(kind, value)
    if row is None:
        return ScreenPopPublic(lookup=lookup, found=False, customer=None, banner=None, sections={})
    who = viewer_of(session, principal, settings)
    if not who.sees(row.site_id):
        raise Forbidden(
            f"user {who.user!r} may not read customer {row.id!r}", {"kind": "customer", "id": row.id}
        )
    refresh(session, tenant, now, settings)
    recent = timeline(session, tenant, row.id, limit=RECENT)
    oldest_recent = recent[-1].at if recent else now
    start = _start_of_day(now, settings.timezone)
    today = (
        recent
        if len(recent) < RECENT or oldest_recent < start
        else timeline(session, tenant, row.id, since=start)
    )
    repeat = repeat_contact(today, now, settings.timezone, current=contact_id)
    sections: dict[str, Any] = {
        "products": [ProductPublic.of(p).model_dump(mode="json") for p in store.products(row.id)],
        "interactions": [InteractionPublic.of(item).model_dump(mode="json") for item in recent],
        "repeat_contact": RepeatContactPublic.of(repeat, lang).model_dump(mode="json"),
        "counts": category_totals(session, tenant, row.id),
    }
    context = PopContext(now, settings.timezone, lang, contact_id)
    for name, provider in SCREEN_POP_SECTIONS.items():
        sections[name] = provider(session, tenant, row, context)
    return ScreenPopPublic(
        lookup=lookup,
        found=True,
        customer=public(store, row),
        banner=repeat.banner(lang),
        sections=sections,
    )
