"""Multi-site routing: language affinity, best-service spill, time-of-day rules, site status and failover."""

from datetime import datetime
from zoneinfo import ZoneInfo

from baiying.ids import AgentId, ContactId, SiteId
from baiying.routing.config import PlacementRules
from baiying.routing.decisions import Enqueue, OfferToAgent, Overflow
from baiying.routing.model import AgentState, DailyHours, SiteStatus
from baiying.routing.policy import make_step
from baiying.routing.router import Router
from baiying.routing.state import ContactPhase
from tests.routing.builders import BEIJING, GUANGZHOU, SHANGHAI, XIAMEN, agent, config, contact, night_rule

SHANGHAI_TZ = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI_TZ).timestamp()
NIGHT = datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI_TZ).timestamp()


def offers(decisions: list[object]) -> list[OfferToAgent]:
    return [d for d in decisions if isinstance(d, OfferToAgent)]


def test_cantonese_callers_go_to_guangzhou_wherever_they_call_from() -> None:
    router = Router(config())
    router.login(agent("bj", BEIJING), NOON)
    router.login(agent("gz", GUANGZHOU), NOON + 1)
    (offer,) = offers(router.arrive(contact("c1", NOON + 2, site=BEIJING, language="yue"), NOON + 2))
    assert (offer.agent_id, offer.placement) == ("gz", "yue → guangzhou (language affinity)")


def test_local_site_is_preferred_until_its_expected_wait_breaks_the_objective() -> None:
    router = Router(config())
    router.login(agent("sh-1", SHANGHAI), NOON)
    router.login(agent("xm-1", XIAMEN), NOON)
    router.login(agent("xm-2", XIAMEN), NOON)
    router.arrive(contact("first", NOON, site=SHANGHAI), NOON)  # takes sh-1
    # Shanghai's one agent is busy: expected wait there is 180 s > 20 s; Xiamen has agents free.
    decisions = router.arrive(contact("second", NOON + 1, site=SHANGHAI), NOON + 1)
    overflow = next(d for d in decisions if isinstance(d, Overflow))
    assert (overflow.from_site_id, overflow.to_site_id) == (SHANGHAI, XIAMEN)
    assert overflow.reason == "shanghai skipped: EWT 180 s > 20 s; xiamen EWT 0 s"
    (offer,) = offers(decisions)
    assert offer.site_id == XIAMEN
    assert "shanghai skipped: EWT 180 s > 20 s" in offer.explain()


def test_no_spill_while_the_local_wait_meets_the_objective() -> None:
    rules = PlacementRules(spill_when_wait_exceeds_seconds=300)
    router = Router(config(rules=rules))
    router.login(agent("sh-1", SHANGHAI), NOON)
    router.login(agent("xm-1", XIAMEN), NOON)
    router.arrive(contact("first", NOON, site=SHANGHAI), NOON)
    decisions = router.arrive(contact("second", NOON + 1, site=SHANGHAI), NOON + 1)
    assert [type(d).__name__ for d in decisions] == ["Enqueue"]
    assert decisions[0].site_ids == (SHANGHAI,)  # type: ignore[attr-defined]


def test_at_night_about_two_thirds_of_contacts_go_to_hq() -> None:
    router = Router(config(rules=PlacementRules(time_rules=(night_rule(),))))
    placed: dict[SiteId, int] = {}
    for i in range(3000):
        decisions = router.arrive(contact(f"n{i}", NIGHT + i, site=SHANGHAI), NIGHT + i)
        (enqueue,) = [d for d in decisions if isinstance(d, Enqueue)]
        placed[enqueue.site_ids[0]] = placed.get(enqueue.site_ids[0], 0) + 1
    share_hq = placed[BEIJING] / 3000
    assert 0.63 < share_hq < 0.70
    assert set(placed) == {BEIJING, SHANGHAI}
    # In daytime the same rule does nothing.
    (day,) = router.arrive(contact("day", NOON + 86400, site=SHANGHAI), NOON + 86400)
    assert isinstance(day, Enqueue)
    assert day.site_ids == (SHANGHAI,)


def test_site_closed_by_its_hours_takes_no_new_contacts() -> None:
    cfg = config()
    gz = cfg.sites[GUANGZHOU]
    cfg.sites[GUANGZHOU] = type(gz)(
        gz.id, gz.name, gz.timezone, gz.languages, gz.hq, DailyHours(8 * 60, 20 * 60)
    )
    router = Router(cfg)
    (at_night,) = router.arrive(contact("late", NIGHT, site=GUANGZHOU, language="yue"), NIGHT)
    assert isinstance(at_night, Enqueue)
    assert GUANGZHOU not in at_night.site_ids


