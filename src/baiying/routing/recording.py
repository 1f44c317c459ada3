"""What the event log records for each routing decision, once an adapter has carried it out.

One function for every driver of the router (the simulator, the live server), so a simulated day and a
real day write the same events.
"""

from baiying import events as ev
from baiying.routing.decisions import (
    AgentStateChanged,
    Decision,
    Enqueue,
    OfferCallback,
    OfferToAgent,
    Overflow,
    RouteOut,
    WithdrawOffer,
    WrapUpFinished,
)


def event_for(decision: Decision, at: float) -> ev.Event | None:
    """The event for `decision` at time `at`, or None when the decision leaves nothing in the log (a
    withdrawn offer because the caller left: the abandonment itself is what gets recorded)."""
    kind = type(decision)
    if kind is AgentStateChanged:
        d: AgentStateChanged = decision  # type: ignore[assignment]
        return ev.AgentStateChanged(at, d.agent_id, d.site_id, d.state, d.previous, d.reason)
    if kind is OfferToAgent:
        o: OfferToAgent = decision  # type: ignore[assignment]
        return ev.ContactOffered(at, o.contact_id, o.queue_id, o.agent_id, o.site_id)
    if kind is Enqueue:
        q: Enqueue = decision  # type: ignore[assignment]
        return ev.ContactQueued(at, q.contact_id, q.queue_id, q.site_ids, q.step)
    if kind is WrapUpFinished:
        w: WrapUpFinished = decision  # type: ignore[assignment]
        return ev.WrapUpEnded(at, w.contact_id, w.queue_id, w.agent_id, w.site_id, w.wrap_up_seconds)
    if kind is Overflow:
        f: Overflow = decision  # type: ignore[assignment]
        return ev.ContactOverflowed(at, f.contact_id, f.queue_id, f.from_site_id, f.to_site_id, f.reason)
    if kind is WithdrawOffer:
        x: WithdrawOffer = decision  # type: ignore[assignment]
        if x.reason in ("missed", "rejected"):
            return ev.OfferDeclined(at, x.contact_id, x.queue_id, x.agent_id, x.reason == "missed")
        return None
    if kind is RouteOut:
        r: RouteOut = decision  # type: ignore[assignment]
        return ev.ContactRoutedOut(at, r.contact_id, r.queue_id, r.destination, r.waited_seconds, r.reason)
    if kind is OfferCallback:
        c: OfferCallback = decision  # type: ignore[assignment]
        return ev.CallbackOffered(at, c.contact_id, c.queue_id)
    return None
