"""A contact's and an agent's life through the router: offers, timeouts, steps, wrap-up, capacity."""

import pytest

from baiying.errors import InvalidTransition, UnknownEntity
from baiying.ids import AgentId, ContactId, QueueId
from baiying.routing.decisions import (
    AgentStateChanged,
    Enqueue,
    OfferCallback,
    OfferToAgent,
    RouteOut,
    RouteOutDestination,
    WithdrawOffer,
    WrapUpFinished,
)
from baiying.routing.model import AgentState, Channel
from baiying.routing.policy import make_step
from baiying.routing.router import Router
from baiying.routing.state import ContactPhase
from tests.routing.builders import BEIJING, agent, config, contact

C1, LI_NA, WANG = ContactId("c1"), AgentId("li-na"), AgentId("wang-fang")


def kinds(decisions: list[object]) -> list[str]:
    return [type(d).__name__ for d in decisions]


def state_of(router: Router, agent_id: str) -> tuple[AgentState, str | None]:
    return router.agents[AgentId(agent_id)].state()


def test_ring_no_answer_returns_the_contact_to_the_head_and_sets_agent_aux_missed() -> None:
    router = Router(config(offer_timeout=15))
    router.arrive(contact("older", 0), 0)
    router.arrive(contact("c1", 5), 5)
    router.login(agent("li-na"), 10)  # takes "older"
    assert router.next_due() == 25
    decisions = router.advance(25)
    assert WithdrawOffer(ContactId("older"), QueueId("billing"), LI_NA, "missed") in decisions
    assert state_of(router, "li-na") == (AgentState.AUX, "missed")
    # The missed contact is still the oldest: the next agent gets it, not the newer c1.
    offered = [d for d in router.login(agent("wang-fang"), 30) if isinstance(d, OfferToAgent)]
    assert [(d.contact_id, d.agent_id) for d in offered] == [("older", "wang-fang")]


def test_a_rejected_contact_is_not_offered_to_the_same_agent_again() -> None:
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 1), 1)
    decisions = router.reject(C1, LI_NA, 2)
    assert WithdrawOffer(C1, QueueId("billing"), LI_NA, "rejected") in decisions
    assert router.contacts[C1].phase is ContactPhase.WAITING
    assert state_of(router, "li-na") == (AgentState.READY, None)
    offered = [d for d in router.login(agent("wang-fang"), 3) if isinstance(d, OfferToAgent)]
    assert [(d.contact_id, d.agent_id) for d in offered] == [("c1", "wang-fang")]


def test_wrap_up_holds_the_agent_until_its_time_ends() -> None:
    router = Router(config(wrap_up=30))
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 0), 0)
    router.accept(C1, LI_NA, 1)
    router.complete(C1, 61)
    assert state_of(router, "li-na") == (AgentState.WRAP_UP, None)
    router.arrive(contact("c2", 70), 70)
    decisions = router.advance(91)
    assert kinds(decisions) == ["WrapUpFinished", "AgentStateChanged", "OfferToAgent", "AgentStateChanged"]
    assert decisions[0] == WrapUpFinished(LI_NA, C1, QueueId("billing"), "beijing", 30)


def test_agent_may_end_wrap_up_early() -> None:
    router = Router(config(wrap_up=60))
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 0), 0)
    router.accept(C1, LI_NA, 0)
    router.complete(C1, 10)
    finished = router.end_wrap_up(LI_NA, 20)
    assert WrapUpFinished(LI_NA, C1, QueueId("billing"), "beijing", 10) in finished
    assert router.advance(100) == []  # the wrap-up timer is stale now


def test_step_timeout_relaxes_the_target_and_raises_priority() -> None:
    steps = (
        make_step("experts", {"billing": 8}, timeout_seconds=30),
        make_step("anyone", {"billing": 1}, priority_add=2),
    )
    router = Router(config(*steps))
    router.login(agent("novice", skills={"billing": 2}), 0)
    arrived = router.arrive(contact("c1", 0), 0)
    assert kinds(arrived) == ["Enqueue"]
    decisions = router.advance(30)
    offer = next(d for d in decisions if isinstance(d, OfferToAgent))
    assert (offer.agent_id, offer.skill_levels) == ("novice", (("billing", 2),))
    assert router.contacts[C1].priority == 2


def test_callback_offer_keeps_the_callers_place_and_voicemail_ends_routing() -> None:
    steps = (
        make_step("queue", {"billing": 1}, timeout_seconds=60, on_timeout="offer-callback"),
        make_step("keep waiting", {"billing": 1}, timeout_seconds=600, on_timeout="voicemail"),
    )
    router = Router(config(*steps))
    router.arrive(contact("c1", 0), 0)
    router.arrive(contact("c2", 10), 10)
    assert OfferCallback(C1, QueueId("billing")) in router.advance(60)
    router.accept_callback(C1, 61)
    offer = next(d for d in router.login(agent("li-na"), 100) if isinstance(d, OfferToAgent))
    assert (offer.contact_id, offer.agent_id, offer.callback) == ("c1", "li-na", True)
    router.accept(C1, LI_NA, 101)
    # c2 never gets an agent (li-na is busy) and goes to voicemail when its last step times out.
    routed_out = [d for d in router.advance(700) if isinstance(d, RouteOut)]
    assert [(d.contact_id, d.destination, d.waited_seconds, d.reason) for d in routed_out] == [
        ("c2", "voicemail", 660, "step 'keep waiting' timed out")
    ]
    assert ContactId("c2") not in router.contacts


