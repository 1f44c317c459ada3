"""Care reminders for the agent who has the customer on the line: birthday today, a contract or warranty
ending soon, an allowance left largely unused near the month's end."""

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from baiying.care.facts import CustomerFacts, Plan, Usage


class ReminderKind(StrEnum):
    BIRTHDAY = "birthday"
    CONTRACT_ENDING = "contract-ending"
    WARRANTY_ENDING = "warranty-ending"
    ALLOWANCE_UNUSED = "allowance-unused"


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    ending_within_days: int = 30
    month_end_days: int = 5  # "near month end": this many days left, today included
    unused_share: float = 0.5  # at least this share of the data allowance left


DEFAULT_SETTINGS = ReminderSettings()


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: ReminderKind
    text: dict[str, str]  # by language: zh, en
    product_id: str | None = None
    on: date | None = None


def reminders(
    customer: CustomerFacts,
    today: date,
    plans: dict[str, Plan] | None = None,
    settings: ReminderSettings = DEFAULT_SETTINGS,
) -> list[Reminder]:
    found: list[Reminder] = []
    if customer.birthday is not None and _is_birthday(customer.birthday, today):
        found.append(
            Reminder(
                ReminderKind.BIRTHDAY, {"zh": "今天是客户生日", "en": "Today is the customer's birthday"}
            )
        )
    for product in customer.products:
        for kind, end in (
            (ReminderKind.CONTRACT_ENDING, product.contract_end),
            (ReminderKind.WARRANTY_ENDING, product.warranty_end),
        ):
            if end is not None and 0 <= (end - today).days <= settings.ending_within_days:
                found.append(_ending(kind, product.name, product.id, end, (end - today).days))
        unused = _unused_data(product.plan_id, customer.usage, today, plans or {}, settings)
        if unused is not None:
            found.append(
                Reminder(
                    ReminderKind.ALLOWANCE_UNUSED,
                    {
                        "zh": f"{product.name}本月流量还剩{unused:.0%}未用",
                        "en": f"{product.name}: {unused:.0%} of this month's data is still unused",
                    },
                    product.id,
                )
            )
    return found


_ENDING_WORDS = {
    ReminderKind.CONTRACT_ENDING: ("合约", "contract"),
    ReminderKind.WARRANTY_ENDING: ("保修", "warranty"),
}


def _ending(kind: ReminderKind, name: str, product_id: str, end: date, days: int) -> Reminder:
    zh, en = _ENDING_WORDS[kind]
    text = {
        "zh": f"{name}{zh}将于{end:%Y-%m-%d}到期（{days}天后）",
        "en": f"{name}: {en} ends {end:%Y-%m-%d} (in {days} days)",
    }
    return Reminder(kind, text, product_id, end)


def _is_birthday(birthday: date, today: date) -> bool:
    if (birthday.month, birthday.day) == (2, 29) and not calendar.isleap(today.year):
        return (today.month, today.day) == (2, 28)
    return (birthday.month, birthday.day) == (today.month, today.day)


def _unused_data(
    plan_id: str | None,
    usage: tuple[Usage, ...],
    today: date,
    plans: dict[str, Plan],
    settings: ReminderSettings,
) -> float | None:
    plan = plans.get(plan_id) if plan_id is not None else None
    if plan is None or plan.data_mb == 0:
        return None
    days_left = calendar.monthrange(today.year, today.month)[1] - today.day + 1
    if days_left > settings.month_end_days:
        return None
    this_month = next((u for u in usage if u.month == f"{today:%Y-%m}"), None)
    used = this_month.data_mb if this_month is not None else 0
    left = max(0.0, 1.0 - used / plan.data_mb)
    return left if left >= settings.unused_share else None
