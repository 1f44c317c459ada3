"""The service data of the live demo: customers with phones, plans and appliances, their last three
months of usage, the plan catalogue, knowledge articles and worked tickets, so the screen pop, the care
offers, the ticket desk and the knowledge base have something real to show. Deterministic (seeded)."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from baiying.application.ticket_demo import seed_demo_tickets
from baiying.clock import Timestamp
from baiying.customers.model import ApplianceTerms, ContactPoint, ContactPointKind, TelecomTerms
from baiying.knowledge.demo import demo_articles
from baiying.storage.care_tables import PlanRow
from baiying.storage.repositories.care import PlanRepository, record_usage
from baiying.storage.repositories.customers import CustomerStore
from baiying.storage.repositories.knowledge import store_articles

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "霞",
    "平",
]
TIERS = ["standard"] * 6 + ["silver"] * 3 + ["gold"] * 2 + ["platinum"]
# id, name, monthly fee, minutes, data MB, per extra minute, per extra MB (fen)
PLANS = (
    ("basic-39", "畅享39", 3900, 100, 3_000, 15, 3),
    ("medium-79", "畅享79", 7900, 500, 20_000, 15, 3),
    ("large-129", "畅享129", 12900, 1000, 60_000, 10, 1),
)
APPLIANCES = (("空调", "KFR-35GW"), ("冰箱", "BCD-470"), ("洗衣机", "XQG100"))
ACTOR = "demo"


@dataclass(frozen=True, slots=True)
class DemoCustomers:
    phones: tuple[str, ...]  # E.164, in creation order: the demo's callers


DEMO_TICKETS = 7


def seed_service_data(
    session: Session,
    tenant_id: str,
    now: Timestamp,
    *,
    sites: list[str],
    customers: int = 300,
    agent_id: str | None = None,
    expert_id: str | None = None,
) -> DemoCustomers:
    """Add the demo's customers, plans, usage, articles and tickets to `tenant_id`; the caller commits."""
    rng = random.Random(20261123)
    plans = PlanRepository(session, tenant_id)
    for plan_id, name, fee, minutes, data, per_minute, per_mb in PLANS:
        plans.add(
            PlanRow(
                id=plan_id,
                name=name,
                monthly_fee_fen=fee,
                minutes=minutes,
                data_mb=data,
                extra_minute_fen=per_minute,
                extra_mb_fen=per_mb,
            )
        )
    store = CustomerStore(session, tenant_id)
    today = datetime.fromtimestamp(now, UTC).date()
    phones: list[str] = []
    for n in range(1, customers + 1):
        phone = f"+86138{n:08d}"
        phones.append(phone)
        customer_id = f"cust-{n:04d}"
        birthday = _born_today(today, 20 + n % 40) if n % 50 == 1 else _birthday(rng)
        store.create(
            customer_id,
            {
                "display_name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                "tier": rng.choice(TIERS),
                "language": "zh",
                "birthday": birthday,
                "site_id": sites[n % len(sites)] if sites else None,
                "consent_marketing": n % 3 != 0,
                "consent_sms": True,
            },
            [ContactPoint(ContactPointKind.PHONE, phone, "mobile")],
            at=now,
            actor=ACTOR,
            source="demo",
        )
        plan_id, plan_name, fee, minutes, data, _, _ = rng.choice(PLANS)
        product = store.add_product(
            customer_id,
            f"m-{n:04d}",
            f"手机 {phone[-4:]}",
            TelecomTerms(
                plan=plan_name, monthly_fee_cents=fee, minutes_allowance=minutes, data_allowance_mb=data
            ),
            at=now,
        )
        # Light users on big plans are what the plan optimizer is for.
        scale = rng.choice((0.1, 0.3, 0.6, 0.9, 1.2))
        for back in (3, 2, 1):
            month = _month_before(today, back)
            used_minutes = int(minutes * scale * rng.uniform(0.8, 1.2))
            used_data = int(data * scale * rng.uniform(0.8, 1.2))
            record_usage(session, tenant_id, product.id, month, used_minutes, used_data)
        if n % 4 == 0:
            name, model = rng.choice(APPLIANCES)
            bought = today - timedelta(days=rng.randint(200, 1100))
            store.add_product(
                customer_id,
                f"a-{n:04d}",
                name,
                ApplianceTerms(
                    model=model,
                    serial=f"SN{n:06d}",
                    purchase_date=bought,
                    warranty_end=bought + timedelta(days=365 * 3),
                ),
                at=now,
            )
    store_articles(session, tenant_id, demo_articles(), ACTOR, now)
    # The worked tickets belong to demo customers, so their screen pops and timelines show them.
    seed_demo_tickets(
        session,
        tenant_id,
        now,
        site_id=sites[0] if sites else None,
        agent_id=agent_id,
        expert_id=expert_id,
        customer_ids=[f"cust-{n:04d}" for n in range(1, min(customers, DEMO_TICKETS) + 1)],
    )
    return DemoCustomers(tuple(phones))


def _born_today(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a common year
        return today.replace(year=today.year - years, day=28)


def _birthday(rng: random.Random) -> date:
    return date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28))


def _month_before(today: date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
