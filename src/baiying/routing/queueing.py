"""The queue side of the router: placing contacts at sites, policy steps and their timeouts, re-filing,
transfers, callbacks, and site status changes (draining, evacuation).
Functions of the `Router` they serve, kept apart so each module reads in one sitting.
"""

from dataclasses import replace
from typing import TYPE_CHECKING, Final

from baiying.errors import InvalidTransition
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.routing.decisions import Decision, Enqueue, OfferCallback, Overflow, RouteOut
from baiying.routing.errors import NoSuchQueue, NoSuchSite
from baiying.routing.model import AgentState, Contact, SiteStatus
from baiying.routing.policy import OnTimeout, SiteScope, Step
from baiying.routing.selection import best_agent
from baiying.routing.state import ContactPhase, ContactRecord, Phase, QueueRun
from baiying.routing.timers import TimerKind
from baiying.routing.waiting import Bucket

if TYPE_CHECKING:
    from baiying.routing.router import Router

NAMED_AGENT_WAIT_SECONDS: Final = 60.0  # a transfer to a busy agent falls back to the queue after this


# ---- contacts -------------------------------------------------------------------------------


def transfer_to_queue(
    router: "Router", contact_id: ContactId, queue_id: QueueId, now: float
) -> list[Decision]:
    """Move a waiting or connected contact to another queue; it keeps its age (true age ordering)."""
    out = router._begin(now)
    run = router._queues.get(queue_id)
    if run is None:
        raise NoSuchQueue(f"unknown queue {queue_id}")
    record = release_for_transfer(router, contact_id, now, out)
    moved = ContactRecord(replace(record.contact, queue_id=queue_id), run)
    moved.callback = record.callback
    router.contacts[contact_id] = moved
    place(router, moved, now, out)
    enter_step(router, moved, 0, now, out, f"transferred from {record.queue.id}")
    return router._deliver(out)


def transfer_to_agent(
    router: "Router", contact_id: ContactId, agent_id: AgentId, now: float
) -> list[Decision]:
    """Send a contact to one named agent; if that agent stays busy, it falls back to its queue."""
    out = router._begin(now)
    target = router._agent(agent_id)
    if target.presence is AgentState.OFFLINE:
        raise InvalidTransition(f"agent {agent_id} is logging out")
    record = release_for_transfer(router, contact_id, now, out)
    moved = ContactRecord(record.contact, record.run)
    moved.callback = record.callback
    moved.named_agent = agent_id
    moved.placement = (target.profile.site_id,)
    moved.placement_note = f"transferred to agent {agent_id}"
    moved.step_deadline = now + NAMED_AGENT_WAIT_SECONDS
    router.contacts[contact_id] = moved
    refile(router, moved, now, out, moved.placement_note)
    return router._deliver(out)


def arrive_for_agent(router: "Router", contact: Contact, agent_id: AgentId, now: float) -> list[Decision]:
    """A new contact for one named agent (a consultation a colleague asks for): offered to that agent at
    once if free, else it waits for that agent alone; if that agent stays busy, it falls back to its
    queue, as a transfer to a named agent does."""
    out = router._begin(now)
    if contact.id in router.contacts:
        raise InvalidTransition(f"contact {contact.id} is already being routed")
    run = router._queues.get(contact.queue_id)
    if run is None:
        raise NoSuchQueue(f"unknown queue {contact.queue_id}")
    target = router._agent(agent_id)
    if target.presence is AgentState.OFFLINE:
        raise InvalidTransition(f"agent {agent_id} is logging out")
    record = ContactRecord(contact, run)
    record.named_agent = agent_id
    record.placement = (target.profile.site_id,)
    record.placement_note = f"for agent {agent_id}"
    record.step_deadline = now + NAMED_AGENT_WAIT_SECONDS
    router.contacts[contact.id] = record
    refile(router, record, now, out, "arrived")
    return router._deliver(out)


def accept_callback(router: "Router", contact_id: ContactId, now: float) -> list[Decision]:
    """The caller took the callback offer and hung up; the contact keeps its place and age."""
    out = router._begin(now)
    record = router._contact(contact_id)
    if record.phase is not ContactPhase.WAITING:
        raise InvalidTransition(f"contact {contact_id} is {record.phase.value}, not waiting")
    record.callback = True
    return router._deliver(out)


