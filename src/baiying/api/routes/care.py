"""Care: the plan catalogue and monthly usage the plan optimizer reads, offer outcomes, and the offer
conversion report. The offers themselves reach the agent in the screen pop."""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.accounts.policy import Action, Kind, Resource, require, resource, visibility
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import ClockDep, SessionDep, allowed
from baiying.api.routes.customer_timeline import SCREEN_POP_SECTIONS, PopContext
from baiying.api.schemas import KeyPath
from baiying.api.schemas.care import (
    ContactCapIn,
    ContactCapsIn,
    ContactCapsPublic,
    ConversionPublic,
    OutcomeIn,
    OutcomeRecorded,
    PlanIn,
    PlanPublic,
    UsageImportPublic,
    UsageImportRequest,
    UsageIn,
    UsagePublic,
)
from baiying.care.caps import ContactCap, longest_period, within_caps
from baiying.care.offers import bundled_offer_rules
from baiying.care.reminders import reminders
from baiying.care.usage_import import UsageMapping, load_usage_mapping, parse_usage
from baiying.errors import DomainError
from baiying.storage.care_tables import OfferOutcomeRow, PlanRow, UsageRow
from baiying.storage.customer_tables import CustomerRow
from baiying.storage.repositories import snapshot
from baiying.storage.repositories.care import (
    PlanRepository,
    catalogue,
    conversion,
    customer_facts,
    past_outcomes,
    record_usage,
)
from baiying.storage.repositories.care_caps import cap_record, care_contacts, contact_caps, save_contact_caps
from baiying.storage.repositories.usage_import import import_usage
from baiying.storage.tables import ContactRow
from baiying.yamlconfig import validate_json

router = APIRouter(prefix="/api/care", tags=["care"])
OFFERS = bundled_offer_rules()
OFFERS_IN_POP = 3


def care_section(session: Session, tenant_id: str, customer: CustomerRow, pop: PopContext) -> dict[str, Any]:
    """The screen pop's "care" section: reminders for today and the next-best offers for this contact."""
    today = datetime.fromtimestamp(pop.now, ZoneInfo(pop.timezone)).date()
    contact = _contact_view(session, tenant_id, pop.contact_id)
    plans = catalogue(session, tenant_id)
    facts = customer_facts(session, tenant_id, customer, plans)
    history = past_outcomes(session, tenant_id, customer.id)
    language = "zh" if pop.lang.startswith("zh") else "en"
    candidates = OFFERS.next_best(facts, contact, today, plans, history, limit=len(OFFERS.rules))
    caps, _ = contact_caps(session, tenant_id)
    purposes = {rule.id: rule.purpose for rule in OFFERS.rules}
    shown = care_contacts(
        session,
        tenant_id,
        customer.id,
        pop.now - longest_period(caps),
        purposes,
        except_contact=pop.contact_id,
    )
    channel = str(contact.get("channel", "voice"))
    offers, suppressed = within_caps(
        [(offer.id, offer.purpose, offer) for offer in candidates], caps, shown, channel, pop.now
    )
    return {
        "reminders": [
            {"kind": r.kind.value, "text": r.text[language], "product_id": r.product_id}
            for r in reminders(facts, today, {plan.id: plan for plan in plans})
        ],
        "offers": [
            {
                "id": offer.id,
                "title": offer.title[language],
                "pitch": offer.pitch[language],
                "purpose": offer.purpose,
                "monthly_saving_fen": offer.advice.saving_fen if offer.advice is not None else None,
            }
            for offer in offers[:OFFERS_IN_POP]
        ],
        "suppressed_offers": [{"id": s.offer_id, "reason": s.reason} for s in suppressed],
    }


def _contact_view(session: Session, tenant_id: str, contact_id: str | None) -> dict[str, Any]:
    contact = session.get(ContactRow, (tenant_id, contact_id)) if contact_id is not None else None
    if contact is None:
        return {"channel": "voice"}
    return {
        **contact.attributes,
        "channel": contact.channel,
        "intent": contact.intent,
        "queue": contact.queue_id,
    }


SCREEN_POP_SECTIONS["care"] = care_section


class InvalidPeriod(DomainError):
    code = "invalid-request"


MonthPath = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


def _care(principal: Principal, id: str | None = None) -> Resource:
    return resource(Kind.CARE, principal.tenant_id, id)


@router.get("/plans")
def list_plans(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.CARE)]
) -> list[PlanPublic]:
    require(principal, Action.READ, _care(principal))
    return [PlanPublic.of(row) for row in PlanRepository(session, principal.tenant_id).list()]


@router.put("/plans/{plan_id}", responses={201: {"description": "Created"}})
def put_plan(
    plan_id: KeyPath,
    body: PlanIn,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CARE)],
) -> PlanPublic:
    """Create the plan, or replace it."""
    require(principal, Action.UPDATE, _care(principal, plan_id))
    plans = PlanRepository(session, principal.tenant_id)
    existing = plans.find(plan_id)
    if existing is None:
        row = plans.add(PlanRow(id=plan_id, **body.model_dump()))
        audited.record(session, principal, clock, "create", "plan", plan_id, after=snapshot(row))
        response.status_code = status.HTTP_201_CREATED
    else:
        before = snapshot(existing)
        row = plans.update(plan_id, **body.model_dump())
        audited.record(
            session, principal, clock, "update", "plan", plan_id, before=before, after=snapshot(row)
        )
    session.commit()
    return PlanPublic.of(row)


