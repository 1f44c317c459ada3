"""What the router decides. Adapters (the simulator, the live server, a telephony connector) carry these out
and record the matching events. Each decision can say why, in words, through `explain()`.

Decisions are values: nothing changes them after the router returns them. They are plain (not frozen)
dataclasses because mypyc compiles those into native classes, built about three times faster, and the
router builds several for every contact.
"""

from dataclasses import dataclass

from baiying.ids import AgentId, ContactId, QueueId, SiteId


@dataclass
class Decision:
    def explain(self) -> str:
        return type(self).__name__


@dataclass
class OfferToAgent(Decision):
    """Ring/offer `contact_id` to `agent_id`; it must be accepted before `expires_at`."""

    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    site_id: SiteId
    expires_at: float
    callback: bool  # the customer is waiting for a call back, not on the line
    strategy: str
    skill_levels: tuple[tuple[str, int], ...]  # the agent's levels in the skills the step required
    idle_seconds: float
    placement: str  # why the contact waits where it does

    def explain(self) -> str:
        skills = ", ".join(f"{name}:{level}" for name, level in self.skill_levels) or "no skill required"
        text = (
            f"{self.contact_id} → agent {self.agent_id} at {self.site_id} ({self.strategy}): "
            f"skill {skills}, idle {self.idle_seconds:.0f} s"
        )
        return f"{text}; {self.placement}" if self.placement else text


@dataclass
class Enqueue(Decision):
    """The contact waits (or keeps waiting, after a step change or a re-route) for agents at `site_ids`."""

    contact_id: ContactId
    queue_id: QueueId
    site_ids: tuple[SiteId, ...]
    step: str
    reason: str

    def explain(self) -> str:
        where = ", ".join(self.site_ids) or "no open site"
        return f"{self.contact_id} waits in {self.queue_id} at {where} ({self.step}): {self.reason}"


@dataclass
class Overflow(Decision):
    """The contact goes to another site than the one it would have waited at."""

    contact_id: ContactId
    queue_id: QueueId
    from_site_id: SiteId | None
    to_site_id: SiteId
    reason: str

    def explain(self) -> str:
        return f"{self.contact_id} overflows {self.from_site_id or '-'} → {self.to_site_id}: {self.reason}"


@dataclass
class WithdrawOffer(Decision):
    """Stop ringing the agent: the offer timed out (`missed`), was rejected, or the customer left."""

    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    reason: str  # missed / rejected / abandoned / site-evacuated / agent-logged-out


@dataclass
class OfferCallback(Decision):
    """Offer the waiting caller a callback that keeps their place in the queue."""

    contact_id: ContactId
    queue_id: QueueId


@dataclass
class RouteOut(Decision):
    """The contact leaves live routing for voicemail or a ticket."""

    contact_id: ContactId
    queue_id: QueueId
    destination: str
    site_id: SiteId | None
    waited_seconds: float


@dataclass
class AgentStateChanged(Decision):
    agent_id: AgentId
    site_id: SiteId
    state: str
    previous: str
    reason: str | None

    def explain(self) -> str:
        reason = f" ({self.reason})" if self.reason else ""
        return f"agent {self.agent_id}: {self.previous} → {self.state}{reason}"


@dataclass
class WrapUpFinished(Decision):
    agent_id: AgentId
    contact_id: ContactId
    queue_id: QueueId
    site_id: SiteId
    wrap_up_seconds: float