def set_site_status(router: "Router", site_id: SiteId, status: SiteStatus, now: float) -> list[Decision]:
    """Open, drain or evacuate a site. Evacuation logs its agents out and moves every contact waiting
    there to other sites in their original order; nothing is lost."""
    out = router._begin(now)
    if site_id not in router.config.sites:
        raise NoSuchSite(f"unknown site {site_id}")
    if router.placer.status[site_id] is status:
        return router._deliver(out)
    router.placer.set_status(site_id, status)
    if status is SiteStatus.EVACUATED:
        for agent in [a for a in router.agents.values() if a.profile.site_id == site_id]:
            router._withdraw_ringing(agent, "site-evacuated", now, out, requeue=False)
            router._set_presence(agent, AgentState.OFFLINE, None)
            router._sync_available(agent)
            router._report(agent, now, out)
            router._forget_if_gone(agent)
    moving = [r for r in router.contacts.values() if r.phase is ContactPhase.WAITING]
    moving.sort(key=lambda r: (r.sort_key(), r.entry_seq))
    for record in moving:
        unwait(router, record)
    for record in moving:
        if status is SiteStatus.EVACUATED and site_id in record.placement:
            place(router, record, now, out, moved_from=site_id)
        refile(router, record, now, out, f"site {site_id} is now {status.value}")
    return router._deliver(out)


# ---- internals --------------------------------------------------------------------------------------


def release_for_transfer(
    router: "Router", contact_id: ContactId, now: float, out: list[Decision]
) -> ContactRecord:
    record = router._contact(contact_id)
    if record.phase is ContactPhase.OFFERED:
        raise InvalidTransition(f"contact {contact_id} is ringing at an agent: accept or reject it first")
    if record.phase is ContactPhase.CONNECTED:
        agent = router._handler(record)
        item = agent.items[contact_id]
        agent.worked_seconds += now - item.since
        item.phase, item.since = Phase.WRAP_UP, now
        wrap = record.queue.wrap_up_seconds
        if wrap > 0:
            router.timers.set(now + wrap, TimerKind.WRAP_UP, (agent, item), 0, wrap)
            router._report(agent, now, out)
        else:
            router._finish_wrap_up(agent, item, now, out)
    else:
        unwait(router, record)
    del router.contacts[contact_id]
    return record


def place(
    router: "Router",
    record: ContactRecord,
    now: float,
    out: list[Decision],
    moved_from: SiteId | None = None,
) -> None:
    """Choose the site where a new (or evacuated) contact waits, and say why."""
    estimate = router.wait_estimate
    estimate.record, estimate.skills = record, step_skills(record, 0)
    placement = router.placer.place(record.contact, record.queue, now, estimate)
    record.placement, record.placement_note = placement.sites, placement.note
    origin = moved_from or placement.overflow_from
    if origin is not None and placement.sites and placement.sites[0] != origin:
        reason = f"site {origin} evacuated; {placement.note}" if moved_from else placement.note
        out.append(Overflow(record.id, record.queue.id, origin, placement.sites[0], reason))


def enter_step(
    router: "Router", record: ContactRecord, index: int, now: float, out: list[Decision], why: str
) -> None:
    step = record.policy.steps[index]
    record.step_index = index
    if step.priority_set is not None:
        record.priority = step.priority_set
    record.priority += step.priority_add
    record.step_deadline = now + step.timeout_seconds if step.timeout_seconds is not None else None
    refile(router, record, now, out, why)


def refile(router: "Router", record: ContactRecord, now: float, out: list[Decision], why: str) -> None:
    """File the waiting contact for its current step, or offer it at once if an agent is free for it."""
    placement = record.placement
    serving = router.placer.serving_set()
    if not placement or not all(site in serving for site in placement):
        # Placed nowhere (every site was evacuated) or at a site evacuated since: place it again. A named
        # agent at such a site has been logged out, so the contact goes back to its queue's routing.
        record.named_agent = None
        gone = [site for site in placement if site not in serving]
        place(router, record, now, out, moved_from=gone[0] if gone else None)
    bucket = bucket_for(router, record)
    record.timer_token += 1
    agent = best_agent(record, bucket, router.available, record.policy.selection, now)
    if agent is not None:
        router._offer(record, agent, bucket.skills, now, out)
        return
    wait(router, record, bucket)
    step = record.policy.steps[record.step_index]
    note = f"{why}; {record.placement_note}" if record.placement_note else why
    out.append(Enqueue(record.id, record.queue.id, bucket.sites, step.name, note))
    deadline = record.step_deadline
    if deadline is not None:
        if deadline <= now:
            step_timed_out(router, record, now, out)
        else:
            # Usually set when the step began, for its timeout: the lane of that duration.
            lane = NAMED_AGENT_WAIT_SECONDS if record.named_agent is not None else step.timeout_seconds
            router.timers.set(deadline, TimerKind.STEP, record, record.timer_token, lane)


