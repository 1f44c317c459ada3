"""Matching in both directions: the best available agent for a waiting contact (by the policy's strategy),
and the best waiting contact for an agent who just became free (priority, then true age, over every
bucket the agent can serve).
"""

from collections.abc import Iterable
from typing import Final

from baiying.ids import SiteId
from baiying.routing.availability import AvailabilityIndex
from baiying.routing.model import Channel
from baiying.routing.policy import Selection
from baiying.routing.state import AgentRecord, ContactRecord
from baiying.routing.waiting import Bucket, WaitingIndex

# Above every `avail_seq`, and still a short int when compiled (below 2**62): compared as machine integers.
NO_SEQ: Final = (1 << 60) - 1


def fits(agent: AgentRecord, bucket: Bucket) -> bool:
    """Can this agent take contacts of this bucket (skills, levels, filter, named agent)? Site and channel
    are checked by the indexes that led here."""
    skills = agent.skills
    for skill, level in bucket.skills:
        if skills.get(skill, 0) < level:
            return False
    if bucket.named_agent is not None and agent.profile.id != bucket.named_agent:
        return False
    expression = bucket.expression
    return expression is None or expression.matches(agent.view, bucket.contact_view)


def best_agent(
    record: ContactRecord,
    bucket: Bucket,
    available: AvailabilityIndex,
    strategy: Selection,
    now: float,
) -> AgentRecord | None:
    """The agent the strategy picks among those available at the bucket's sites, or None."""
    if strategy is Selection.LONGEST_IDLE and bucket.skills and bucket.named_agent is None:
        return _longest_idle(record, bucket, available)
    best: AgentRecord | None = None
    best_score: tuple[float, ...] = ()
    declined = record.declined_by
    channel = bucket.channel
    for site in bucket.sites:
        for group in _candidate_groups(bucket, available, channel, site, strategy):
            for agent in group:
                if declined is not None and agent.profile.id in declined:
                    continue
                if record.contact.id in agent.items or not fits(agent, bucket):
                    continue
                score = _score(agent, bucket, strategy, now)
                if best is None or score < best_score:
                    best, best_score = agent, score
                if strategy is Selection.LONGEST_IDLE or strategy is Selection.MOST_SKILLED:
                    # Groups are ordered longest-available first, so the first fit is this group's best.
                    break
    return best


def _longest_idle(record: ContactRecord, bucket: Bucket, available: AvailabilityIndex) -> AgentRecord | None:
    """The hot path: every line is ordered by `avail_seq`, so each is read only up to the first agent who
    fits, and not past the best found so far; levels (and sites) with nobody free for the lead skill at the
    level asked for are skipped by the pool's occupied-levels bits. Agents have distinct `avail_seq`s, so
    the order sites and levels are read in does not change the agent found."""
    best: AgentRecord | None = None
    best_seq = NO_SEQ
    declined = record.declined_by
    contact_id = record.contact.id
    skills = bucket.skills
    simple = len(skills) == 1 and bucket.expression is None
    lead_level = skills[0][1]  # read once, not per site: unpacking it is not free when compiled
    lead_pools = bucket.lead_pools
    for site in range(len(lead_pools)):
        if simple:
            pool = lead_pools[site]
            level = lead_level
        else:
            site_pools = bucket.pools[site]
            # Drive the search by the scarcest required skill: fewest agents to look at. (A loop, not
            # min() with a key: compiled, the key's closure is allocated on every call, simple or not.)
            index = 0
            for candidate in range(1, len(site_pools)):
                if site_pools[candidate].count < site_pools[index].count:
                    index = candidate
            pool = site_pools[index]
            level = skills[index][1]
        occupied = pool.occupied >> level
        levels = pool.levels
        while occupied:
            # Straight to the next occupied level (its lowest set bit): most levels have nobody free, and a
            # search across every site (a widened step) would otherwise step through each of them.
            lowest = occupied & -occupied
            occupied ^= lowest
            for agent in levels[level + lowest.bit_length() - 1]:
                if agent.avail_seq >= best_seq:
                    break
                if declined is not None and agent.profile.id in declined:
                    continue
                # An agent still wrapping up this contact's earlier leg cannot take it again (most available
                # agents hold nothing, and then there is nothing to look up).
                if (agent.items and contact_id in agent.items) or (not simple and not fits(agent, bucket)):
                    continue
                best, best_seq = agent, agent.avail_seq
                break
    return best


def _candidate_groups(
    bucket: Bucket, available: AvailabilityIndex, channel: Channel, site: SiteId, strategy: Selection
) -> Iterable[Iterable[AgentRecord]]:
    if bucket.named_agent is not None:
        agent = available.at_site(channel, site).get(bucket.named_agent)
        return [[agent]] if agent is not None else []
    if not bucket.skills:
        return [available.in_line_at_site(channel, site)]
    skills = bucket.skills
    if strategy is Selection.MOST_SKILLED or len(skills) == 1:
        lead, level = skills[0]
    else:
        # Drive the search by the scarcest required skill: fewest agents to look at.
        lead, level = min(skills, key=lambda s: available.count(channel, site, s[0]))
    pool = available.pools.get((channel, site, lead))
    if pool is None or not pool.count:
        return []
    return [line for line in reversed(pool.levels[level:]) if line]


def _score(agent: AgentRecord, bucket: Bucket, strategy: Selection, now: float) -> tuple[float, ...]:
    """Smaller is better."""
    if strategy is Selection.LONGEST_IDLE:
        return (agent.avail_seq,)
    if strategy is Selection.MOST_SKILLED:
        lead = bucket.skills[0][0] if bucket.skills else None
        level = agent.skills.get(lead, 0) if lead else 0
        return (-level, agent.avail_seq)
    if strategy is Selection.LEAST_OCCUPIED:
        return (agent.occupancy(now), agent.avail_seq)
    return (agent.last_offer_seq, agent.avail_seq)


def best_contact(
    agent: AgentRecord, channels: frozenset[Channel], waiting: WaitingIndex
) -> ContactRecord | None:
    """The highest-priority, oldest waiting contact this agent may take on one of `channels`."""
    best: ContactRecord | None = None
    best_key: tuple[int, float, int] = (0, 0.0, 0)
    nonempty = waiting.nonempty
    for slot in agent.lookup_slots:
        buckets = nonempty[slot]
        if buckets is None:
            continue
        for bucket in buckets:
            if bucket.channel not in channels or not fits(agent, bucket):
                continue
            record = bucket.head()
            if record is None:
                continue
            if _declined(record, agent):
                record = next((r for r in bucket.in_order() if not _declined(r, agent)), None)
                if record is None:
                    continue
            key = (-record.priority, record.contact.arrived_at, record.entry_seq)
            if best is None or key < best_key:
                best, best_key = record, key
    return best


def _declined(record: ContactRecord, agent: AgentRecord) -> bool:
    """The agent may not take this contact: it declined it, or still holds an earlier leg of it."""
    return (record.declined_by is not None and agent.profile.id in record.declined_by) or (
        record.contact.id in agent.items
    )
