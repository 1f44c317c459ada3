"""The event catalogue: everything that happens in a contact center, past tense, one frozen dataclass each.

The live system and the simulator append these to the same log, and `baiying.analytics` computes every KPI
from them, so a simulated day and a real day are measured by the same code. `at` is a `Timestamp`
(seconds since the epoch, UTC). Field names are stable: they are the columns of the exported log.

Events are values and nothing changes them once written; they are not `frozen` dataclasses only because
frozen construction costs three times as much and the simulator writes millions of them. For the same reason
the module is compiled with mypyc (setup.py) and each class spells out its `__init__`: mypyc compiles that
one, where a generated `__init__` would stay interpreted (`dataclass(init=False)` keeps the generated
equality, repr and fields).
"""

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from baiying.ids import AgentId, ContactId, QueueId, SiteId


class Recorded:
    """Declares `kind`, the event's name in the log, without making it a dataclass field (mypyc would hand
    a `ClassVar` in a dataclass body to `dataclass` as a field). Each class is given its `kind` further down.
    """

    __slots__ = ()
    kind: ClassVar[str]


@dataclass(slots=True)
class Event(Recorded):
    at: float

    def to_record(self) -> dict[str, Any]:
        """A flat dict for CSV/JSON export, with the event kind first."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(init=False, slots=True)
class ContactArrived(Event):
    """A contact entered the center (a call reached the ACD, a chat was started, an email received)."""

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

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        channel: str,
        site_id: SiteId | None,
        language: str | None = None,
        intent: str | None = None,
        tier: str | None = None,
        region: str | None = None,
        priority: int = 0,
        customer_id: str | None = None,
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.channel = channel
        self.site_id = site_id
        self.language = language
        self.intent = intent
        self.tier = tier
        self.region = region
        self.priority = priority
        self.customer_id = customer_id


@dataclass(init=False, slots=True)
class ContactQueued(Event):
    """The router placed a waiting contact at one or more sites (also after a step change or a re-route)."""

    contact_id: ContactId
    queue_id: QueueId
    site_ids: tuple[SiteId, ...]
    step: str
    reason: str = ""

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        site_ids: tuple[SiteId, ...],
        step: str,
        reason: str = "",
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.site_ids = site_ids
        self.step = step
        self.reason = reason


@dataclass(init=False, slots=True)
class ContactOverflowed(Event):
    """A contact was sent to another site than the one it would have waited at."""

    contact_id: ContactId
    queue_id: QueueId
    from_site_id: SiteId | None
    to_site_id: SiteId
    reason: str = ""

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        from_site_id: SiteId | None,
        to_site_id: SiteId,
        reason: str = "",
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.from_site_id = from_site_id
        self.to_site_id = to_site_id
        self.reason = reason


@dataclass(init=False, slots=True)
class ContactOffered(Event):
    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    site_id: SiteId
    reason: str = ""

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        agent_id: AgentId,
        site_id: SiteId,
        reason: str = "",
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.agent_id = agent_id
        self.site_id = site_id
        self.reason = reason


@dataclass(init=False, slots=True)
class OfferDeclined(Event):
    """An offer was not taken: the agent rejected it, or did not answer in time (`missed`)."""

    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    missed: bool

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        agent_id: AgentId,
        missed: bool,
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.agent_id = agent_id
        self.missed = missed


@dataclass(init=False, slots=True)
class ContactAnswered(Event):
    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    site_id: SiteId
    wait_seconds: float

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        agent_id: AgentId,
        site_id: SiteId,
        wait_seconds: float,
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.agent_id = agent_id
        self.site_id = site_id
        self.wait_seconds = wait_seconds


@dataclass(init=False, slots=True)
class ContactAbandoned(Event):
    """The customer gave up while waiting (or while the offer was ringing)."""

    contact_id: ContactId
    queue_id: QueueId
    site_id: SiteId | None
    wait_seconds: float

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        site_id: SiteId | None,
        wait_seconds: float,
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.site_id = site_id
        self.wait_seconds = wait_seconds


@dataclass(init=False, slots=True)
class ContactCompleted(Event):
    """The agent finished talking/writing; wrap-up (after-contact work) may follow."""

    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    site_id: SiteId
    handle_seconds: float

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        agent_id: AgentId,
        site_id: SiteId,
        handle_seconds: float,
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.agent_id = agent_id
        self.site_id = site_id
        self.handle_seconds = handle_seconds


@dataclass(init=False, slots=True)
class WrapUpEnded(Event):
    contact_id: ContactId
    queue_id: QueueId
    agent_id: AgentId
    site_id: SiteId
    wrap_up_seconds: float

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        agent_id: AgentId,
        site_id: SiteId,
        wrap_up_seconds: float,
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.agent_id = agent_id
        self.site_id = site_id
        self.wrap_up_seconds = wrap_up_seconds


@dataclass(init=False, slots=True)
class ContactTransferred(Event):
    contact_id: ContactId
    from_queue_id: QueueId
    to_queue_id: QueueId
    agent_id: AgentId | None

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        from_queue_id: QueueId,
        to_queue_id: QueueId,
        agent_id: AgentId | None,
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.from_queue_id = from_queue_id
        self.to_queue_id = to_queue_id
        self.agent_id = agent_id


@dataclass(init=False, slots=True)
class CallbackOffered(Event):
    """The caller was offered a callback that keeps their place in the queue."""

    contact_id: ContactId
    queue_id: QueueId

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id


@dataclass(init=False, slots=True)
class ContactRoutedOut(Event):
    """The contact left the queue for voicemail, a ticket, or another system; no agent will take it live."""

    contact_id: ContactId
    queue_id: QueueId
    destination: str  # voicemail / ticket / callback / disconnected
    wait_seconds: float
    reason: str = ""  # why, in words ("step 'queue' timed out", "maximum queue time 300 s"); "" in older logs

    def __init__(
        self,
        at: float,
        contact_id: ContactId,
        queue_id: QueueId,
        destination: str,
        wait_seconds: float,
        reason: str = "",
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.destination = destination
        self.wait_seconds = wait_seconds
        self.reason = reason


@dataclass(init=False, slots=True)
class AgentStateChanged(Event):
    agent_id: AgentId
    site_id: SiteId
    state: str  # offline / ready / reserved / busy / wrap-up / aux
    previous: str
    reason: str | None = None  # the aux reason, e.g. "lunch" or "missed"

    def __init__(
        self,
        at: float,
        agent_id: AgentId,
        site_id: SiteId,
        state: str,
        previous: str,
        reason: str | None = None,
    ) -> None:
        self.at = at
        self.agent_id = agent_id
        self.site_id = site_id
        self.state = state
        self.previous = previous
        self.reason = reason


@dataclass(init=False, slots=True)
class SiteStatusChanged(Event):
    site_id: SiteId
    status: str  # open / draining / evacuated
    previous: str

    def __init__(
        self,
        at: float,
        site_id: SiteId,
        status: str,
        previous: str,
    ) -> None:
        self.at = at
        self.site_id = site_id
        self.status = status
        self.previous = previous


@dataclass(init=False, slots=True)
class MonitorStarted(Event):
    """A supervisor began listening to an agent's call with a customer (silent monitor)."""

    contact_id: ContactId
    agent_id: AgentId  # whose call: the agent monitored
    supervisor: str  # who listens: the supervisor's user id
    phone: str  # the phone the call is forked to (its SIP user)
    mode: str  # monitor / whisper / barge

    def __init__(
        self, at: float, contact_id: ContactId, agent_id: AgentId, supervisor: str, phone: str, mode: str
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.agent_id = agent_id
        self.supervisor = supervisor
        self.phone = phone
        self.mode = mode


@dataclass(init=False, slots=True)
class MonitorStopped(Event):
    """The supervisor stopped listening: asked to, hung up their phone, or the call ended."""

    contact_id: ContactId
    agent_id: AgentId
    supervisor: str
    phone: str
    reason: str  # stopped / supervisor hung up / call ended

    def __init__(
        self, at: float, contact_id: ContactId, agent_id: AgentId, supervisor: str, phone: str, reason: str
    ) -> None:
        self.at = at
        self.contact_id = contact_id
        self.agent_id = agent_id
        self.supervisor = supervisor
        self.phone = phone
        self.reason = reason


Event.kind = "event"
ContactArrived.kind = "contact-arrived"
ContactQueued.kind = "contact-queued"
ContactOverflowed.kind = "contact-overflowed"
ContactOffered.kind = "contact-offered"
OfferDeclined.kind = "offer-declined"
ContactAnswered.kind = "contact-answered"
ContactAbandoned.kind = "contact-abandoned"
ContactCompleted.kind = "contact-completed"
WrapUpEnded.kind = "wrap-up-ended"
ContactTransferred.kind = "contact-transferred"
CallbackOffered.kind = "callback-offered"
ContactRoutedOut.kind = "contact-routed-out"
AgentStateChanged.kind = "agent-state-changed"
SiteStatusChanged.kind = "site-status-changed"
MonitorStarted.kind = "monitor-started"
MonitorStopped.kind = "monitor-stopped"


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
        MonitorStarted,
        MonitorStopped,
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
