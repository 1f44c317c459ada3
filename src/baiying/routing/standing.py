"""Where a waiting contact stands: its position among the contacts the same agents may take, and the
expected wait that follows from it — what a caller on hold is told ("you are number 2 in the queue,
expected wait about 3 minutes").

The position counts the waiting contacts of the contact's bucket (exactly the same agents may take them)
that are ahead of it: higher priority, or the same priority and older (true age), as the router serves
them. Contacts of the same queue that other agents would take (another intent, another site) do not delay
it, and are not counted.

The expected wait (`expected_wait`) counts the time the agents who could take the contact have already
spent on their calls. Each of them is free after the handle-time estimate less the time it has spent on
the contact in its hands (at once when it is free or in wrap-up, a whole estimate when its phone is still
ringing, at once when the call has already run longer than the estimate). The contacts ahead take the
agents in the order they free up, each for a whole estimate; the caller's turn comes when the agent for
position K frees up. With every agent just starting a call this is ⌈K ÷ agents⌉ estimates; with one
agent three minutes into a five-minute call and nobody ahead, two minutes. The agents who could take it
are those ready (free or working) at the sites it may be taken at with every skill it needs (the agent
named, if logged in, for a contact transferred to an agent); none gives `INFINITE_WAIT`.
"""

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from baiying.ids import ContactId
from baiying.routing.errors import NoSuchContact
from baiying.routing.model import AgentState
from baiying.routing.placement import INFINITE_WAIT
from baiying.routing.state import AgentRecord, ContactPhase, Phase

if TYPE_CHECKING:
    from baiying.routing.router import Router
    from baiying.routing.waiting import Bucket


@dataclass(frozen=True, slots=True)
class QueueStanding:
    position: int  # 1: the next to be offered
    expected_wait_seconds: float  # INFINITE_WAIT when no agent who could take it is staffed

    @property
    def expected_wait_minutes(self) -> int | None:
        """The expected wait in whole minutes, rounded up (at least 1); None when nobody is staffed."""
        if self.expected_wait_seconds == INFINITE_WAIT:
            return None
        return max(1, -int(-self.expected_wait_seconds // 60))


def expected_wait(position: int, free_in: Iterable[float], handle_estimate: float) -> float:
    """When the caller at `position` (1: next) reaches an agent, given when each agent who could take it
    is free (`free_in`, seconds from now; 0 for a free agent): the contacts ahead take the agents in the
    order they free up, each for `handle_estimate`; the caller gets the agent that frees up next after
    them. No agent: `INFINITE_WAIT`."""
    if position < 1:
        raise ValueError(f"position must be at least 1, not {position}")
    if handle_estimate < 0:
        raise ValueError(f"handle_estimate must not be negative, not {handle_estimate}")
    frees = [max(0.0, seconds) for seconds in free_in]
    if not frees:
        return INFINITE_WAIT
    heapq.heapify(frees)
    for _ in range(position - 1):  # a contact ahead takes the first agent free and keeps it for a call
        heapq.heapreplace(frees, frees[0] + handle_estimate)
    return frees[0]


def agent_free_in(agent: AgentRecord, now: float, handle_estimate: float) -> float:
    """Seconds until `agent` is expected to be free: 0 with nothing in hand or in wrap-up, the estimate
    less the time spent on the call it handles (never below 0), the whole estimate while it rings."""
    remaining = 0.0
    for item in agent.items.values():
        if item.phase is Phase.ACTIVE:
            remaining = max(remaining, handle_estimate - (now - item.since))
        elif item.phase is Phase.RESERVED:
            remaining = max(remaining, handle_estimate)
    return max(0.0, remaining)


def queue_standing(router: "Router", contact_id: ContactId, now: float) -> QueueStanding | None:
    """The standing of a waiting contact at `now`; None when it is not waiting (offered to or connected
    with an agent). An unknown contact raises `NoSuchContact`."""
    record = router.contacts.get(contact_id)
    if record is None:
        raise NoSuchContact(f"unknown contact {contact_id}")
    bucket = record.bucket
    if record.phase is not ContactPhase.WAITING or bucket is None:
        return None
    mine = (record.sort_key(), record.entry_seq)
    ahead = sum(1 for other in bucket.in_order() if (other.sort_key(), other.entry_seq) < mine)
    position = ahead + 1
    estimate = record.run.handle_estimate
    free_in = [agent_free_in(agent, now, estimate) for agent in _staffed(router, bucket)]
    return QueueStanding(position, expected_wait(position, free_in, estimate))


def _staffed(router: "Router", bucket: "Bucket") -> list[AgentRecord]:
    """The ready agents (free or working) who could take the bucket's contacts."""
    if bucket.named_agent is not None:
        named = router.agents.get(bucket.named_agent)
        return [named] if named is not None else []  # logged in: the contact waits for it alone
    sites = set(bucket.sites)
    skills = [skill for skill, _ in bucket.skills]
    return [
        agent
        for agent in router.agents.values()
        if agent.presence is AgentState.READY
        and agent.profile.site_id in sites
        and all(skill in agent.skills for skill in skills)
    ]
