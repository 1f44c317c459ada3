"""A waiting contact's position and expected wait (what a caller on hold is told)."""

import pytest

from baiying.ids import AgentId, ContactId
from baiying.routing.errors import NoSuchContact
from baiying.routing.placement import INFINITE_WAIT
from baiying.routing.policy import make_step
from baiying.routing.router import Router
from baiying.routing.standing import QueueStanding, queue_standing
from tests.routing.builders import agent, config, contact


def standing(router: Router, cid: str) -> QueueStanding | None:
    return queue_standing(router, ContactId(cid))


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


def test_more_staffed_agents_shorten_the_expected_wait_and_rounding_is_up() -> None:
    router = Router(config())
    for name in ("li-na", "wang-fang", "zhao-lei"):
        router.login(agent(name), 0)
    for at, cid in enumerate(("a", "b", "c", "d", "e"), start=1):
        router.arrive(contact(cid, at), at)  # a, b, c ring the three agents; d and e wait
    assert standing(router, "d") == QueueStanding(1, 60.0)
    found = standing(router, "e")
    assert found == QueueStanding(2, 120.0)
    assert found is not None
    assert found.expected_wait_minutes == 2
    assert QueueStanding(1, 61.0).expected_wait_minutes == 2
    assert QueueStanding(1, 5.0).expected_wait_minutes == 1  # "about 1 minute", never 0


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
