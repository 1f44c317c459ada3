"""What the router reasons about: contacts, agent profiles, sites and queues (static facts, no run-time
state)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from baiying.ids import AgentId, ContactId, PolicyId, QueueId, SiteId, TeamId

ANY_SKILL: Final = "*"  # the index key of targets that require no skill
MIN_SKILL_LEVEL: Final = 1
MAX_SKILL_LEVEL: Final = 10


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"


# A voice call (callbacks are voice contacts too) takes the whole agent: nothing else is offered beside it,
# and it is not offered to an agent who is already writing chats or emails.
EXCLUSIVE_CHANNELS: Final = frozenset({Channel.VOICE})

DEFAULT_CAPACITY: Mapping[Channel, int] = {Channel.VOICE: 1}


class AgentState(StrEnum):
    OFFLINE = "offline"
    READY = "ready"
    RESERVED = "reserved"  # an offer is ringing
    BUSY = "busy"
    WRAP_UP = "wrap-up"
    AUX = "aux"  # not ready, with a reason


class SiteStatus(StrEnum):
    OPEN = "open"
    DRAINING = "draining"  # takes no new contacts; its agents finish what is waiting for them
    EVACUATED = "evacuated"  # takes nothing; its waiting contacts move to other sites


@dataclass(init=False)  # explicit __init__ and Final fields: see decisions.py for why
class Contact:
    """A request for service as it enters routing. `arrived_at` is its true age, kept across re-queues."""

    id: Final[ContactId]
    queue_id: Final[QueueId]
    arrived_at: Final[float]
    channel: Final[Channel]
    site_id: Final[SiteId | None]  # the site whose number/region it came in on
    customer_id: Final[str | None]
    language: Final[str | None]  # e.g. "cmn", "yue" (Cantonese), "nan" (Minnan)
    intent: Final[str | None]
    tier: Final[str | None]
    region: Final[str | None]
    priority: Final[int]
    attributes: Final[Mapping[str, Any]]

    def __init__(
        self,
        id: ContactId,
        queue_id: QueueId,
        arrived_at: float,
        channel: Channel = Channel.VOICE,
        site_id: SiteId | None = None,
        customer_id: str | None = None,
        language: str | None = None,
        intent: str | None = None,
        tier: str | None = None,
        region: str | None = None,
        priority: int = 0,
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.queue_id = queue_id
        self.arrived_at = arrived_at
        self.channel = channel
        self.site_id = site_id
        self.customer_id = customer_id
        self.language = language
        self.intent = intent
        self.tier = tier
        self.region = region
        self.priority = priority
        self.attributes = attributes if attributes is not None else {}


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """Who an agent is and what they can do; changes only by an admin action, not by routing."""

    id: AgentId
    site_id: SiteId
    skills: Mapping[str, int]
    team_id: TeamId | None = None
    capacity: Mapping[Channel, int] = field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for skill, level in self.skills.items():
            if not MIN_SKILL_LEVEL <= level <= MAX_SKILL_LEVEL:
                raise ValueError(
                    f"agent {self.id}: skill {skill} level {level} is outside "
                    f"{MIN_SKILL_LEVEL}..{MAX_SKILL_LEVEL}"
                )
        for channel, slots in self.capacity.items():
            if slots < 0:
                raise ValueError(f"agent {self.id}: capacity for {channel} is negative ({slots})")

    def capacity_for(self, channel: Channel) -> int:
        return self.capacity.get(channel, 0)


@dataclass(frozen=True, slots=True)
class DailyHours:
    """Opening hours in the site's time zone, as minutes after midnight; end < start spans midnight."""

    start_minute: int
    end_minute: int

    def contains(self, minute_of_day: int) -> bool:
        if self.start_minute == self.end_minute:
            return True
        if self.start_minute < self.end_minute:
            return self.start_minute <= minute_of_day < self.end_minute
        return minute_of_day >= self.start_minute or minute_of_day < self.end_minute


@dataclass(frozen=True, slots=True)
class Site:
    id: SiteId
    name: str
    timezone: str = "Asia/Shanghai"
    languages: frozenset[str] = frozenset()  # dialects this site is the home of (affinity routing)
    hq: bool = False
    hours: DailyHours | None = None  # None: 24x7


@dataclass(frozen=True, slots=True)
class ServiceLevelObjective:
    """Answer `target` of contacts within `seconds`."""

    seconds: float = 20.0
    target: float = 0.8


@dataclass(frozen=True, slots=True)
class Queue:
    id: QueueId
    policy_id: PolicyId
    channel: Channel = Channel.VOICE
    wrap_up_seconds: float = 0.0
    offer_timeout_seconds: float = 20.0  # ring-no-answer: the offer goes back and the agent to aux "missed"
    service_level: ServiceLevelObjective = field(default_factory=ServiceLevelObjective)
    expected_handle_seconds: float = 180.0  # first estimate for expected-wait, refined by completed work
    name: str = ""
