"""Agent selection strategies and contact ordering."""

from baiying.ids import AgentId, ContactId
from baiying.routing.decisions import OfferToAgent
from baiying.routing.policy import Selection, make_step
from baiying.routing.router import Router
from tests.routing.builders import agent, config, contact


def offers(decisions: list[object]) -> list[tuple[str, str]]:
    return [(d.contact_id, d.agent_id) for d in decisions if isinstance(d, OfferToAgent)]


def test_longest_idle_agent_gets_the_contact() -> None:
    router = Router(config())
    router.login(agent("wang-fang"), 0)
    router.login(agent("li-na"), 10)
    assert offers(router.arrive(contact("c1", 20), 20)) == [("c1", "wang-fang")]


def test_an_agent_back_from_work_queues_behind_those_idle_longer() -> None:
    router = Router(config())
    router.login(agent("wang-fang"), 0)
    router.login(agent("li-na"), 10)
    router.arrive(contact("c1", 20), 20)
    router.accept(ContactId("c1"), AgentId("wang-fang"), 21)
    router.complete(ContactId("c1"), 30)
    assert offers(router.arrive(contact("c2", 40), 40)) == [("c2", "li-na")]


def test_most_skilled_agent_first_then_longest_idle() -> None:
    router = Router(config(make_step("s", {"billing": 1}), selection=Selection.MOST_SKILLED))
    router.login(agent("junior", skills={"billing": 3}), 0)
    router.login(agent("senior", skills={"billing": 9}), 5)
    router.login(agent("senior-2", skills={"billing": 9}), 6)
    assert offers(router.arrive(contact("c1", 10), 10)) == [("c1", "senior")]


def test_least_occupied_agent_first() -> None:
    router = Router(config(selection=Selection.LEAST_OCCUPIED))
    router.login(agent("busy-bee"), 0)
    router.login(agent("idle"), 0)
    router.arrive(contact("c1", 0), 0)  # goes to busy-bee (tie: longest available)
    router.accept(ContactId("c1"), AgentId("busy-bee"), 0)
    router.complete(ContactId("c1"), 500)
    # idle has worked 0 s of 600; busy-bee 500 of 600, so idle is less occupied even though busy-bee
    # became available after idle.
    assert offers(router.arrive(contact("c2", 600), 600)) == [("c2", "idle")]


def test_round_robin_rotates_over_agents() -> None:
    router = Router(config(selection=Selection.ROUND_ROBIN))
    for name in ("a", "b", "c"):
        router.login(agent(name), 0)
    chosen = []
    for i in range(6):
        cid = f"c{i}"
        (offer,) = offers(router.arrive(contact(cid, i * 10), i * 10))
        chosen.append(offer[1])
        router.accept(ContactId(cid), AgentId(offer[1]), i * 10)
        router.complete(ContactId(cid), i * 10 + 1)
    assert chosen == ["a", "b", "c", "a", "b", "c"]


def test_minimum_level_and_missing_skill_are_respected() -> None:
    router = Router(config(make_step("experts", {"billing": 7})))
    router.login(agent("novice", skills={"billing": 3}), 0)
    router.login(agent("other-skill", skills={"tech": 9}), 0)
    decisions = router.arrive(contact("c1", 1), 1)
    assert offers(decisions) == []
    router.login(agent("expert", skills={"billing": 8}), 2)
    assert offers(router.advance(2)) == []  # the expert was matched at login, not by a timer
    assert router.contacts[ContactId("c1")].agent_id == "expert"


def test_free_agent_takes_the_highest_priority_then_oldest_contact_across_queues() -> None:
    router = Router(config(queues=("billing", "tech")))
    router.arrive(contact("old-tech", 1, queue="tech"), 1)
    router.arrive(contact("new-billing", 2, queue="billing"), 2)
    router.arrive(contact("vip-newest", 3, queue="billing", priority=5), 3)
    router.login(agent("li-na"), 4)
    assert router.contacts[ContactId("vip-newest")].agent_id == "li-na"
    router.accept(ContactId("vip-newest"), AgentId("li-na"), 4)
    decisions = router.complete(ContactId("vip-newest"), 5)
    assert offers(decisions) == [("old-tech", "li-na")]


def test_template_skill_follows_the_callers_language() -> None:
    router = Router(config(make_step("dialect", {"lang.${language}": 5})))
    router.login(agent("mandarin", skills={"lang.cmn": 9}), 0)
    router.login(agent("cantonese", skills={"lang.yue": 6}), 1)
    assert offers(router.arrive(contact("c1", 2, language="yue"), 2)) == [("c1", "cantonese")]
    # No language known: the templated requirement is dropped and anyone may answer.
    assert offers(router.arrive(contact("c2", 3), 3)) == [("c2", "mandarin")]


def test_expression_over_agent_and_contact_attributes() -> None:
    step = make_step(
        "vip desk", {"billing": 1}, expression='agent.team == "vip" and contact.tier in ["gold"]'
    )
    router = Router(config(step))
    router.login(agent("regular", team="general"), 0)
    router.login(agent("vip-desk", team="vip"), 1)
    assert offers(router.arrive(contact("gold", 2, tier="gold"), 2)) == [("gold", "vip-desk")]
    assert offers(router.arrive(contact("silver", 3, tier="silver"), 3)) == []