@router.delete("/plans/{plan_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_plan(
    plan_id: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.DELETE, Kind.CARE)],
) -> Response:
    require(principal, Action.DELETE, _care(principal, plan_id))
    plans = PlanRepository(session, principal.tenant_id)
    before = snapshot(plans.get(plan_id))
    plans.delete(plan_id)
    audited.record(session, principal, clock, "delete", "plan", plan_id, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/usage/{product_id}/{month}")
def put_usage(
    product_id: KeyPath,
    month: MonthPath,
    body: UsageIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CARE)],
) -> UsagePublic:
    """A subscription's use in one month (from billing), replacing what was recorded for that month."""
    require(principal, Action.UPDATE, _care(principal, product_id))
    row = record_usage(session, principal.tenant_id, product_id, month, body.minutes, body.data_mb)
    session.commit()
    return UsagePublic.of(row)


@router.post("/usage/import")
def import_usage_csv(
    body: UsageImportRequest,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CARE)],
) -> UsageImportPublic:
    """Monthly usage per subscription from a CSV (billing's export) with a column mapping, for the plan
    optimizer: each row replaces its month. A bad row is listed in `rejected_rows` (row, field, reason),
    never dropped; an invalid mapping, or one naming a column the header lacks, is a 422."""
    require(principal, Action.UPDATE, _care(principal, "usage"))
    mapping = _usage_mapping(body)
    parsed = parse_usage(body.csv.splitlines(), mapping, "csv")
    report = import_usage(session, principal.tenant_id, parsed, mapping.product_column)
    if body.dry_run:
        session.rollback()
    else:
        after = {"imported": report.added + report.replaced, "rejected": len(report.rejected)}
        audited.record(session, principal, clock, "import", "usage", "*", after=after)
        session.commit()
    return UsageImportPublic.model_validate({**report.as_dict(), "dry_run": body.dry_run})


def _usage_mapping(body: UsageImportRequest) -> UsageMapping:
    if body.mapping_yaml is not None:
        return load_usage_mapping(body.mapping_yaml, "mapping_yaml")
    return validate_json(body.mapping, UsageMapping, "mapping")


@router.get("/usage/{product_id}")
def get_usage(
    product_id: KeyPath, session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.CARE)]
) -> list[UsagePublic]:
    require(principal, Action.READ, _care(principal, product_id))
    rows = session.scalars(
        select(UsageRow)
        .where(UsageRow.tenant_id == principal.tenant_id, UsageRow.product_id == product_id)
        .order_by(UsageRow.month)
    )
    return [UsagePublic.of(row) for row in rows]


@router.post("/offers/outcomes", status_code=status.HTTP_201_CREATED)
def record_outcome(
    body: OutcomeIn,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.CARE)],
) -> OutcomeRecorded:
    """What happened to an offer the agent saw: shown, accepted, declined, or later."""
    require(principal, Action.CREATE, _care(principal, body.offer_id))
    row = OfferOutcomeRow(
        tenant_id=principal.tenant_id,
        customer_id=body.customer_id,
        offer_id=body.offer_id,
        outcome=body.outcome.value,
        contact_id=body.contact_id,
        user_id=principal.user_id,
        at=clock.now(),
    )
    session.add(row)
    session.commit()
    return OutcomeRecorded(
        id=row.id,
        customer_id=row.customer_id,
        offer_id=row.offer_id,
        outcome=body.outcome,
        contact_id=row.contact_id,
        at=row.at,
    )


@router.get("/offers/conversion")
def offer_conversion(
    session: SessionDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.CARE)],
    start: Annotated[float, Query(alias="from", description="Epoch seconds, inclusive.")],
    end: Annotated[float, Query(alias="to", description="Epoch seconds, exclusive.")],
) -> list[ConversionPublic]:
    """Per offer: how often it was shown, accepted, declined or put off, and the conversion rate; for a
    supervisor of some sites, of the outcomes their agents recorded (as in /api/reports)."""
    require(principal, Action.READ, _care(principal))
    if end <= start:
        raise InvalidPeriod(f"the period is empty: 'to' ({end:g}) must come after 'from' ({start:g})")
    stats = visibility(principal, Action.READ, Kind.STATS)
    sites = stats.sites if stats.sites and not stats.everything else None  # agents: the tenant's, as care
    rows = conversion(session, principal.tenant_id, start, end, sites)
    return [ConversionPublic.of(row) for row in rows]


def _caps_public(session: Session, tenant_id: str) -> ContactCapsPublic:
    caps, row = contact_caps(session, tenant_id)
    return ContactCapsPublic(
        caps=[ContactCapIn(**cap_record(cap)) for cap in caps],
        source="default" if row is None else "tenant",
        updated_by=row.updated_by if row is not None else None,
        updated_at=row.updated_at if row is not None else None,
    )


@router.get("/contact-caps")
def get_contact_caps(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.CARE)]
) -> ContactCapsPublic:
    """The tenant's contact-frequency caps (the defaults until it sets its own): at most `max_contacts`
    care/marketing contacts (offers shown, survey callbacks) per customer per channel per period."""
    require(principal, Action.READ, _care(principal))
    return _caps_public(session, principal.tenant_id)


@router.put("/contact-caps")
def put_contact_caps(
    body: ContactCapsIn,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CARE)],
) -> ContactCapsPublic:
    """Replace the tenant's caps (an empty list: no caps at all); audited."""
    require(principal, Action.UPDATE, _care(principal, "contact-caps"))
    before = _caps_public(session, principal.tenant_id)
    caps = [ContactCap(c.channel, frozenset(c.purposes), c.max_contacts, c.period_seconds) for c in body.caps]
    save_contact_caps(session, principal.tenant_id, caps, principal.user_id, clock.now())
    after = _caps_public(session, principal.tenant_id)
    audited.record(
        session,
        principal,
        clock,
        "update",
        "contact-caps",
        principal.tenant_id,
        before={"caps": before.model_dump()["caps"], "source": before.source},
        after={"caps": after.model_dump()["caps"], "source": after.source},
    )
    session.commit()
    return after