def test_an_adapter_routes_a_waiting_contact_out_and_it_leaves_its_queue() -> None:
    router = Router(config())
    router.arrive(contact("c1", 0), 0)
    router.arrive(contact("c2", 5), 5)
    decisions = router.route_out(C1, RouteOutDestination.DISCONNECTED, "maximum queue time 300 s", 300)
    assert decisions == [
        RouteOut(C1, QueueId("billing"), "disconnected", BEIJING, 300, "maximum queue time 300 s")
    ]
    assert (
        decisions[0].explain() == "c1 leaves billing for disconnected after 300 s: maximum queue time 300 s"
    )
    assert C1 not in router.contacts
    offer = next(d for d in router.login(agent("li-na"), 301) if isinstance(d, OfferToAgent))
    assert offer.contact_id == "c2"  # c1 no longer waits anywhere


def test_routing_out_a_ringing_contact_withdraws_the_offer_and_frees_the_agent_for_the_next() -> None:
    router = Router(config(offer_timeout=15))
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 1), 1)
    router.arrive(contact("c2", 2), 2)
    decisions = router.route_out(C1, RouteOutDestination.VOICEMAIL, "the caller chose voicemail", 10)
    assert kinds(decisions) == [
        "WithdrawOffer",
        "RouteOut",
        "AgentStateChanged",
        "OfferToAgent",
        "AgentStateChanged",
    ]
    assert decisions[0] == WithdrawOffer(C1, QueueId("billing"), LI_NA, "routed-out")
    offer = decisions[3]
    assert isinstance(offer, OfferToAgent)
    assert (offer.contact_id, offer.agent_id) == ("c2", "li-na")
    assert C1 not in router.contacts
    assert list(router.agents[LI_NA].items) == ["c2"]
    # c1's offer deadline (16 s) no longer fires: it is gone, not "missed".
    assert not [d for d in router.advance(16) if isinstance(d, WithdrawOffer)]


def test_a_connected_or_unknown_contact_cannot_be_routed_out() -> None:
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 1), 1)
    router.accept(C1, LI_NA, 2)
    with pytest.raises(InvalidTransition, match="c1 is connected"):
        router.route_out(C1, RouteOutDestination.TICKET, "", 3)
    with pytest.raises(UnknownEntity):
        router.route_out(ContactId("nobody"), RouteOutDestination.TICKET, "", 3)
    assert router.contacts[C1].phase is ContactPhase.CONNECTED


def test_chat_agent_takes_several_chats_but_no_voice_beside_them() -> None:
    router = Router(config(queues=("chat",), channel=Channel.CHAT))
    router.login(agent("li-na", chats=2), 0)
    for i in range(3):
        router.arrive(contact(f"chat{i}", i, queue="chat", channel=Channel.CHAT), i)
    holding = sorted(router.agents[LI_NA].items)
    assert holding == ["chat0", "chat1"]
    assert router.contacts[ContactId("chat2")].phase is ContactPhase.WAITING


def test_voice_is_not_offered_to_an_agent_writing_chats() -> None:
    cfg = config(queues=("chat",), channel=Channel.CHAT)
    voice_cfg = config()
    cfg.queues.update(voice_cfg.queues)
    router = Router(cfg)
    router.login(agent("li-na", chats=3), 0)
    router.arrive(contact("chat0", 0, queue="chat", channel=Channel.CHAT), 0)
    router.arrive(contact("call", 1), 1)
    assert router.contacts[ContactId("call")].phase is ContactPhase.WAITING


def test_aux_requested_while_busy_takes_effect_after_the_contact() -> None:
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 0), 0)
    router.accept(C1, LI_NA, 1)
    router.set_aux(LI_NA, "lunch", 2)
    assert state_of(router, "li-na") == (AgentState.BUSY, None)
    router.arrive(contact("c2", 3), 3)
    decisions = router.complete(C1, 50)
    assert AgentStateChanged(LI_NA, "beijing", AgentState.AUX, AgentState.BUSY, "lunch") in decisions
    assert not any(isinstance(d, OfferToAgent) for d in decisions)


def test_logout_with_a_ringing_offer_puts_the_contact_back() -> None:
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 0), 0)
    decisions = router.logout(LI_NA, 5)
    assert WithdrawOffer(C1, QueueId("billing"), LI_NA, "agent-logged-out") in decisions
    assert LI_NA not in router.agents
    assert router.contacts[C1].phase is ContactPhase.WAITING


