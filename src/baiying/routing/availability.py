"""Index of agents who can take one more contact now, by channel, site, skill and level.

Each (channel, site, skill) has a pool with one line per level, so the first agent in a line is the one
who has been available longest; a decision looks at a handful of agents, never at all of them. Each
(channel, site) has a line too, with every available agent there.

The routing engine's cost is mostly memory latency (agents and lines spread over tens of megabytes), so
the index keeps the references a decision follows few. A skill line is a plain list of the agents
themselves, in the order they became available, and an agent taken off is deleted from it, found by
identity: such lines are short (few agents of one skill and level at one site are free at once), and a
search then reads live agents only, one reference each. A site's line holds every free agent there, too
many to search through on every removal: it is an insertion-ordered dict (values unused), one hash probe
to delete. An agent's places on a channel are computed once.
"""

from collections.abc import Iterator
from typing import Final

from baiying.ids import AgentId, SiteId
from baiying.routing.model import MAX_SKILL_LEVEL, Channel
from baiying.routing.state import AgentRecord

SkillKey = tuple[Channel, SiteId, str]
# Bit n of a pool's `occupied` stands for level n; the ints are shared, not made per filing.
LEVEL_BITS: Final = tuple(1 << level for level in range(MAX_SKILL_LEVEL + 1))


class SkillPool:
    """Available agents with one skill at one site on one channel; `levels[n]` lines up those at level n.
    Bit n of `occupied` is set while line n is not empty, so a search skips empty levels (and pools with
    nobody at the level asked for) without reading their lines."""

    __slots__ = ("count", "levels", "occupied")

    def __init__(self) -> None:
        self.levels: list[list[AgentRecord]] = [[] for _ in range(MAX_SKILL_LEVEL + 1)]
        self.count = 0  # agents over all levels
        self.occupied = 0


class SiteLine:
    """Every agent available at one site on one channel, longest available first."""

    __slots__ = ("agents",)

    def __init__(self) -> None:
        self.agents: dict[AgentRecord, None] = {}


class Places:
    """An agent's lines on one channel: one per skill, at its level (with the pool and level bit of each,
    in step), and its site's line."""

    __slots__ = ("bits", "lines", "pools", "site")

    def __init__(self, site: SiteLine) -> None:
        self.lines: list[list[AgentRecord]] = []
        self.pools: list[SkillPool] = []
        self.bits: list[int] = []
        self.site = site

    def take(self, pool: SkillPool, level: int) -> None:
        self.lines.append(pool.levels[level])
        self.pools.append(pool)
        self.bits.append(LEVEL_BITS[level])


class AvailabilityIndex:
    # `pools` is read directly by the selection hot path.
    __slots__ = ("_by_site", "_seq", "pools")

    def __init__(self) -> None:
        self.pools: dict[SkillKey, SkillPool] = {}
        self._by_site: dict[tuple[Channel, SiteId], SiteLine] = {}
        self._seq = 0

    def add(self, agent: AgentRecord, channel: Channel, *, keep_place: bool = False) -> None:
        """File the agent at the back of each line, or (`keep_place`) where its `avail_seq` puts it."""
        if not keep_place:
            self._seq += 1
            agent.avail_seq = self._seq
        places = self._places(agent, channel)
        agent.filed[channel] = places
        lines, pools, bits = places.lines, places.pools, places.bits
        for index in range(len(lines)):
            if keep_place:
                _insert_in_order(lines[index], agent)
            else:
                lines[index].append(agent)
            pool = pools[index]
            pool.count += 1
            pool.occupied |= bits[index]
        site = places.site.agents
        site[agent] = None
        if keep_place:
            ordered = sorted(site, key=_avail_seq)
            site.clear()
            site.update(dict.fromkeys(ordered))

    def remove(self, agent: AgentRecord, channel: Channel) -> None:
        _take_off(agent, agent.filed.pop(channel))

    def remove_all(self, agent: AgentRecord) -> None:
        """Take the agent off every channel it is filed on (its places, not a set of channels, are walked:
        compiled, a dict is iterated natively)."""
        filed = agent.filed
        for places in filed.values():
            _take_off(agent, places)
        filed.clear()

    def _places(self, agent: AgentRecord, channel: Channel) -> Places:
        places = agent.index_slots.get(channel)
        if places is None:
            site = agent.profile.site_id
            places = Places(self._site_line(channel, site))
            for skill, level in agent.skills.items():
                places.take(self.pool(channel, site, skill), level)
            agent.index_slots[channel] = places
        return places

    def pool(self, channel: Channel, site: SiteId, skill: str) -> SkillPool:
        """The pool for a skill at a site, created empty if nobody with that skill was filed yet."""
        key = (channel, site, skill)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = SkillPool()
        return pool

    def _site_line(self, channel: Channel, site: SiteId) -> SiteLine:
        key = (channel, site)
        line = self._by_site.get(key)
        if line is None:
            line = self._by_site[key] = SiteLine()
        return line

    def count(self, channel: Channel, site: SiteId, skill: str) -> int:
        pool = self.pools.get((channel, site, skill))
        return pool.count if pool is not None else 0

    def count_at_site(self, channel: Channel, site: SiteId) -> int:
        line = self._by_site.get((channel, site))
        return len(line.agents) if line is not None else 0

    def in_line_at_site(self, channel: Channel, site: SiteId) -> Iterator[AgentRecord]:
        """Every available agent at a site on a channel, longest-available first."""
        line = self._by_site.get((channel, site))
        return iter(line.agents) if line is not None else iter(())

    def at_site(self, channel: Channel, site: SiteId) -> dict[AgentId, AgentRecord]:
        """Every available agent at a site on a channel by id, longest-available first (a slow path)."""
        return {agent.profile.id: agent for agent in self.in_line_at_site(channel, site)}


def _take_off(agent: AgentRecord, places: Places) -> None:
    lines, pools, bits = places.lines, places.pools, places.bits
    for index in range(len(lines)):
        line = lines[index]
        # By identity: compares addresses in the line's own array, reading no other agent.
        for position in range(len(line)):
            if line[position] is agent:
                line.pop(position)  # compiled, a native call; `del line[i]` goes through a generic one
                break
        pool = pools[index]
        pool.count -= 1
        if not line:
            pool.occupied &= ~bits[index]
    del places.site.agents[agent]


def _avail_seq(agent: AgentRecord) -> int:
    return agent.avail_seq


def _insert_in_order(line: list[AgentRecord], agent: AgentRecord) -> None:
    """Insert keeping the line ordered by `avail_seq` (rare: an admin edit)."""
    position = len(line)
    while position > 0 and line[position - 1].avail_seq > agent.avail_seq:
        position -= 1
    line.insert(position, agent)