def step_timed_out(router: "Router", record: ContactRecord, now: float, out: list[Decision]) -> None:
    if record.named_agent is not None:
        record.named_agent = None
        place(router, record, now, out)
        unwait(router, record)
        enter_step(router, record, 0, now, out, "the named agent did not become free")
        return
    steps = record.policy.steps
    step = steps[record.step_index]
    action = step.on_timeout
    if action is OnTimeout.VOICEMAIL or action is OnTimeout.TICKET:
        unwait(router, record)
        del router.contacts[record.id]
        site = record.placement[0] if record.placement else None
        waited = now - record.contact.arrived_at
        reason = f"step '{step.name}' timed out"
        out.append(RouteOut(record.id, record.queue.id, action.value, site, waited, reason))
        return
    if action is OnTimeout.OFFER_CALLBACK and not record.callback:
        out.append(OfferCallback(record.id, record.queue.id))
    if record.step_index + 1 < len(steps):
        unwait(router, record)
        enter_step(
            router, record, record.step_index + 1, now, out, record.run.timed_out_notes[record.step_index]
        )
    else:
        record.step_deadline = None


def step_skills(record: ContactRecord, index: int) -> tuple[tuple[str, int], ...]:
    fixed = record.run.step_skills[index]
    return fixed if fixed is not None else record.policy.steps[index].resolved_skills(record.contact)


def sites_for(router: "Router", record: ContactRecord, step: Step) -> tuple[SiteId, ...]:
    scope = step.sites
    if record.named_agent is not None or scope is SiteScope.PLACEMENT:
        return record.placement
    serving = router.placer.serving()
    if scope is SiteScope.ANY:
        return serving
    if scope is SiteScope.LOCAL:
        local = record.contact.site_id
        return (local,) if local in serving else record.placement
    if scope is SiteScope.AFFINITY:
        homes = tuple(s for s in router.placer.home_sites(record.contact.language) if s in serving)
        return homes or record.placement
    assert isinstance(scope, tuple)
    return tuple(s for s in scope if s in serving) or record.placement


def bucket_for(router: "Router", record: ContactRecord) -> Bucket:
    index = record.step_index
    step = record.policy.steps[index]
    named = record.named_agent
    sites = sites_for(router, record, step)
    channel = record.contact.channel
    run = record.run
    # A step with fixed skills and no filter files every contact of a channel and sites in one bucket.
    fixed = named is None and step.expression is None and run.step_skills[index] is not None
    # Contacts placed at one site share that site's tuple (see SitePlacer), so the bucket of a step for one
    # site is kept by the site's index and recognised by that very tuple: no (channel, sites) key is hashed.
    site_slot = router.site_index.get(sites[0], -1) if fixed and len(sites) == 1 else -1
    if fixed:
        if site_slot >= 0:
            at_site = run.site_buckets[index][site_slot]
            if at_site is not None and at_site.sites is sites and at_site.channel is channel:
                return at_site
        else:
            recent = run.recent_bucket[index]
            if recent is not None and run.recent_sites[index] is sites and recent.channel is channel:
                return recent
        found = run.step_buckets[index].get((channel, sites))
        if found is not None:
            _remember(run, index, site_slot, sites, found)
            return found
    skills = () if named is not None else step_skills(record, index)
    expression = None if named is not None else step.expression
    values = tuple(record.view.get(f) for f in expression.contact_fields) if expression else ()
    key = (channel, skills, sites, expression.source if expression else None, values, named)
    bucket = router.waiting.bucket(key)
    if bucket is None:
        view = dict(record.view) if expression else {}
        pools = [[router.available.pool(channel, site, skill) for skill, _ in skills] for site in sites]
        site_indexes = [router.site_index[site] for site in sites]
        every_site = set(sites).issuperset(router.config.sites)
        bucket = router.waiting.add_bucket(
            Bucket(key, channel, skills, sites, expression, view, named, pools, site_indexes, every_site)
        )
    if fixed:
        run.step_buckets[index][(channel, sites)] = bucket
        _remember(run, index, site_slot, sites, bucket)
    return bucket


def _remember(run: QueueRun, index: int, site_slot: int, sites: tuple[SiteId, ...], bucket: Bucket) -> None:
    if site_slot >= 0:
        run.site_buckets[index][site_slot] = bucket
    else:
        run.recent_sites[index], run.recent_bucket[index] = sites, bucket


def wait(router: "Router", record: ContactRecord, bucket: Bucket) -> None:
    router.waiting.push(record, bucket)
    waiting_at = record.run.waiting_at
    for index in bucket.site_indexes:
        waiting_at[index] = waiting_at[index] + 1  # not `+=`: compiled, that goes through generic objects


def unwait(router: "Router", record: ContactRecord) -> None:
    bucket = record.bucket
    if bucket is None:
        return
    waiting_at = record.run.waiting_at
    for index in bucket.site_indexes:
        waiting_at[index] = waiting_at[index] - 1
    router.waiting.remove(record)
