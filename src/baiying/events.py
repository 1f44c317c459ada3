"""The event catalogue: everything that happens in a contact center, past tense, one frozen dataclass each.

The live system and the simulator append these to the same log, and `baiying.analytics` computes every KPI
from them, so a simulated day and a real day are measured by the same code. `at` is a `Timestamp`
(seconds since the epoch, UTC). Field names are stable: they are the columns of the exported log.

Events are values and nothing changes them once written; they are not `frozen` dataclasses only because
frozen construction costs three times as much and the simulator writes millions of them.
"""

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from baiying.ids import AgentId, ContactId, QueueId, SiteId


@dataclass(slots=True)
class Event:
    kind: ClassVar[str] = "event"
    at: float

    def to_record(self) -> dict[str, Any]:
        """A flat dict for CSV/JSON export, with the event kind first."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(slots=True)
class ContactArrived(Event):
    """A contact entered the center (a call reached the ACD, a chat was started, an email received)."""

    kind: ClassVar[str] = "contact-arrived"
    contact_id: ContactId
    queue_id: QueueId
    channel: str
    site_id: SiteId | None  # where it came in (intake site); None for national numbers
    language: str | None = None
    intent: str | None = None
    tier: str | None = None
    region: str | None = None
    priority: int = 0
    customer_id: str | None = None


@dataclass(slots=True)
class ContactQueued(Event):
    """The router placed a waiting contact at one or more sites (also after a step change or a re-route)."""

    kind: ClassVar[str] = "contact-queued"
    contact_id: ContactId
    queue_id: QueueId
    site_ids: tuple[SiteId, ...]
    step: str
    reason: str = ""


@dataclass(slots=True)
class ContactOverflowed(Event):
    """A contact was sent to another site than the one it would have waited at."""

    kind: ClassVar[str] = "contact-overflowed"
    contact_id: ContactId
    queue_id: QueueId
    from_site_id: SiteId | None
    to_site_id: SiteId
    reason: str = ""


@dataclass(slots=True)
class ContactOffered(Event):
    kind: ClassVar[str] = "contact-offered"
    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    site_id: SiteId
    reason: str = ""


@dataclass(slots=True)
class OfferDeclined(Event):
    """An offer was not taken: the agent rejected it, or did not answer in time (`missed`)."""

    kind: ClassVar[str] = "offer-declined"
    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    missed: bool


@dataclass(slots=True)
class ContactAnswered(Event):
    kind: ClassVar[str] = "contact-answered"
    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    site_id: SiteId
    wait_seconds: float


@dataclass(slots=True)
class ContactAbandoned(Event):
    """The customer gave up while waiting (or while the offer was ringing)."""

    kind: ClassVar[str] = "contact-abandoned"
    contact_id: ContactId
    queue_id: QueueId
    site_id: SiteId | None
    wait_seconds: float


@dataclass(slots=True)
class ContactCompleted(Event):
    """The agent finished talking/writing; wrap-up (after-contact work) may follow."""

    kind: ClassVar[str] = "contact-completed"
    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    site_id: SiteId
    handle_seconds: float


@dataclass(slots=True)
class WrapUpEnded(Event):
    kind: ClassVar[str] = "wrap-up-ended"
    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    site_id: SiteId
    wrap_up_seconds: float


@dataclass(slots=True)
class ContactTransferred(Event):
    kind: ClassVar[str] = "contact-transferred"
    contact_id: ContactId
    from_queue_id: QueueId
    to_queue_id: QueueId
    agent_id: AgentId | None


@dataclass(slots=True)
class CallbackOffered(Event):
    """The caller was offered a callback that keeps their place in the queue."""

    kind: ClassVar[str] = "callback-offered"
    contact_id: ContactId
    queue_id: QueueId


@dataclass(slots=True)
class ContactRoutedOut(Event):
    """The contact left the queue for voicemail, a ticket, or another system; no agent will take it live."""

    kind: ClassVar[str] = "contact-routed-out"
    contact_id: ContactId
    queue_id: QueueId
    destination: str
    wait_seconds: float


@dataclass(slots=True)
class AgentStateChanged(Event):
    kind: ClassVar[str] = "agent-state-changed"
    agent_id: AgentId
    site_id: SiteId
    state: str  # offline / ready / reserved / busy / wrap-up / aux
    previous: str
    reason: str | None = None  # the aux reason, e.g. "lunch" or "missed"


@dataclass(slots=True)
class SiteStatusChanged(Event):
    kind: ClassVar[str] = "site-status-changed"
    site_id: SiteId
    status: str  # open / draining / evacuated
    previous: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        ContactArrived,
        ContactQueued,
        ContactOverflowed,
        ContactOffered,
        OfferDeclined,
        ContactAnswered,
        ContactAbandoned,
        ContactCompleted,
        WrapUpEnded,
        ContactTransferred,
        CallbackOffered,
        ContactRoutedOut,
        AgentStateChanged,
        SiteStatusChanged,
    )
}


def record_columns() -> list[str]:
    """Every column an exported log can have, in a stable order."""
    columns = ["kind"]
    for cls in EVENT_TYPES.values():
        for field in fields(cls):
            if field.name not in columns:
                columns.append(field.name)
    return columns
