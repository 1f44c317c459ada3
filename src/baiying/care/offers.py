"""Next-best offers: rules in YAML over the customer, their main subscription, their usage and the contact
in hand, plus the plan optimizer's advice as an offer of its own. Offers accepted before are not offered
again; declined ones rest for the rule's cooldown; "later" keeps them on the list.

    offers:
      - id: family-bundle
        title: {zh: 家庭融合套餐, en: Family bundle}
        pitch: {zh: ..., en: ...}
        purpose: marketing
        priority: 50
        channels: [voice, chat]
        when: customer.tier in ["gold", "platinum"] and usage.data_share > 0.8
        cooldown_days: 30
      - id: cheaper-plan
        kind: plan-optimizer
        min_saving_fen: 1000
        ...

Expressions are `baiying.expressions` with the roots customer, product, usage and contact.
"""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from baiying.care.facts import CustomerFacts, Plan, Product
from baiying.care.plans import PlanAdvice, cheapest_plan, yuan
from baiying.errors import ConfigError, ConfigProblem
from baiying.expressions import Expression, ExpressionError, compile_expression
from baiying.yamlconfig import line_of, parse_with_lines, validate

ROOTS = ("customer", "product", "usage", "contact")
BUNDLED = Path(__file__).with_name("offers.yaml")
MONTHS = 3


class Outcome(StrEnum):
    SHOWN = "shown"  # the agent saw it (the base of conversion rates)
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LATER = "later"


@dataclass(frozen=True, slots=True)
class PastOutcome:
    offer_id: str
    outcome: Outcome
    on: date


class _Texts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9-]{0,63}$")
    kind: Literal["rule", "plan-optimizer"] = "rule"
    title: _Texts
    pitch: _Texts
    purpose: Literal["care", "marketing"] = "marketing"
    priority: int = 0
    channels: list[str] = Field(default_factory=lambda: ["voice", "chat", "email", "sms"])
    when: str | None = None
    min_saving_fen: int = Field(0, ge=0)
    cooldown_days: int = Field(30, ge=0)

    @model_validator(mode="after")
    def _kind_fields(self) -> "_Rule":
        if self.kind == "rule" and self.when is None:
            raise ValueError("a rule needs `when`, the condition that selects its customers")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offers: list[_Rule] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class OfferRule:
    id: str
    kind: str
    title: Mapping[str, str]
    pitch: Mapping[str, str]
    purpose: str
    priority: int
    channels: frozenset[str]
    condition: Expression | None
    min_saving_fen: int
    cooldown_days: int


@dataclass(frozen=True, slots=True)
class Offer:
    id: str
    title: Mapping[str, str]
    pitch: Mapping[str, str]
    purpose: str
    priority: int
    advice: PlanAdvice | None = None  # for the plan optimizer's offer


@dataclass(frozen=True, slots=True)
class OfferBook:
    rules: tuple[OfferRule, ...]

    def next_best(
        self,
        customer: CustomerFacts,
        contact: Mapping[str, Any],
        today: date,
        catalogue: Sequence[Plan] = (),
        history: Sequence[PastOutcome] = (),
        limit: int = 3,
    ) -> list[Offer]:
        """The offers to show now, best first, at most `limit`."""
        plans = {plan.id: plan for plan in catalogue}
        product = main_subscription(customer)
        views = (
            customer_view(customer, today),
            product_view(product, plans, today),
            usage_view(customer, product, plans),
            contact,
        )
        offers = []
        for rule in self.rules:
            if str(contact.get("channel", "voice")) not in rule.channels or _resting(rule, history, today):
                continue
            if rule.purpose == "marketing" and not customer.marketing_consent:
                continue
            if rule.kind == "plan-optimizer":
                advice = _advice(product, catalogue, customer)
                if advice is None or not advice.should_switch or advice.saving_fen < rule.min_saving_fen:
                    continue
                offers.append(_offer(rule, advice))
            elif rule.condition is not None and rule.condition.matches(*views):
                offers.append(_offer(rule, None))
        offers.sort(key=lambda o: (-o.priority, o.id))
        return offers[:limit]


def bundled_offer_rules() -> OfferBook:
    return load_offer_rules(BUNDLED.read_text(encoding="utf-8"), "baiying/care/offers.yaml")


@functools.cache
def bundled_offer_purposes() -> Mapping[str, str]:
    """Each shipped offer's purpose (care or marketing), as the contact caps count an offer shown."""
    return MappingProxyType({rule.id: rule.purpose for rule in bundled_offer_rules().rules})


