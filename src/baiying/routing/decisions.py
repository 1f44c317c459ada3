"""What the router decides. Adapters (the simulator, the live server, a telephony connector) carry these out
and record the matching events. Each decision can say why, in words, through `explain()`.

Decisions are values. The router builds several for every contact, so each class spells out its
`__init__` and marks its fields `Final`: compiled with mypyc that builds them about four times faster than a
frozen dataclass, and still refuses any change after construction (`dataclass(init=False)` keeps the
generated equality and repr).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from baiying.ids import AgentId, ContactId, QueueId, SiteId


@dataclass(init=False)
class Decision:
    def explain(self) -> str:
        return type(self).__name__


@dataclass(init=False)
class OfferToAgent(Decision):
    """Ring/offer `contact_id` to `agent_id`; it must be accepted before `expires_at`."""

    contact_id: Final[ContactId]
    queue_id: Final[QueueId]
    agent_id: Final[AgentId]
    site_id: Final[SiteId]
    expires_at: Final[float]
    callback: Final[bool]  # the customer is waiting for a call back, not on the line
    strategy: Final[str]
    skill_levels: Final[tuple[tuple[str, int], ...]]  # the agent's levels in the skills the step required
    idle_seconds: Final[float]
    placement: Final[str]  # why the contact waits where it does

    def __init__(
        self,
        contact_id: ContactId,
        queue_id: QueueId,
        agent_id: AgentId,
        site_id: SiteId,
        expires_at: float,
        callback: bool,
        strategy: str,
        skill_levels: tuple[tuple[str, int], ...],
        idle_seconds: float,
        placement: str,
    ) -> None:
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.agent_id = agent_id
        self.site_id = site_id
        self.expires_at = expires_at
        self.callback = callback
        self.strategy = strategy
        self.skill_levels = skill_levels
        self.idle_seconds = idle_seconds
        self.placement = placement

    def explain(self) -> str:
        skills = ", ".join(f"{name}:{level}" for name, level in self.skill_levels) or "no skill required"
        text = (
            f"{self.contact_id} → agent {self.agent_id} at {self.site_id} ({self.strategy}): "
            f"skill {skills}, idle {self.idle_seconds:.0f} s"
        )
        return f"{text}; {self.placement}" if self.placement else text


@dataclass(init=False)
class Enqueue(Decision):
    """The contact waits (or keeps waiting, after a step change or a re-route) for agents at `site_ids`."""

    contact_id: Final[ContactId]
    queue_id: Final[QueueId]
    site_ids: Final[tuple[SiteId, ...]]
    step: Final[str]
    reason: Final[str]

    def __init__(
        self, contact_id: ContactId, queue_id: QueueId, site_ids: tuple[SiteId, ...], step: str, reason: str
    ) -> None:
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.site_ids = site_ids
        self.step = step
        self.reason = reason

    def explain(self) -> str:
        where = ", ".join(self.site_ids) or "no open site"
        return f"{self.contact_id} waits in {self.queue_id} at {where} ({self.step}): {self.reason}"


@dataclass(init=False)
class Overflow(Decision):
    """The contact goes to another site than the one it would have waited at."""

    contact_id: Final[ContactId]
    queue_id: Final[QueueId]
    from_site_id: Final[SiteId | None]
    to_site_id: Final[SiteId]
    reason: Final[str]

    def __init__(
        self,
        contact_id: ContactId,
        queue_id: QueueId,
        from_site_id: SiteId | None,
        to_site_id: SiteId,
        reason: str,
    ) -> None:
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.from_site_id = from_site_id
        self.to_site_id = to_site_id
        self.reason = reason

    def explain(self) -> str:
        return f"{self.contact_id} overflows {self.from_site_id or '-'} → {self.to_site_id}: {self.reason}"


@dataclass(init=False)
class WithdrawOffer(Decision):
    """Stop ringing the agent: the offer timed out (`missed`), was rejected, or the customer left."""

    contact_id: Final[ContactId]
    queue_id: Final[QueueId]
    agent_id: Final[AgentId]
    reason: Final[str]  # missed / rejected / abandoned / site-evacuated / agent-logged-out

    def __init__(self, contact_id: ContactId, queue_id: QueueId, agent_id: AgentId, reason: str) -> None:
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.agent_id = agent_id
        self.reason = reason


@dataclass(init=False)
class OfferCallback(Decision):
    """Offer the waiting caller a callback that keeps their place in the queue."""

    contact_id: Final[ContactId]
    queue_id: Final[QueueId]

    def __init__(self, contact_id: ContactId, queue_id: QueueId) -> None:
        self.contact_id = contact_id
        self.queue_id = queue_id


class RouteOutDestination(StrEnum):
    """Where a routed-out contact goes instead of to a live agent."""

    VOICEMAIL = "voicemail"
    TICKET = "ticket"
    CALLBACK = "callback"  # an outbound call back later, outside live routing
    DISCONNECTED = "disconnected"  # nowhere: the center ended the contact (a call's maximum queue time)


@dataclass(init=False)
class RouteOut(Decision):
    """The contact leaves live routing for `destination` (a `RouteOutDestination` value): its last policy
    step timed out into voicemail or a ticket, or an adapter routed it out (`Router.route_out`), e.g. a
    call held for its maximum queue time. `reason` says why, in words."""

    contact_id: Final[ContactId]
    queue_id: Final[QueueId]
    destination: Final[str]
    site_id: Final[SiteId | None]
    waited_seconds: Final[float]
    reason: Final[str]

    def __init__(
        self,
        contact_id: ContactId,
        queue_id: QueueId,
        destination: str,
        site_id: SiteId | None,
        waited_seconds: float,
        reason: str = "",
    ) -> None:
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.destination = destination
        self.site_id = site_id
        self.waited_seconds = waited_seconds
        self.reason = reason

    def explain(self) -> str:
        waited = f"{self.waited_seconds:.0f} s"
        text = f"{self.contact_id} leaves {self.queue_id} for {self.destination} after {waited}"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass(init=False)
class AgentStateChanged(Decision):
    agent_id: Final[AgentId]
    site_id: Final[SiteId]
    state: Final[str]
    previous: Final[str]
    reason: Final[str | None]

    def __init__(
        self, agent_id: AgentId, site_id: SiteId, state: str, previous: str, reason: str | None
    ) -> None:
        self.agent_id = agent_id
        self.site_id = site_id
        self.state = state
        self.previous = previous
        self.reason = reason

    def explain(self) -> str:
        reason = f" ({self.reason})" if self.reason else ""
        return f"agent {self.agent_id}: {self.previous} → {self.state}{reason}"


@dataclass(init=False)
class WrapUpFinished(Decision):
    agent_id: Final[AgentId]
    contact_id: Final[ContactId]
    queue_id: Final[QueueId]
    site_id: Final[SiteId]
    wrap_up_seconds: Final[float]

    def __init__(
        self,
        agent_id: AgentId,
        contact_id: ContactId,
        queue_id: QueueId,
        site_id: SiteId,
        wrap_up_seconds: float,
    ) -> None:
        self.agent_id = agent_id
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.site_id = site_id
        self.wrap_up_seconds = wrap_up_seconds
