"""Care: the plan optimizer, reminders and next-best offers (pure)."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baiying.care.facts import CustomerFacts, Plan, Product, Usage
from baiying.care.offers import Outcome, PastOutcome, bundled_offer_rules, load_offer_rules
from baiying.care.plans import cheapest_plan, monthly_bill_fen
from baiying.care.reminders import ReminderKind, reminders
from baiying.errors import ConfigError

# fee, minutes, data MB, extra per minute, extra per MB (fen)
BASIC = Plan("basic-39", "畅享39", 3900, 100, 3_000, 15, 3)
MEDIUM = Plan("medium-79", "畅享79", 7900, 500, 20_000, 15, 3)
LARGE = Plan("large-129", "畅享129", 12900, 1000, 60_000, 10, 1)
CATALOGUE = (BASIC, MEDIUM, LARGE)
LIGHT_USE = (Usage("2026-08", 60, 1_500), Usage("2026-09", 80, 2_000), Usage("2026-10", 90, 2_500))
TODAY = date(2026, 11, 23)


def test_the_optimizer_finds_the_cheapest_plan_for_real_usage_and_the_saving() -> None:
    advice = cheapest_plan(CATALOGUE, "large-129", (Usage("2026-07", 900, 50_000), *LIGHT_USE))
    assert advice is not None
    assert advice.months == ("2026-08", "2026-09", "2026-10")  # the last three only
    assert (advice.best.id, advice.best_cost_fen, advice.current_cost_fen) == ("basic-39", 3900, 12900)
    assert advice.saving_fen == 9000
    assert advice.should_switch


def test_overage_can_make_the_bigger_plan_cheaper() -> None:
    heavy = [Usage(f"2026-0{m}", 400, 15_000) for m in (7, 8, 9)]
    # basic: 3900 + 300*15 + 12000*3 = 44400; medium: 7900
    assert monthly_bill_fen(BASIC, heavy[0]) == 44_400
    advice = cheapest_plan(CATALOGUE, "basic-39", heavy)
    assert advice is not None
    assert (advice.best.id, advice.saving_fen) == ("medium-79", 36_500)


def test_without_usage_there_is_no_advice_and_an_unknown_plan_is_an_error() -> None:
    assert cheapest_plan(CATALOGUE, "basic-39", []) is None
    with pytest.raises(ValueError, match="'gold-999' is not in the catalogue"):
        cheapest_plan(CATALOGUE, "gold-999", LIGHT_USE)


usage_months = st.lists(
    st.builds(
        Usage,
        st.sampled_from([f"2026-{m:02d}" for m in range(1, 13)]),
        st.integers(0, 3000),
        st.integers(0, 100_000),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda u: u.month,
)


@given(usage_months, st.sampled_from([p.id for p in CATALOGUE]))
def test_the_advice_is_never_worse_than_any_plan_and_never_a_needless_change(
    usage: list[Usage], current: str
) -> None:
    advice = cheapest_plan(CATALOGUE, current, usage)
    assert advice is not None
    costs = dict(advice.cost_by_plan)
    assert advice.best_cost_fen == min(costs.values())
    assert advice.saving_fen >= 0
    if costs[current] == advice.best_cost_fen:
        assert not advice.should_switch


def customer(**changes: object) -> CustomerFacts:
    base = CustomerFacts(
        id="c-1",
        name="王芳",
        tier="gold",
        birthday=date(1990, 11, 23),
        products=(
            Product("p-1", "subscription", "手机套餐", plan_id="large-129", contract_end=date(2026, 12, 10)),
            Product("p-2", "appliance", "空调", model="KFR-35", warranty_end=date(2027, 5, 1)),
        ),
        usage=LIGHT_USE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_reminders_birthday_contract_ending_and_unused_data() -> None:
    plans = {p.id: p for p in CATALOGUE}
    today = reminders(customer(), TODAY, plans)
    assert [r.kind for r in today] == [ReminderKind.BIRTHDAY, ReminderKind.CONTRACT_ENDING]
    assert today[1].text["zh"] == "手机套餐合约将于2026-12-10到期（17天后）"
    assert today[1].text["en"] == "手机套餐: contract ends 2026-12-10 (in 17 days)"
    month_end = reminders(customer(usage=(Usage("2026-11", 50, 10_000),)), date(2026, 11, 28), plans)
    unused = [r for r in month_end if r.kind is ReminderKind.ALLOWANCE_UNUSED]
    assert [r.text["en"] for r in unused] == ["手机套餐: 83% of this month's data is still unused"]
    assert reminders(customer(birthday=date(2000, 2, 29)), date(2027, 2, 28))[0].kind is ReminderKind.BIRTHDAY


def test_next_best_offers_rank_rules_and_the_optimizer_and_respect_past_outcomes() -> None:
    book = bundled_offer_rules()
    offers = book.next_best(customer(), {"channel": "voice", "intent": "billing"}, TODAY, CATALOGUE)
    assert [o.id for o in offers] == ["cheaper-plan", "contract-renewal", "family-bundle"]
    assert offers[0].title["zh"] == "改用畅享39，每月省¥90.00"
    assert (
        offers[0].pitch["en"].startswith("On your last three months of use, 畅享39 would cost about ¥39.00")
    )
    # A complaint call gets no bundle pitch; an SMS conversation gets none of the voice/chat-only offers.
    assert "family-bundle" not in [
        o.id
        for o in book.next_best(customer(), {"channel": "voice", "intent": "complaint"}, TODAY, CATALOGUE)
    ]
    history = [
        PastOutcome("cheaper-plan", Outcome.DECLINED, date(2026, 11, 1)),  # rests 60 days
        PastOutcome("contract-renewal", Outcome.ACCEPTED, date(2026, 6, 1)),  # never again
        PastOutcome("family-bundle", Outcome.LATER, date(2026, 11, 22)),  # still on the list
    ]
    again = book.next_best(customer(), {"channel": "chat"}, TODAY, CATALOGUE, history)
    assert [o.id for o in again] == ["family-bundle"]


def test_offer_rules_name_the_field_and_line_of_each_problem() -> None:
    text = """offers:
  - id: a
    title: {zh: 甲, en: A}
    pitch: {zh: 甲, en: A}
    when: customer.tier == "gold" and wallet.balance > 5
  - id: a
    title: {zh: 乙, en: B}
    pitch: {zh: 乙, en: B}
    when: usage.data_share > 0.5
"""
    with pytest.raises(ConfigError) as raised:
        load_offer_rules(text, "offers.yaml")
    message = str(raised.value)
    assert (
        "offers.yaml:5: offers[0].when: only customer.<field>, product.<field>, usage.<field> and "
        "contact.<field> can be read" in message
    )
    assert "offers.yaml:6: offers[1].id: 'a' is used twice" in message


def test_without_marketing_consent_only_care_offers_are_shown() -> None:
    offers = bundled_offer_rules().next_best(
        customer(marketing_consent=False), {"channel": "voice", "intent": "billing"}, TODAY, CATALOGUE
    )
    assert [o.id for o in offers] == ["cheaper-plan", "contract-renewal"]
    assert {o.purpose for o in offers} == {"care"}