def load_offer_rules(text: str, source: str) -> OfferBook:
    data, lines = parse_with_lines(text, source)
    spec = validate(data, lines, _File, source)
    problems: list[ConfigProblem] = []
    rules: list[OfferRule] = []
    seen: set[str] = set()
    for index, rule in enumerate(spec.offers):
        where = ("offers", index)
        if rule.id in seen:
            problems.append(
                ConfigProblem(
                    f"offers[{index}].id", f"{rule.id!r} is used twice", line_of((*where, "id"), lines)
                )
            )
        seen.add(rule.id)
        condition = None
        if rule.when is not None:
            try:
                condition = compile_expression(rule.when, ROOTS)
            except ExpressionError as error:
                problems.append(
                    ConfigProblem(f"offers[{index}].when", str(error), line_of((*where, "when"), lines))
                )
        rules.append(
            OfferRule(
                rule.id,
                rule.kind,
                rule.title.model_dump(),
                rule.pitch.model_dump(),
                rule.purpose,
                rule.priority,
                frozenset(rule.channels),
                condition,
                rule.min_saving_fen,
                rule.cooldown_days,
            )
        )
    if problems:
        raise ConfigError(source, problems)
    return OfferBook(tuple(rules))


def main_subscription(customer: CustomerFacts) -> Product | None:
    return next((p for p in customer.products if p.kind == "subscription" and p.plan_id), None)


def customer_view(customer: CustomerFacts, today: date) -> dict[str, Any]:
    age = None
    if customer.birthday is not None:
        age = (
            today.year
            - customer.birthday.year
            - ((today.month, today.day) < (customer.birthday.month, customer.birthday.day))
        )
    return {
        **customer.attributes,
        "id": customer.id,
        "tier": customer.tier,
        "segment": customer.segment,
        "region": customer.region,
        "language": customer.language,
        "age": age,
        "products": len(customer.products),
    }


def product_view(product: Product | None, plans: Mapping[str, Plan], today: date) -> dict[str, Any]:
    if product is None:
        return {}
    plan = plans.get(product.plan_id or "")
    return {
        "id": product.id,
        "plan": product.plan_id,
        "monthly_fee_fen": plan.monthly_fee_fen if plan is not None else None,
        "contract_days_left": (product.contract_end - today).days
        if product.contract_end is not None
        else None,
        "tier": product.tier,
    }


def usage_view(customer: CustomerFacts, product: Product | None, plans: Mapping[str, Plan]) -> dict[str, Any]:
    recent = sorted(customer.usage, key=lambda u: u.month)[-MONTHS:]
    if not recent:
        return {}
    minutes = sum(u.minutes for u in recent) / len(recent)
    data_mb = sum(u.data_mb for u in recent) / len(recent)
    plan = plans.get(product.plan_id or "") if product is not None else None
    return {
        "minutes": minutes,
        "data_mb": data_mb,
        "minutes_share": minutes / plan.minutes if plan is not None and plan.minutes else None,
        "data_share": data_mb / plan.data_mb if plan is not None and plan.data_mb else None,
    }


def _advice(product: Product | None, catalogue: Sequence[Plan], customer: CustomerFacts) -> PlanAdvice | None:
    if product is None or product.plan_id is None or product.plan_id not in {p.id for p in catalogue}:
        return None
    return cheapest_plan(catalogue, product.plan_id, customer.usage)


def _offer(rule: OfferRule, advice: PlanAdvice | None) -> Offer:
    title, pitch = dict(rule.title), dict(rule.pitch)
    if advice is not None:
        values = {
            "plan": advice.best.name,
            "saving": yuan(advice.saving_fen),
            "current": yuan(advice.current_cost_fen),
            "best": yuan(advice.best_cost_fen),
        }
        title = {k: v.format(**values) for k, v in title.items()}
        pitch = {k: v.format(**values) for k, v in pitch.items()}
    return Offer(rule.id, title, pitch, rule.purpose, rule.priority, advice)


def _resting(rule: OfferRule, history: Sequence[PastOutcome], today: date) -> bool:
    for past in history:
        if past.offer_id != rule.id:
            continue
        if past.outcome is Outcome.ACCEPTED:
            return True
        if past.outcome is Outcome.DECLINED and (today - past.on).days < rule.cooldown_days:
            return True
    return False