def test_abandon_while_ringing_frees_the_agent_for_the_next_contact() -> None:
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 0), 0)
    router.arrive(contact("c2", 1), 1)
    decisions = router.abandon(C1, 2)
    assert kinds(decisions)[:1] == ["WithdrawOffer"]
    assert router.contacts[ContactId("c2")].agent_id == "li-na"


def test_transfer_to_queue_and_to_a_named_agent() -> None:
    router = Router(config(queues=("billing", "tech"), wrap_up=10))
    router.login(agent("li-na"), 0)
    router.login(agent("wang-fang"), 1)
    router.arrive(contact("c1", 2), 2)
    router.accept(C1, LI_NA, 3)
    moved = router.transfer_to_queue(C1, QueueId("tech"), 10)
    offer = next(d for d in moved if isinstance(d, OfferToAgent))
    assert (offer.queue_id, offer.agent_id) == ("tech", "wang-fang")
    assert state_of(router, "li-na") == (AgentState.WRAP_UP, None)
    router.accept(C1, WANG, 11)
    decisions = router.transfer_to_agent(C1, LI_NA, 12)
    assert not any(isinstance(d, OfferToAgent) for d in decisions)  # li-na is still wrapping up
    assert any(isinstance(d, Enqueue) for d in decisions)
    after_wrap = router.advance(20)
    assert any(isinstance(d, OfferToAgent) and d.agent_id == "li-na" for d in after_wrap)


def test_a_contact_for_a_named_agent_waits_for_that_agent_though_another_is_free() -> None:
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.login(agent("wang-fang"), 1)  # li-na idles longer
    router.arrive(contact("c1", 2), 2)
    router.accept(C1, LI_NA, 3)
    # a consultation for li-na, who is busy: wang-fang is free but does not get it
    decisions = router.arrive(contact("k1", 4), 4, agent_id=LI_NA)
    assert not any(isinstance(d, OfferToAgent) for d in decisions)
    assert router.contacts[ContactId("k1")].phase is ContactPhase.WAITING
    after = router.complete(C1, 5)
    assert [(d.contact_id, d.agent_id) for d in after if isinstance(d, OfferToAgent)] == [("k1", "li-na")]
    free = router.arrive(contact("k2", 6), 6, agent_id=WANG)  # free: offered at once
    assert [d.agent_id for d in free if isinstance(d, OfferToAgent)] == ["wang-fang"]
    with pytest.raises(UnknownEntity, match="nobody"):
        router.arrive(contact("k3", 7), 7, agent_id=AgentId("nobody"))
    assert ContactId("k3") not in router.contacts
    with pytest.raises(InvalidTransition, match="already being routed"):
        router.arrive(contact("k2", 7), 7, agent_id=WANG)


def test_invalid_calls_raise_precise_errors_and_change_nothing() -> None:
    router = Router(config())
    router.login(agent("li-na"), 0)
    with pytest.raises(UnknownEntity, match="unknown queue nope"):
        router.arrive(contact("x", 0, queue="nope"), 0)
    assert ContactId("x") not in router.contacts
    router.arrive(contact("c1", 0), 0)
    with pytest.raises(InvalidTransition, match="not being offered to agent wang-fang"):
        router.accept(C1, WANG, 1)
    with pytest.raises(InvalidTransition, match="already logged in"):
        router.login(agent("li-na"), 1)
    with pytest.raises(InvalidTransition, match="not connected"):
        router.complete(C1, 1)
    with pytest.raises(UnknownEntity, match="unknown site mars"):
        router.login(agent("x", site="mars"), 1)  # type: ignore[arg-type]
    assert router.contacts[C1].agent_id == "li-na"


def test_logging_back_in_before_the_last_contact_ends_cancels_the_logout() -> None:
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 0), 0)
    router.accept(C1, LI_NA, 1)
    router.logout(LI_NA, 10)
    assert state_of(router, "li-na") == (AgentState.BUSY, None)
    router.login(agent("li-na"), 20)
    router.complete(C1, 30)
    assert state_of(router, "li-na") == (AgentState.READY, None)


def test_wrap_up_time_can_be_given_per_contact() -> None:
    router = Router(config(wrap_up=30))
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 0), 0)
    router.accept(C1, LI_NA, 0)
    with pytest.raises(InvalidTransition, match="cannot be negative"):
        router.complete(C1, 10, wrap_up_seconds=-1)
    router.complete(C1, 10, wrap_up_seconds=5)
    assert router.next_due() == 15


def test_next_due_drops_deadlines_that_can_no_longer_fire() -> None:
    router = Router(config(offer_timeout=15))
    router.login(agent("li-na"), 0)
    router.login(agent("wang-fang"), 0)
    router.arrive(contact("c1", 10), 10)
    assert router.next_due() == 25  # c1 rings at li-na until 25
    router.accept(C1, LI_NA, 12)
    router.arrive(contact("c2", 14), 14)  # rings at wang-fang until 29
    assert router.next_due() == 29  # c1 was answered: its deadline is dropped, nobody is woken at 25
    assert len(router.timers) == 1
    router.accept(ContactId("c2"), WANG, 16)
    assert router.advance(29) == []
