"""Run-time records the router keeps for each logged-in agent and each contact it is routing."""

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.routing.expressions import contact_view
from baiying.routing.model import (
    ANY_SKILL,
    EXCLUSIVE_CHANNELS,
    AgentProfile,
    AgentState,
    Channel,
    Contact,
    Queue,
)
from baiying.routing.policy import Policy

if TYPE_CHECKING:
    from baiying.routing.availability import Places, SkillPool
    from baiying.routing.waiting import Bucket


class Phase(StrEnum):
    RESERVED = "reserved"  # offered, ringing
    ACTIVE = "active"  # the agent is handling it
    WRAP_UP = "wrap-up"


class WorkItem:
    """A contact in an agent's hands: ringing, being handled, or in wrap-up."""

    __slots__ = ("channel", "contact_id", "phase", "queue_id", "since")

    def __init__(
        self, contact_id: ContactId, queue_id: QueueId, channel: Channel, phase: Phase, since: float
    ) -> None:
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.channel = channel
        self.phase = phase
        self.since = since


NO_CHANNELS: Final[frozenset[Channel]] = frozenset()


def _own_levels(skills: dict[str, int]) -> dict[str, tuple[tuple[str, int], ...]]:
    """The agent's level in each of its skills, as an offer for a one-skill step reports it: built once per
    profile, not for every offer."""
    return {skill: ((skill, level),) for skill, level in skills.items()}


def _idle_channels(profile: AgentProfile) -> frozenset[Channel]:
    return frozenset(channel for channel, slots in profile.capacity.items() if slots > 0)


class AgentRecord:
    """A logged-in agent. `presence` is what the agent asked for; `state()` adds the work in hand."""

    __slots__ = (
        "aux_reason",
        "avail_seq",
        "available_in",
        "filed",
        "idle_channels",
        "index_slots",
        "items",
        "last_offer_seq",
        "logged_in_at",
        "lookup_keys",
        "lookup_slots",
        "offered_levels",
        "offered_skills",
        "own_levels",
        "presence",
        "profile",
        "reported_reason",
        "reported_state",
        "skills",
        "staffing",
        "state_since",
        "view",
        "worked_seconds",
    )

    def __init__(self, profile: AgentProfile, view: dict[str, Any], now: float) -> None:
        self.profile = profile
        self.view = view
        self.skills: dict[str, int] = dict(profile.skills)  # a plain dict: compiled code reads it natively
        self.staffing: list[Staffing] = []  # the staffing counts it is part of when ready (set by the router)
        self.presence = AgentState.OFFLINE
        self.aux_reason: str | None = None
        self.items: dict[ContactId, WorkItem] = {}
        self.available_in: frozenset[Channel] = NO_CHANNELS
        self.filed: dict[Channel, Places] = {}  # where it is filed in the availability index, per channel
        self.index_slots: dict[Channel, Places] = {}  # its places in the availability index, per channel
        self.idle_channels = _idle_channels(profile)  # open channels with nothing in hand
        self.lookup_keys: list[tuple[SiteId, str]] = lookup_keys(profile)
        self.lookup_slots: list[int] = []  # the same, as slots of the waiting index (set by the router)
        # The skill requirements of its last offer (a step's own tuple) and its levels in them.
        self.offered_skills: tuple[tuple[str, int], ...] | None = None
        self.offered_levels: tuple[tuple[str, int], ...] = ()
        self.own_levels = _own_levels(self.skills)
        self.avail_seq = 0  # order of becoming available: smaller = idle longer
        self.last_offer_seq = 0  # for round robin
        self.logged_in_at = now
        self.worked_seconds = 0.0  # busy + wrap-up, for least-occupied
        self.reported_state = AgentState.OFFLINE
        self.reported_reason: str | None = None
        self.state_since = now

    def state(self) -> tuple[AgentState, str | None]:
        items = self.items
        if not items:
            return self.presence, (self.aux_reason if self.presence is AgentState.AUX else None)
        if len(items) == 1:
            for only in items.values():
                phase = only.phase  # compared by identity: cheaper than a dict keyed by an enum, compiled
                if phase is Phase.ACTIVE:
                    return AgentState.BUSY, None
                if phase is Phase.RESERVED:
                    return AgentState.RESERVED, None
                return AgentState.WRAP_UP, None
        phases = {item.phase for item in items.values()}
        if Phase.ACTIVE in phases:
            return AgentState.BUSY, None
        if Phase.RESERVED in phases:
            return AgentState.RESERVED, None
        return AgentState.WRAP_UP, None

    def channels_open(self) -> frozenset[Channel]:
        """Channels on which this agent can take one more contact now."""
        if self.presence is not AgentState.READY:
            return NO_CHANNELS
        if not self.items:
            return self.idle_channels
        capacity = self.profile.capacity
        in_hand: dict[Channel, int] = {}
        for item in self.items.values():
            if item.channel in EXCLUSIVE_CHANNELS:
                return NO_CHANNELS
            in_hand[item.channel] = in_hand.get(item.channel, 0) + 1
        return frozenset(
            channel
            for channel, slots in capacity.items()
            if channel not in EXCLUSIVE_CHANNELS and in_hand.get(channel, 0) < slots
        )

    def change_profile(self, profile: AgentProfile, view: dict[str, Any]) -> None:
        """New skills, capacity or attributes: everything derived from the old profile is dropped."""
        self.profile, self.view = profile, view
        self.skills = dict(profile.skills)
        self.index_slots = {}
        self.lookup_keys = lookup_keys(profile)
        self.lookup_slots = []
        self.offered_skills = None
        self.own_levels = _own_levels(self.skills)
        self.idle_channels = _idle_channels(profile)

    def occupancy(self, now: float) -> float:
        logged = now - self.logged_in_at
        return self.worked_seconds / logged if logged > 0 else 0.0

    @property
    def site_id(self) -> SiteId:
        return self.profile.site_id


