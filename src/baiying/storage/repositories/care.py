"""Care's stored facts: the plan catalogue, usage by month, offer outcomes and the conversion report."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from baiying.care.facts import CustomerFacts, Plan, Product, Usage
from baiying.care.offers import Outcome, PastOutcome
from baiying.customers.model import ProductKind
from baiying.storage.care_tables import OfferOutcomeRow, PlanRow, UsageRow
from baiying.storage.customer_tables import CustomerRow, ProductRow
from baiying.storage.repositories.base import Repository
from baiying.storage.tables import AgentRow, UserRoleRow


class PlanRepository(Repository[PlanRow]):
    model = PlanRow
    entity = "plan"


def catalogue(session: Session, tenant_id: str) -> list[Plan]:
    return [plan_of(row) for row in PlanRepository(session, tenant_id).list()]


def plan_of(row: PlanRow) -> Plan:
    return Plan(
        row.id,
        row.name,
        row.monthly_fee_fen,
        row.minutes,
        row.data_mb,
        row.extra_minute_fen,
        row.extra_mb_fen,
    )


def usage_of(session: Session, tenant_id: str, product_ids: Sequence[str]) -> dict[str, list[Usage]]:
    """Each product's months of use, oldest first."""
    found: dict[str, list[Usage]] = {product: [] for product in product_ids}
    if not product_ids:
        return found
    rows = session.scalars(
        select(UsageRow)
        .where(UsageRow.tenant_id == tenant_id, UsageRow.product_id.in_(product_ids))
        .order_by(UsageRow.product_id, UsageRow.month)
    )
    for row in rows:
        found[row.product_id].append(Usage(row.month, row.minutes, row.data_mb))
    return found


def record_usage(
    session: Session, tenant_id: str, product_id: str, month: str, minutes: int, data_mb: int
) -> UsageRow:
    row = session.get(UsageRow, (tenant_id, product_id, month))
    if row is None:
        row = UsageRow(
            tenant_id=tenant_id, product_id=product_id, month=month, minutes=minutes, data_mb=data_mb
        )
        session.add(row)
    else:
        row.minutes, row.data_mb = minutes, data_mb
    session.flush()
    return row


def past_outcomes(session: Session, tenant_id: str, customer_id: str) -> list[PastOutcome]:
    rows = session.scalars(
        select(OfferOutcomeRow)
        .where(
            OfferOutcomeRow.tenant_id == tenant_id,
            OfferOutcomeRow.customer_id == customer_id,
            OfferOutcomeRow.outcome != Outcome.SHOWN.value,
        )
        .order_by(OfferOutcomeRow.id)
    )
    return [
        PastOutcome(row.offer_id, Outcome(row.outcome), datetime.fromtimestamp(row.at, UTC).date())
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class Conversion:
    offer_id: str
    shown: int
    accepted: int
    declined: int
    later: int

    @property
    def rate(self) -> float | None:
        return self.accepted / self.shown if self.shown else None


def conversion(
    session: Session, tenant_id: str, start: float, end: float, sites: frozenset[str] | None = None
) -> list[Conversion]:
    """Per offer, its outcomes recorded in [start, end), counted by the database; with `sites`, only
    those recorded by the agents of those sites (the agent's site now: outcomes keep no site)."""
    query = select(OfferOutcomeRow.offer_id, OfferOutcomeRow.outcome, func.count()).where(
        OfferOutcomeRow.tenant_id == tenant_id, OfferOutcomeRow.at >= start, OfferOutcomeRow.at < end
    )
    if sites is not None:
        site_agents = (
            select(UserRoleRow.user_id)
            .join(
                AgentRow,
                (AgentRow.tenant_id == UserRoleRow.tenant_id) & (AgentRow.id == UserRoleRow.agent_id),
            )
            .where(UserRoleRow.tenant_id == tenant_id, AgentRow.site_id.in_(sorted(sites)))
        )
        query = query.where(OfferOutcomeRow.user_id.in_(site_agents))
    rows = session.execute(query.group_by(OfferOutcomeRow.offer_id, OfferOutcomeRow.outcome)).all()
    counts: dict[str, dict[str, int]] = {}
    for offer_id, outcome, count in rows:
        counts.setdefault(offer_id, {})[outcome] = int(count)
    return [
        Conversion(
            offer,
            by.get("shown", 0),
            by.get("accepted", 0),
            by.get("declined", 0),
            by.get("later", 0),
        )
        for offer, by in sorted(counts.items())
    ]


def customer_facts(
    session: Session, tenant_id: str, customer: CustomerRow, catalogue: Sequence[Plan]
) -> CustomerFacts:
    """The customer as care sees it: profile, active products, and the main subscription's usage;
    `catalogue` is the tenant's plans, which name each subscription's plan."""
    rows = session.scalars(
        select(ProductRow)
        .where(ProductRow.tenant_id == tenant_id, ProductRow.customer_id == customer.id, ProductRow.active)
        .order_by(ProductRow.id)
    ).all()
    plans = {plan.id: plan for plan in catalogue}
    by_name = {plan.name: plan.id for plan in plans.values()}
    products = tuple(_product(row, plans, by_name) for row in rows)
    main = next((p for p in products if p.kind == "subscription" and p.plan_id), None)
    usage = usage_of(session, tenant_id, [main.id])[main.id] if main is not None else []
    return CustomerFacts(
        id=customer.id,
        name=customer.display_name,
        tier=customer.tier,
        segment=customer.segment,
        region=customer.region,
        language=customer.language,
        birthday=customer.birthday,
        products=products,
        usage=tuple(usage),
        marketing_consent=customer.consent_marketing,
        attributes=dict(customer.attributes or {}),
    )


def _product(row: ProductRow, plans: dict[str, Plan], by_name: dict[str, str]) -> Product:
    if row.kind == ProductKind.TELECOM.value:
        # The product names its plan by the catalogue's id or by its name.
        plan_id = row.plan if row.plan in plans else by_name.get(row.plan or "")
        return Product(row.id, "subscription", row.name, plan_id=plan_id)
    return Product(
        row.id,
        "appliance",
        row.name,
        model=row.model,
        serial=row.serial,
        warranty_end=row.warranty_end,
        tier=row.product_tier,
    )
