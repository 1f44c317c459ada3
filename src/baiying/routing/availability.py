"""Index of agents who can take one more contact now, by channel, site, skill and level.

Each (channel, site, skill) has a pool with one insertion-ordered dict per level, so the first agent in a
dict is the one who has been available longest; a decision looks at a handful of agents, never at all of
them. An agent's places in the index are computed once per channel, so filing and un-filing an agent costs
one dict operation per skill.
"""

from baiying.ids import AgentId, SiteId
from baiying.routing.model import MAX_SKILL_LEVEL, Channel
from baiying.routing.state import AgentRecord

SkillKey = tuple[Channel, SiteId, str]


class SkillPool:
    """Available agents with one skill at one site on one channel; `levels[n]` holds those at level n."""

    __slots__ = ("count", "levels")

    def __init__(self) -> None:
        self.levels: list[dict[AgentId, AgentRecord]] = [{} for _ in range(MAX_SKILL_LEVEL + 1)]
        self.count = 0


Slot = tuple[dict[AgentId, AgentRecord], SkillPool | None]


class AvailabilityIndex:
    # `pools` is read directly by the selection hot path.
    __slots__ = ("_by_site", "_seq", "pools")

    def __init__(self) -> None:
        self.pools: dict[SkillKey, SkillPool] = {}
        self._by_site: dict[tuple[Channel, SiteId], dict[AgentId, AgentRecord]] = {}
        self._seq = 0

    def add(self, agent: AgentRecord, channel: Channel, *, keep_place: bool = False) -> None:
        """File the agent at the back of each line, or (`keep_place`) where its `avail_seq` puts it."""
        agent_id = agent.profile.id
        if not keep_place:
            self._seq += 1
            agent.avail_seq = self._seq
        for group, pool in self._slots(agent, channel):
            if keep_place:
                _insert_in_order(group, agent)
            else:
                group[agent_id] = agent
            if pool is not None:
                pool.count += 1

    def remove(self, agent: AgentRecord, channel: Channel) -> None:
        agent_id = agent.profile.id
        for group, pool in self._slots(agent, channel):
            del group[agent_id]
            if pool is not None:
                pool.count -= 1

    def _slots(self, agent: AgentRecord, channel: Channel) -> list[Slot]:
        slots: list[Slot] | None = agent.index_slots.get(channel)
        if slots is None:
            site = agent.profile.site_id
            slots = []
            for skill, level in agent.profile.skills.items():
                pool = self.pool(channel, site, skill)
                slots.append((pool.levels[level], pool))
            slots.append((self.at_site(channel, site, create=True), None))
            agent.index_slots[channel] = slots
        return slots

    def pool(self, channel: Channel, site: SiteId, skill: str) -> SkillPool:
        """The pool for a skill at a site, created empty if nobody with that skill was filed yet."""
        key = (channel, site, skill)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = SkillPool()
        return pool

    def count(self, channel: Channel, site: SiteId, skill: str) -> int:
        pool = self.pools.get((channel, site, skill))
        return pool.count if pool is not None else 0

    def at_site(self, channel: Channel, site: SiteId, *, create: bool = False) -> dict[AgentId, AgentRecord]:
        """Every available agent at a site on a channel, longest-available first."""
        found = self._by_site.get((channel, site))
        if found is None:
            found = {}
            if create:
                self._by_site[(channel, site)] = found
        return found


def _insert_in_order(group: dict[AgentId, AgentRecord], agent: AgentRecord) -> None:
    """Insert keeping the dict ordered by `avail_seq` (rare: an admin edit); rebuilds the dict if needed."""
    last = next(reversed(group.values()), None) if group else None
    if last is None or last.avail_seq < agent.avail_seq:
        group[agent.profile.id] = agent
        return
    ordered = sorted([*group.values(), agent], key=lambda a: a.avail_seq)
    group.clear()
    group.update((a.profile.id, a) for a in ordered)
