"""The timeline arithmetic: repeat-contact banner (English and Chinese), category counts, FCR."""

import random
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from baiying.clock import from_datetime
from baiying.customers.i18n import ordinal
from baiying.customers.interactions import (
    FcrAccumulator,
    FcrResult,
    categorise,
    category_counts,
    first_contact_resolution,
    repeat_contact,
    resolution_of,
)
from baiying.customers.model import Category, Interaction, Resolution
from baiying.ids import CustomerId

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600.0


def at(day: int, hour: int, minute: int = 0) -> float:
    return from_datetime(datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI))


def contact(
    source_id: str,
    when: float,
    topic: str | None = "billing",
    outcome: str = "completed",
    resolution: Resolution | None = Resolution.RESOLVED,
    customer: str = "c1",
) -> Interaction:
    return Interaction(
        "contact",
        source_id,
        CustomerId(customer),
        "voice",
        when,
        topic,
        categorise(topic),
        outcome,
        resolution,
    )


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
    ]  # fmt: skip


def test_the_third_contact_of_the_day_names_the_last_one_in_both_languages() -> None:
    timeline = [
        contact("yesterday", at(22, 16)),
        contact("morning", at(23, 9, 5)),
        contact("later", at(23, 10, 42), outcome="abandoned", resolution=Resolution.UNRESOLVED),
    ]
    now = at(23, 14, 30)
    repeat = repeat_contact(timeline, now, "Asia/Shanghai")
    assert (repeat.ordinal, repeat.today, repeat.last_local_time) == (3, 2, "10:42")
    assert repeat.banner("en") == "3rd contact today, last at 10:42 (billing, unresolved)"
    assert repeat.banner("zh") == "今天第3次联系，上次 10:42（billing，未解决）"
    # The contact being handled, once in the timeline, is not its own predecessor.
    timeline.append(contact("now", now, outcome="open", resolution=None))
    assert repeat_contact(timeline, now, current="now").banner("en") == repeat.banner("en")
    assert repeat_contact(timeline, now).banner("en") == "4th contact today, last at 14:30 (billing, open)"


def test_the_first_contact_of_the_day_has_no_banner_and_today_is_local() -> None:
    # 23:30 in Shanghai on the 22nd is 15:30 UTC: yesterday locally, though the same UTC day as 01:00.
    timeline = [contact("late", at(22, 23, 30))]
    repeat = repeat_contact(timeline, at(23, 1, 0), "Asia/Shanghai")
    assert (repeat.ordinal, repeat.is_repeat, repeat.banner("en")) == (1, False, None)
    utc = repeat_contact(timeline, at(23, 1, 0), "UTC")
    assert utc.banner("en") == "2nd contact today, last at 15:30 (billing, resolved)"


def test_a_banner_without_topic_names_only_the_state() -> None:
    timeline = [contact("a", at(23, 9), topic=None, outcome="answered", resolution=None)]
    repeat = repeat_contact(timeline, at(23, 10))
    assert repeat.banner("en") == "2nd contact today, last at 09:00 (open)"
    assert repeat.banner("zh-CN") == "今天第2次联系，上次 09:00（处理中）"


def test_categories_come_from_the_tenants_rules_then_from_words() -> None:
    assert categorise("billing-complaint") is Category.COMPLAINT
    assert categorise("投诉") is Category.COMPLAINT
    assert categorise("product inquiry") is Category.CONSULTATION
    assert categorise("报修") is Category.SERVICE
    assert categorise("billing") is Category.OTHER
    assert categorise("billing", {"billing": "consultation"}) is Category.CONSULTATION
    assert categorise(None) is Category.OTHER
    items = [contact("a", 0, "complaint"), contact("b", 1, "complaint"), contact("c", 2, "repair")]
    assert category_counts(items) == {"complaint": 2, "consultation": 0, "service": 1, "other": 0}
    assert category_counts(items, since=1.5) == {"complaint": 0, "consultation": 0, "service": 1, "other": 0}


def test_resolution_follows_the_outcome_and_wrap_up_code() -> None:
    resolved = ["resolved"]
    assert resolution_of("abandoned", None, resolved) is Resolution.UNRESOLVED
    assert resolution_of("routed-out", None, resolved) is Resolution.UNRESOLVED
    assert resolution_of("completed", "resolved", resolved) is Resolution.RESOLVED
    assert resolution_of("completed", None, resolved) is Resolution.RESOLVED
    assert resolution_of("completed", "callback", resolved) is Resolution.UNRESOLVED
    assert resolution_of("answered", None, resolved) is None


