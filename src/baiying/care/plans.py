"""The plan optimizer: from a customer's last months of real usage, the cheapest plan in the catalogue and
the monthly saving against the plan they pay for now."""

from collections.abc import Sequence
from dataclasses import dataclass

from baiying.care.facts import Plan, Usage

MONTHS = 3


@dataclass(frozen=True, slots=True)
class PlanAdvice:
    current: Plan
    best: Plan
    months: tuple[str, ...]  # the months the averages cover, oldest first
    current_cost_fen: int  # average monthly bill on the current plan, rounded
    best_cost_fen: int  # the same usage on the best plan
    cost_by_plan: tuple[tuple[str, int], ...]  # every plan's average, cheapest first

    @property
    def saving_fen(self) -> int:
        return self.current_cost_fen - self.best_cost_fen

    @property
    def should_switch(self) -> bool:
        return self.best.id != self.current.id


def monthly_bill_fen(plan: Plan, usage: Usage) -> int:
    extra_minutes = max(0, usage.minutes - plan.minutes)
    extra_mb = max(0, usage.data_mb - plan.data_mb)
    return plan.monthly_fee_fen + extra_minutes * plan.extra_minute_fen + extra_mb * plan.extra_mb_fen


def cheapest_plan(
    catalogue: Sequence[Plan], current_plan_id: str, usage: Sequence[Usage], months: int = MONTHS
) -> PlanAdvice | None:
    """None without usage to go on. Ties go to the current plan (no needless change), then the lower fee."""
    by_id = {plan.id: plan for plan in catalogue}
    if current_plan_id not in by_id:
        raise ValueError(f"the current plan {current_plan_id!r} is not in the catalogue")
    recent = sorted(usage, key=lambda u: u.month)[-months:]
    if not recent:
        return None
    averages = {
        plan.id: round(sum(monthly_bill_fen(plan, u) for u in recent) / len(recent)) for plan in catalogue
    }
    ranked = sorted(
        catalogue, key=lambda p: (averages[p.id], p.id != current_plan_id, p.monthly_fee_fen, p.id)
    )
    best = ranked[0]
    return PlanAdvice(
        current=by_id[current_plan_id],
        best=best,
        months=tuple(u.month for u in recent),
        current_cost_fen=averages[current_plan_id],
        best_cost_fen=averages[best.id],
        cost_by_plan=tuple((p.id, averages[p.id]) for p in ranked),
    )


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"
