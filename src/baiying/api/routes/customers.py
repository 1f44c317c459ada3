"""Customers and their products over HTTP: CRUD with role checks (`baiying.customers.access`), contact
points, duplicate detection and merging, CSV import, and the tenant's customer settings.

Lists mask PII for roles not in the tenant's `pii_roles`; agents see only their site's customers when the
tenant's `agents_see_own_site_only` is set. Every change is in the audit log and, for customers, in the
customer events.
"""

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from baiying.accounts.errors import Forbidden
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import ClockDep, CurrentUser, SessionDep
from baiying.api.schemas import KeyPath
from baiying.api.schemas.customers import (
    ContactPointIn,
    CustomerCreate,
    CustomerEventPublic,
    CustomerPage,
    CustomerPublic,
    CustomerSettingsIn,
    CustomerSettingsPublic,
    CustomerUpdate,
    DuplicatePublic,
    ImportReportPublic,
    ImportRequest,
    MergePublic,
    MergeRequest,
)
from baiying.customers.access import Grant, Viewer, viewer
from baiying.customers.contacts import contact_point, region_of
from baiying.customers.errors import InvalidMerge
from baiying.customers.events import CustomerDeleted
from baiying.customers.importing import parse_customers
from baiying.customers.mapping import CustomerMapping, load_mapping
from baiying.customers.model import ContactPoint, ContactPointKind
from baiying.storage.customer_tables import CustomerRow, CustomerSettingsRow
from baiying.storage.repositories import InvalidRecord, customer_merge, snapshot
from baiying.storage.repositories.customer_import import import_customers
from baiying.storage.repositories.customers import CustomerStore, record_event, settings_of
from baiying.storage.tables import AgentRow
from baiying.yamlconfig import validate_json

router = APIRouter(prefix="/api/customers", tags=["customers"])
settings_router = APIRouter(prefix="/api/customer-settings", tags=["customers"])
ENTITY = "customer"
MAX_PAGE = 500
_AGENT_SITE = select(AgentRow.site_id).where(
    AgentRow.tenant_id == bindparam("tenant"), AgentRow.id == bindparam("agent")
)


# ---- who is asking -------------------------------------------------------------------------------------


def viewer_of(session: Session, principal: Principal, settings: CustomerSettingsRow | None = None) -> Viewer:
    """The principal as a customer viewer, under the tenant's settings (an agent's site from its record)."""
    if settings is None:
        settings = settings_of(session, principal.tenant_id)
    grants: list[Grant] = []
    for grant in principal.grants:
        site = grant.site_id
        if grant.agent_id is not None:
            site = session.scalar(_AGENT_SITE, {"tenant": principal.tenant_id, "agent": grant.agent_id})
        grants.append(Grant(grant.role.value, site))
    return viewer(
        principal.user_id,
        grants,
        agents_see_own_site_only=settings.agents_see_own_site_only,
        pii_roles=settings.pii_roles,
    )


def forbid(who: Viewer, verb: str, customer_id: str | None = None) -> Forbidden:
    what = f"customer {customer_id!r}" if customer_id else "customers"
    return Forbidden(f"user {who.user!r} may not {verb} {what}", {"kind": ENTITY, "id": customer_id})


def visible(
    session: Session, principal: Principal, customer_id: str
) -> tuple[CustomerStore, CustomerRow, Viewer]:
    """The customer, if the principal may see it; UnknownCustomer or Forbidden otherwise."""
    store = CustomerStore(session, principal.tenant_id)
    row = store.get(customer_id)
    who = viewer_of(session, principal)
    if not who.sees(row.site_id):
        raise forbid(who, "read", customer_id)
    return store, row, who


def _admin(session: Session, principal: Principal, verb: str) -> Viewer:
    who = viewer_of(session, principal)
    if not who.is_admin:
        raise forbid(who, verb)
    return who


def writer(session: Session, principal: Principal, verb: str, site_id: str | None) -> Viewer:
    who = viewer_of(session, principal)
    if not who.writes or not who.sees(site_id):
        raise forbid(who, verb)
    return who


def public(store: CustomerStore, row: CustomerRow, masked: bool = False) -> CustomerPublic:
    return CustomerPublic.of(row, store.points([row.id])[row.id], masked)


def _snapshot(store: CustomerStore, row: CustomerRow) -> dict[str, Any]:
    return {
        **snapshot(row),
        "contact_points": [f"{p.kind}:{p.value}" for p in store.points([row.id])[row.id]],
    }


def _points(session: Session, tenant_id: str, given: list[ContactPointIn]) -> list[ContactPoint]:
    code = settings_of(session, tenant_id).default_country_code
    return [contact_point(p.kind, p.value, p.label, code) for p in given]


# ---- customers -----------------------------------------------------------------------------------------