def test_fcr_counts_contacts_not_followed_on_the_same_topic_within_the_window() -> None:
    window = 24 * HOUR
    timeline = [
        contact("a1", at(20, 9)),  # followed by a2 on billing 3 h later: repeated
        contact("a2", at(20, 12)),  # next billing contact is 2 days later: resolved
        contact("b1", at(20, 10), topic="roaming"),  # never again: resolved
        contact("a3", at(22, 12)),  # window still open at now, no repeat yet: pending
        contact("x1", at(20, 11), topic="roaming", outcome="abandoned", customer="c2"),  # not handled
        contact("y1", at(20, 11), topic="roaming", customer="c2"),  # other customer: resolved
    ]
    now = at(23, 9)
    result = first_contact_resolution(timeline, now, window)
    assert (result.handled, result.resolved_first_time, result.repeated, result.pending) == (5, 3, 1, 1)
    assert result.rate == pytest.approx(3 / 4)
    # An abandoned retry still counts against the contact before it.
    retry = [contact("p", at(20, 9)), contact("q", at(20, 10), outcome="abandoned")]
    assert first_contact_resolution(retry, now, window).repeated == 1
    # A wider window turns a2 (followed 48 h later) into a repeat.
    assert first_contact_resolution(timeline, now, 72 * HOUR).repeated == 2
    only_day = first_contact_resolution(timeline, now, window, since=at(20, 0), until=at(21, 0))
    assert only_day.handled == 4
    assert first_contact_resolution([], now).rate is None
    with pytest.raises(ValueError, match="positive"):
        first_contact_resolution(timeline, now, 0)


def fcr_by_issue(
    items: list[Interaction], now: float, window: float, since: float, until: float
) -> FcrResult:
    """The definition spelled out with every contact in memory: each handled contact of the period
    against the next contact of the same customer on the same topic."""
    by_issue: dict[tuple[str, str | None], list[Interaction]] = {}
    for item in items:
        if item.at <= now:
            by_issue.setdefault((item.customer_id, item.topic), []).append(item)
    handled = resolved = repeated = pending = 0
    for contacts in by_issue.values():
        contacts.sort(key=lambda item: item.at)
        for index, item in enumerate(contacts):
            if item.outcome not in ("answered", "completed") or not since <= item.at < until:
                continue
            handled += 1
            following = contacts[index + 1] if index + 1 < len(contacts) else None
            if following is not None and following.at - item.at <= window:
                repeated += 1
            elif now - item.at < window:
                pending += 1
            else:
                resolved += 1
    return FcrResult(handled, resolved, repeated, pending)


@pytest.mark.parametrize("seed", range(20))
def test_the_one_pass_fcr_that_forgets_decided_contacts_equals_the_definition(seed: int) -> None:
    rng = random.Random(seed)
    start = at(1, 0)
    items = sorted(
        (
            contact(
                f"k{n}",
                start + rng.uniform(0, 40 * 24 * HOUR),
                topic=rng.choice(["billing", "roaming", None]),
                outcome=rng.choice(["completed", "answered", "abandoned"]),
                customer=f"c{rng.randrange(15)}",
            )
            for n in range(400)
        ),
        key=lambda item: item.at,
    )
    window = rng.choice([6, 24, 72]) * HOUR
    since, until = start + 5 * 24 * HOUR, start + 30 * 24 * HOUR
    now = start + rng.choice([31, 45]) * 24 * HOUR
    accumulator = FcrAccumulator(now, window, since, until)
    latest = start
    for item in items:
        accumulator.add(item)
        accumulator.forget_decided()
        latest = item.at if item.at <= now else latest  # later ones are not yet known
        # what it keeps: only contacts whose window is still open at the latest one
        assert all(latest - kept <= window for kept in accumulator._open.values())
    assert accumulator.result() == fcr_by_issue(items, now, window, since, until)
    assert first_contact_resolution(reversed(items), now, window, since, until) == accumulator.result()


def test_fcr_of_some_sites_counts_their_contacts_against_a_repeat_anywhere() -> None:
    window = 24 * HOUR
    gz = [replace(contact("g1", at(20, 9)), site_id="guangzhou")]
    bj = [replace(contact("b1", at(20, 10)), site_id="beijing")]
    repeat_at_bj = [replace(contact("b2", at(20, 11)), site_id="beijing")]  # repeats g1 and b1
    items = gz + bj + repeat_at_bj
    now = at(23, 0)
    accumulator = FcrAccumulator(now, window, sites=frozenset({"guangzhou"}))
    for item in items:
        accumulator.add(item)
    assert accumulator.result() == FcrResult(handled=1, resolved_first_time=0, repeated=1, pending=0)
    everywhere = FcrAccumulator(now, window)
    for item in items:
        everywhere.add(item)
    assert everywhere.result() == FcrResult(handled=3, resolved_first_time=1, repeated=2, pending=0)
    with pytest.raises(ValueError, match="time order"):
        accumulator.add(gz[0])
