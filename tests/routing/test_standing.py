"""A waiting contact's position and expected wait (what a caller on hold is told)."""

import pytest

from baiying.ids import AgentId, ContactId
from baiying.routing.errors import NoSuchContact
from baiying.routing.model import AgentState
from baiying.routing.placement import INFINITE_WAIT
from baiying.routing.policy import make_step
from baiying.routing.router import Router
from baiying.routing.standing import QueueStanding, expected_wait, queue_standing
from tests.routing.builders import agent, config, contact


def standing(router: Router, cid: str, now: float = 10.0) -> QueueStanding | None:
    return queue_standing(router, ContactId(cid), now)


def test_callers_are_numbered_in_the_order_they_will_be_served() -> None:
    router = Router(config())  # billing queue, handle-time estimate 180 s
    router.login(agent("li-na"), 0)
    router.arrive(contact("talking", 1), 1)  # offered to li-na at once: not waiting
    router.arrive(contact("first", 2), 2)
    router.arrive(contact("second", 3), 3)
    router.arrive(contact("urgent", 4, priority=5), 4)  # higher priority: served before the older ones
    assert standing(router, "talking") is None
    assert standing(router, "urgent") == QueueStanding(1, 180.0)
    assert standing(router, "first") == QueueStanding(2, 360.0)
    assert standing(router, "second") == QueueStanding(3, 540.0)
    assert standing(router, "second").expected_wait_minutes == 9  # type: ignore[union-attr]


def test_each_caller_ahead_takes_the_next_agent_to_free_up_and_rounding_is_up() -> None:
    router = Router(config())
    for name in ("li-na", "wang-fang", "zhao-lei"):
        router.login(agent(name), 0)
    for at, cid in enumerate(("a", "b", "c", "d", "e", "f", "g"), start=1):
        router.arrive(contact(cid, at), at)  # a, b, c ring the three agents; d to g wait
    router.accept(ContactId("a"), AgentId("li-na"), 4)
    router.accept(ContactId("b"), AgentId("wang-fang"), 4)  # zhao-lei's phone still rings for c
    # at 64 li-na and wang-fang are a minute into their calls (free in about 120 s), zhao-lei in 180 s
    assert standing(router, "d", now=64) == QueueStanding(1, 120.0)
    assert standing(router, "e", now=64) == QueueStanding(2, 120.0)
    assert standing(router, "f", now=64) == QueueStanding(3, 180.0)
    found = standing(router, "g", now=64)  # the agent d takes is free again at 120 + 180
    assert found == QueueStanding(4, 300.0)
    assert found is not None
    assert found.expected_wait_minutes == 5
    assert QueueStanding(1, 61.0).expected_wait_minutes == 2
    assert QueueStanding(1, 5.0).expected_wait_minutes == 1  # "about 1 minute", never 0


def test_the_time_the_agent_has_spent_on_its_call_shortens_the_wait() -> None:
    router = Router(config())  # handle-time estimate 180 s
    router.login(agent("li-na"), 0)
    router.arrive(contact("talking", 1), 1)
    router.accept(ContactId("talking"), AgentId("li-na"), 2)
    router.arrive(contact("next", 3), 3)
    assert standing(router, "next", now=2) == QueueStanding(1, 180.0)
    assert standing(router, "next", now=122) == QueueStanding(1, 60.0)
    overdue = standing(router, "next", now=400)  # longer than the estimate: it may end any moment
    assert overdue == QueueStanding(1, 0.0)
    assert overdue is not None
    assert overdue.expected_wait_minutes == 1


def test_an_agent_in_wrap_up_is_free_at_once() -> None:
    router = Router(config(wrap_up=30.0))
    router.login(agent("li-na"), 0)
    router.arrive(contact("talking", 1), 1)
    router.accept(ContactId("talking"), AgentId("li-na"), 2)
    router.arrive(contact("next", 3), 3)
    router.complete(ContactId("talking"), 50)
    assert router.agents[AgentId("li-na")].state()[0] is AgentState.WRAP_UP
    assert standing(router, "next", now=60) == QueueStanding(1, 0.0)


def test_expected_wait_is_the_moment_the_agent_for_the_position_frees_up() -> None:
    assert expected_wait(1, [], 180.0) == INFINITE_WAIT
    assert expected_wait(1, [50.0, 0.0], 180.0) == 0.0
    assert expected_wait(2, [50.0, 0.0], 180.0) == 50.0
    assert expected_wait(3, [50.0, 0.0], 180.0) == 180.0  # the free agent's first call ends first
    assert expected_wait(4, [50.0, 0.0], 180.0) == 230.0
    assert expected_wait(1, [-5.0], 180.0) == 0.0  # overdue: not in the past
    with pytest.raises(ValueError, match="position"):
        expected_wait(0, [0.0], 180.0)
    with pytest.raises(ValueError, match="handle_estimate"):
        expected_wait(1, [0.0], -1.0)


def test_contacts_that_other_agents_take_are_not_ahead() -> None:
    steps = (make_step("by intent", {"${intent}": 1}),)
    router = Router(config(*steps))
    router.login(agent("li-na", skills={"tech": 5}), 0)
    router.arrive(contact("tech-1", 1, intent="tech"), 1)  # rings li-na
    router.arrive(contact("billing-1", 2, intent="billing"), 2)  # nobody with billing staffed
    router.arrive(contact("tech-2", 3, intent="tech"), 3)
    assert standing(router, "tech-2") == QueueStanding(1, 180.0)  # billing-1 is older, but not its rival
    billing = standing(router, "billing-1")
    assert billing == QueueStanding(1, INFINITE_WAIT)
    assert billing is not None
    assert billing.expected_wait_minutes is None


def test_an_agent_in_aux_is_not_staffed() -> None:
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.set_aux(AgentId("li-na"), "lunch", 1)
    router.arrive(contact("c1", 2), 2)
    assert standing(router, "c1") == QueueStanding(1, INFINITE_WAIT)
    router.set_ready(AgentId("li-na"), 3)  # takes c1: it is no longer waiting
    assert standing(router, "c1") is None


def test_an_unknown_contact_is_named() -> None:
    with pytest.raises(NoSuchContact, match="nobody"):
        standing(Router(config()), "nobody")
