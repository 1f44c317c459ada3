"""Call records: one row of a real call log that reached the ACD, and the event log equivalent to it.

Importers produce `CallRecord`s; `call_events` turns them into the events the live system would have
written, so `compute_kpis` measures a real history with the same code as a simulated day.
"""

from dataclasses import dataclass
from typing import Literal

from baiying.events import (
    ContactAbandoned,
    ContactAnswered,
    ContactArrived,
    ContactCompleted,
    Event,
    WrapUpEnded,
)
from baiying.ids import AgentId, ContactId, QueueId, SiteId

CallOutcome = Literal["answered", "abandoned"]

UNKNOWN_AGENT = AgentId("unknown")
"""The agent named in events for a call the log says was served without naming who served it."""


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A call offered to the ACD. Times are UTC timestamps; durations are seconds.

    `arrived_at` is when the call reached the ACD (after any IVR). A served call was answered at
    `arrived_at + wait_seconds` and handled for `handle_seconds`; an abandoned call hung up after
    `wait_seconds` and has `handle_seconds == 0`.
    """

    contact_id: ContactId
    line: int  # line in the source file, to trace a number back to its row
    queue_id: QueueId
    site_id: SiteId
    arrived_at: float
    outcome: CallOutcome
    wait_seconds: float
    handle_seconds: float
    agent_id: AgentId | None  # None when abandoned, or served by an unnamed agent
    customer_id: str | None
    priority: int

    @property
    def answered_at(self) -> float | None:
        return self.arrived_at + self.wait_seconds if self.outcome == "answered" else None

    @property
    def ended_at(self) -> float:
        """When the call left: end of service, or the moment the caller hung up."""
        return self.arrived_at + self.wait_seconds + self.handle_seconds


# Equal times keep the causal order of one call: arrival, then answer or abandon, then completion.
_RANK = {ContactArrived: 0, ContactAnswered: 1, ContactAbandoned: 1, ContactCompleted: 2, WrapUpEnded: 3}


def call_events(records: list[CallRecord] | tuple[CallRecord, ...]) -> list[Event]:
    """The event log of `records`, sorted by time.

    Each call gives ContactArrived, then ContactAnswered + ContactCompleted + WrapUpEnded (0 s: the logs
    we import do not record after-call work) or ContactAbandoned. No agent states are invented, so
    occupancy stays unknown (None) for an imported history.
    """
    keyed: list[tuple[float, int, int, Event]] = []
    for index, record in enumerate(records):
        for event in _events_of(record):
            keyed.append((event.at, _RANK[type(event)], index, event))
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]


def _events_of(record: CallRecord) -> list[Event]:
    arrived = ContactArrived(
        at=record.arrived_at,
        contact_id=record.contact_id,
        queue_id=record.queue_id,
        channel="voice",
        site_id=record.site_id,
        priority=record.priority,
        customer_id=record.customer_id,
    )
    settled_at = record.arrived_at + record.wait_seconds
    if record.outcome == "abandoned":
        abandoned = ContactAbandoned(
            at=settled_at,
            contact_id=record.contact_id,
            queue_id=record.queue_id,
            site_id=record.site_id,
            wait_seconds=record.wait_seconds,
        )
        return [arrived, abandoned]
    agent = record.agent_id or UNKNOWN_AGENT
    contact, queue, site = record.contact_id, record.queue_id, record.site_id
    ended_at = settled_at + record.handle_seconds
    return [
        arrived,
        ContactAnswered(settled_at, contact, queue, agent, site, wait_seconds=record.wait_seconds),
        ContactCompleted(ended_at, contact, queue, agent, site, handle_seconds=record.handle_seconds),
        WrapUpEnded(ended_at, contact, queue, agent, site, wrap_up_seconds=0.0),
    ]