def test_widening_step_overflows_to_another_site() -> None:
    steps = (
        make_step("local", {"billing": 1}, timeout_seconds=30),
        make_step("national", {"billing": 1}, sites="any"),
    )
    router = Router(config(*steps, rules=PlacementRules(spill_when_wait_exceeds_seconds=10_000)))
    router.login(agent("bj", BEIJING), NOON)
    router.arrive(contact("c0", NOON, site=BEIJING), NOON)
    router.accept(ContactId("c0"), AgentId("bj"), NOON)  # bj busy now
    router.login(agent("xm", XIAMEN, skills={"tech": 5}), NOON)  # cannot help: wrong skill
    router.arrive(contact("c1", NOON + 1, site=BEIJING), NOON + 1)
    router.login(agent("gz", GUANGZHOU), NOON + 2)
    decisions = router.advance(NOON + 31)
    assert [type(d).__name__ for d in decisions][:2] == ["Overflow", "OfferToAgent"]
    assert decisions[1].agent_id == "gz"  # type: ignore[attr-defined]


def test_evacuation_moves_waiting_contacts_to_other_sites_in_their_original_order() -> None:
    router = Router(config())
    router.login(agent("gz-1", GUANGZHOU), NOON)
    router.arrive(contact("busy", NOON, site=GUANGZHOU), NOON)
    router.accept(ContactId("busy"), AgentId("gz-1"), NOON)
    for i in range(5):
        router.arrive(
            contact(f"w{i}", NOON + 1 + i, site=GUANGZHOU, priority=1 if i == 3 else 0), NOON + 1 + i
        )
    decisions = router.set_site_status(GUANGZHOU, SiteStatus.EVACUATED, NOON + 10)
    moved = [d.contact_id for d in decisions if isinstance(d, Enqueue)]
    assert moved == ["w3", "w0", "w1", "w2", "w4"]  # priority first, then true age
    assert all(d.to_site_id != GUANGZHOU for d in decisions if isinstance(d, Overflow))
    assert {d.from_site_id for d in decisions if isinstance(d, Overflow)} == {GUANGZHOU}
    for i in range(5):
        record = router.contacts[ContactId(f"w{i}")]
        assert record.phase is ContactPhase.WAITING
        assert GUANGZHOU not in record.bucket.sites
    # The agent on a call finishes it, then is logged out; nobody can log in at an evacuated site.
    assert router.agents[AgentId("gz-1")].state() == (AgentState.BUSY, None)
    router.complete(ContactId("busy"), NOON + 15)
    assert AgentId("gz-1") not in router.agents
    # New agents elsewhere take the moved contacts, oldest first.
    router.login(agent("bj-1", BEIJING), NOON + 20)
    assert router.contacts[ContactId("w3")].agent_id == "bj-1"


def test_draining_site_finishes_its_queue_but_takes_no_new_contacts() -> None:
    router = Router(config())
    router.arrive(contact("waiting", NOON, site=XIAMEN), NOON)
    router.set_site_status(XIAMEN, SiteStatus.DRAINING, NOON + 1)
    (new,) = router.arrive(contact("new", NOON + 2, site=XIAMEN), NOON + 2)
    assert isinstance(new, Enqueue)
    assert XIAMEN not in new.site_ids
    (offer, _) = router.login(agent("xm", XIAMEN), NOON + 3)[1:3]
    assert isinstance(offer, OfferToAgent)
    assert offer.contact_id == "waiting"


def test_a_nationwide_waiter_is_found_by_a_free_agent_at_any_site_but_not_after_an_evacuation() -> None:
    steps = (make_step("national", {"billing": 1}, sites="any"),)
    router = Router(config(*steps))
    router.login(agent("bj", BEIJING), NOON)
    router.arrive(contact("c0", NOON, site=BEIJING), NOON)  # bj takes it
    router.arrive(contact("c1", NOON + 1, site=BEIJING), NOON + 1)
    router.arrive(contact("c2", NOON + 2, site=BEIJING), NOON + 2)
    # Filed once for every site, not once per site: any site's agent still finds the oldest.
    router.login(agent("xm", XIAMEN), NOON + 3)
    assert router.contacts[ContactId("c1")].agent_id == "xm"
    # With one site evacuated the step no longer covers every site; the others' agents still find it.
    router.set_site_status(SHANGHAI, SiteStatus.EVACUATED, NOON + 4)
    assert SHANGHAI not in router.contacts[ContactId("c2")].bucket.sites
    router.login(agent("gz", GUANGZHOU), NOON + 5)
    assert router.contacts[ContactId("c2")].agent_id == "gz"