# The site part of the waiting-index key of buckets open to every configured site: such a bucket is filed
# once under it, not once per site (a nationwide step would otherwise touch every site's slot).
EVERY_SITE: Final = SiteId("\x00every-site")


def lookup_keys(profile: AgentProfile) -> list[tuple[SiteId, str]]:
    """Where to look for waiting contacts this agent may take: buckets led by one of its skills, buckets
    with no skill requirement ("*"), at its site or at every site, and contacts transferred to it by name
    ("@id")."""
    site = profile.site_id
    leads = [*profile.skills, ANY_SKILL]
    return (
        [(site, lead) for lead in leads] + [(EVERY_SITE, lead) for lead in leads] + [(site, f"@{profile.id}")]
    )


class Staffing:
    """Ready-or-working agents with one skill at one site (any channel): the expected-wait denominator."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class QueueRun:
    """A queue as the router runs it: its policy, the skills of each step (resolved once, unless templated),
    the buckets each step files contacts in, the contacts waiting per site and the handle-time estimate.
    Contact records point here, so the hot path reaches all of it without a lookup by queue id."""

    __slots__ = (
        "handle_estimate",
        "policy",
        "queue",
        "recent_bucket",
        "recent_sites",
        "site_buckets",
        "step_buckets",
        "step_skills",
        "timed_out_notes",
        "wait_inputs",
        "waiting_at",
        "widened_notes",
    )

    def __init__(self, queue: Queue, policy: Policy, sites: int) -> None:
        self.queue = queue
        self.policy = policy
        # Steps without ${...} templates require the same skills of every contact.
        self.step_skills: list[tuple[tuple[str, int], ...] | None] = [
            None if step.templated else step.resolved_skills_fixed() for step in policy.steps
        ]
        # Per step, the bucket for a channel and sites (steps with fixed skills and no filter only).
        self.step_buckets: list[dict[tuple[Channel, tuple[SiteId, ...]], Bucket]] = [{} for _ in policy.steps]
        # Per step, the bucket last found there for several sites and the very sites tuple it was found for:
        # a step open to every serving site is asked with the same tuple each time, so a repeat needs no
        # hashing.
        self.recent_sites: list[tuple[SiteId, ...] | None] = [None for _ in policy.steps]
        self.recent_bucket: list[Bucket | None] = [None for _ in policy.steps]
        # Per step, by site index, the bucket last found for contacts at that one site: they share the site's
        # tuple (see SitePlacer), so the bucket is recognised by it (contacts of a queue come from every site,
        # and one "last found" would miss nearly every time).
        self.site_buckets: list[list[Bucket | None]] = [[None] * sites for _ in policy.steps]
        self.waiting_at = [0] * sites  # contacts of this queue waiting for each site, by site index
        # Per channel, by site index, the availability pool and staffing of each skill of the first step
        # (whose expected wait places new contacts), when its skills are fixed.
        self.wait_inputs: dict[Channel, list[list[tuple[SkillPool, Staffing]] | None]] = {}
        self.handle_estimate = queue.expected_handle_seconds
        # Per step, the words of the decisions a timeout or a widened offer makes: formatted once, not for
        # every contact.
        self.timed_out_notes = [f"'{step.name}' timed out" for step in policy.steps]
        self.widened_notes = [f"widened by step '{step.name}'" for step in policy.steps]


class ContactPhase(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"


class ContactRecord:
    __slots__ = (
        "_view",
        "agent_id",
        "bucket",
        "callback",
        "contact",
        "declined_by",
        "entry_seq",
        "handler",
        "named_agent",
        "phase",
        "placement",
        "placement_note",
        "policy",
        "priority",
        "queue",
        "run",
        "step_deadline",
        "step_index",
        "timer_token",
    )

    def __init__(self, contact: Contact, run: QueueRun) -> None:
        self.contact = contact
        self.run = run
        self.queue = run.queue
        self.policy = run.policy
        self._view: dict[str, Any] | None = None
        self.priority = contact.priority
        self.step_index = 0
        self.placement: tuple[SiteId, ...] = ()
        self.placement_note = ""
        self.phase = ContactPhase.WAITING
        self.agent_id: AgentId | None = None
        self.handler: AgentRecord | None = None  # the agent it rings at or is connected to (`agent_id`)
        self.bucket: Bucket | None = None  # where it waits; None when not waiting
        self.entry_seq = 0
        self.declined_by: set[AgentId] | None = None  # agents who rejected or missed it: not offered again
        self.callback = False
        self.timer_token = 0
        self.step_deadline: float | None = None
        self.named_agent: AgentId | None = None  # a transfer to one agent waits for that agent only

    @property
    def view(self) -> dict[str, Any]:
        """The contact as routing expressions see it; built only for policies that use expressions."""
        if self._view is None:
            self._view = contact_view(self.contact)
        return self._view

    @property
    def id(self) -> ContactId:
        return self.contact.id

    def sort_key(self) -> tuple[int, float]:
        """Higher priority first, then the oldest (true age across re-queues and queues)."""
        return (-self.priority, self.contact.arrived_at)