@router.get("")
def list_customers(
    session: SessionDep,
    principal: CurrentUser,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
    contact: Annotated[
        str | None, Query(max_length=200, description="A phone (however written), email or chat id.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CustomerPage:
    """The customers the caller may see, by id; PII masked unless the caller's role may see it in lists."""
    who = viewer_of(session, principal)
    store = CustomerStore(session, principal.tenant_id)
    rows, total = store.search(
        query=q,
        contact=contact,
        site_ids=who.sites,
        include_siteless=who.sees_siteless,
        limit=limit,
        offset=offset,
    )
    points = store.points([r.id for r in rows])
    masked = not who.sees_pii_in_lists
    items = [CustomerPublic.of(row, points[row.id], masked) for row in rows]
    return CustomerPage(total=total, limit=limit, offset=offset, items=items)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_customer(
    body: CustomerCreate, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> CustomerPublic:
    """A new customer; 409 `contact-point-taken` when one of its contact points is another customer's."""
    writer(session, principal, "create", body.site)
    store = CustomerStore(session, principal.tenant_id)
    fields = {
        "display_name": body.display_name,
        "region": body.region,
        "language": body.language,
        "dialect": body.dialect,
        "tier": body.tier,
        "segment": body.segment,
        "birthday": body.birthday,
        "site_id": body.site,
        "attributes": dict(body.attributes),
        **{f"consent_{key}": value for key, value in body.consents.model_dump().items()},
    }
    points = _points(session, principal.tenant_id, body.contact_points)
    row = store.create(body.id, fields, points, at=clock.now(), actor=principal.user_id)
    audited.record(session, principal, clock, "create", ENTITY, row.id, after=_snapshot(store, row))
    session.commit()
    return public(store, row)


@router.get("/duplicates")
def all_duplicates(
    session: SessionDep,
    principal: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=50_000, description="Customers scanned, by id.")] = 10_000,
) -> list[DuplicatePublic]:
    """Duplicate candidates among the tenant's customers (an admin's view)."""
    _admin(session, principal, "scan")
    pairs = customer_merge.all_duplicates(CustomerStore(session, principal.tenant_id), limit)
    return [
        DuplicatePublic(first=p.first, second=p.second, reasons=list(p.reasons), score=p.score) for p in pairs
    ]


@router.post("/import")
def import_csv(
    body: ImportRequest, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> ImportReportPublic:
    """Import customers from CSV text with a mapping (the YAML file's fields as JSON). A mapping that is
    invalid, or names a column the header lacks, is a 422; a bad row is listed in `rejected_rows`."""
    _admin(session, principal, "import")
    mapping = _mapping(body)
    tenant = principal.tenant_id
    parsed = parse_customers(
        body.csv.splitlines(), mapping, "request", settings_of(session, tenant).default_country_code
    )
    report = import_customers(
        session, tenant, parsed, on_existing=mapping.on_existing, at=clock.now(), actor=principal.user_id
    )
    if body.dry_run:
        session.rollback()
    else:
        audited.record(
            session,
            principal,
            clock,
            "import",
            ENTITY,
            "*",
            after={"created": report.created, "updated": report.updated},
        )
        session.commit()
    return ImportReportPublic.model_validate({**report.as_dict(), "dry_run": body.dry_run})


def _mapping(body: ImportRequest) -> CustomerMapping:
    """The request's mapping: YAML text (errors name the line), or the same fields as JSON."""
    if body.mapping_yaml is not None:
        return load_mapping(body.mapping_yaml, "mapping_yaml")
    return validate_json(body.mapping, CustomerMapping, "mapping")


@router.get("/{customer_id}")
def get_customer(customer_id: KeyPath, session: SessionDep, principal: CurrentUser) -> CustomerPublic:
    """One customer in full; a merged-away record says which customer it was merged into."""
    store, row, _ = visible(session, principal, customer_id)
    return public(store, row)


@router.patch("/{customer_id}")
def update_customer(
    customer_id: KeyPath, body: CustomerUpdate, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> CustomerPublic:
    store, row, who = visible(session, principal, customer_id)
    changes = body.changes()
    if not who.may_update(changes.get("site_id", row.site_id)) or ("site_id" in changes and not who.writes):
        raise forbid(who, "move", customer_id)
    before = _snapshot(store, row)
    row = store.update(customer_id, changes, at=clock.now(), actor=principal.user_id)
    audited.record(
        session, principal, clock, "update", ENTITY, customer_id, before=before, after=_snapshot(store, row)
    )
    session.commit()
    return public(store, row)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_customer(
    customer_id: KeyPath, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> Response:
    """Delete a customer with its contact points and products (an admin's); its timeline stays."""
    _admin(session, principal, "delete")
    store = CustomerStore(session, principal.tenant_id)
    row = store.get(customer_id)
    before = _snapshot(store, row)
    session.delete(row)
    session.flush()
    record_event(
        session, principal.tenant_id, CustomerDeleted(customer_id), actor=principal.user_id, at=clock.now()
    )
    audited.record(session, principal, clock, "delete", ENTITY, customer_id, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{customer_id}/contact-points", status_code=status.HTTP_201_CREATED)
def add_contact_point(
    customer_id: KeyPath, body: ContactPointIn, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> CustomerPublic:
    """Add a phone (normalised to E.164), email or chat id; 409 if another customer holds it."""
    store, row, _ = visible(session, principal, customer_id)
    before = _snapshot(store, row)
    store.add_points(customer_id, _points(session, principal.tenant_id, [body]))
    audited.record(
        session, principal, clock, "update", ENTITY, customer_id, before=before, after=_snapshot(store, row)
    )
    session.commit()
    return public(store, row)


@router.delete("/{customer_id}/contact-points/{kind}/{value}")
def remove_contact_point(
    customer_id: KeyPath,
    kind: ContactPointKind,
    value: str,
    session: SessionDep,
    clock: ClockDep,
    principal: CurrentUser,
) -> CustomerPublic:
    store, row, _ = visible(session, principal, customer_id)
    before = _snapshot(store, row)
    point = contact_point(
        kind, value, country_code=settings_of(session, principal.tenant_id).default_country_code
    )
    store.remove_point(customer_id, kind, point.value)
    audited.record(
        session, principal, clock, "update", ENTITY, customer_id, before=before, after=_snapshot(store, row)
    )
    session.commit()
    return public(store, row)


@router.get("/{customer_id}/events")
def customer_events(
    customer_id: KeyPath, session: SessionDep, principal: CurrentUser
) -> list[CustomerEventPublic]:
    """What happened to the record: created, updated, merged (as survivor or as the merged one)."""
    store, _, _ = visible(session, principal, customer_id)
    return [
        CustomerEventPublic(sequence=e.sequence, at=e.at, kind=e.kind, actor=e.actor, data=dict(e.data))
        for e in store.events(customer_id)
    ]


# ---- duplicates and merging ----------------------------------------------------------------------------


@router.get("/{customer_id}/duplicates")
def duplicates_of(customer_id: KeyPath, session: SessionDep, principal: CurrentUser) -> list[DuplicatePublic]:
    """Records that may be the same person: a shared contact point (ignoring an email's +tag), or a similar
    name with the same birthday or appliance serial."""
    store, _, who = visible(session, principal, customer_id)
    pairs = customer_merge.duplicates_of(store, customer_id)
    shown = []
    for p in pairs:
        other = p.second if p.first == customer_id else p.first
        other_row = store.find(other)
        if other_row is not None and who.sees(other_row.site_id):
            shown.append(
                DuplicatePublic(first=p.first, second=p.second, reasons=list(p.reasons), score=p.score)
            )
    return shown


@router.post("/{customer_id}/merge")
def merge_customers(
    customer_id: KeyPath, body: MergeRequest, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> MergePublic:
    """Merge `merged` into this customer (an admin's): contact points, products, timeline and contacts
    move here; the merged record remains, pointing here (`merged_into`)."""
    _admin(session, principal, "merge")
    store = CustomerStore(session, principal.tenant_id)
    if body.merged == customer_id:
        raise InvalidMerge(f"customer {customer_id!r} cannot be merged with itself", {"id": customer_id})
    before = {
        "survivor": _snapshot(store, store.get(customer_id)),
        "merged": _snapshot(store, store.get(body.merged)),
    }
    event = customer_merge.merge_customers(
        store, customer_id, body.merged, at=clock.now(), actor=principal.user_id
    )
    survivor = store.get(customer_id)
    audited.record(
        session,
        principal,
        clock,
        "merge",
        ENTITY,
        customer_id,
        before=before,
        after={"survivor": _snapshot(store, survivor), "merged": _snapshot(store, store.get(body.merged))},
    )
    session.commit()
    return MergePublic(
        survivor=public(store, survivor),
        merged_id=body.merged,
        moved={
            "contact_points": event.contact_points,
            "products": event.products,
            "interactions": event.interactions,
            "contacts": event.contacts,
            "tickets": event.tickets,
        },
        filled=list(event.filled),
    )


# ---- settings ------------------------------------------------------------------------------------------


@settings_router.get("")
def get_settings(session: SessionDep, principal: CurrentUser) -> CustomerSettingsPublic:
    _admin(session, principal, "configure")
    return CustomerSettingsPublic.of(settings_of(session, principal.tenant_id))


@settings_router.put("")
def put_settings(
    body: CustomerSettingsIn, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> CustomerSettingsPublic:
    """The tenant's customer settings: default country code, time zone, FCR window, agents' site scope,
    PII roles, topic categories and the wrap-up codes that mean resolved."""
    _admin(session, principal, "configure")
    try:
        ZoneInfo(body.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRecord(
            f"unknown time zone {body.timezone!r} (use an IANA name such as Asia/Shanghai)"
        ) from None
    region_of(body.default_country_code)
    row = session.get(CustomerSettingsRow, principal.tenant_id)
    before = snapshot(row) if row is not None else None
    if row is None:
        row = CustomerSettingsRow(tenant_id=principal.tenant_id)
        session.add(row)
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    session.flush()
    audited.record(
        session,
        principal,
        clock,
        "update",
        "customer-settings",
        principal.tenant_id,
        before=before,
        after=snapshot(row),
    )
    session.commit()
    return CustomerSettingsPublic.of(row)
