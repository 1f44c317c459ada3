"""Index of agents who can take one more contact now, by channel, site, skill and level.

Each (channel, site, skill) has a pool with one line per level, so the first agent in a line is the one
who has been available longest; a decision looks at a handful of agents, never at all of them. Each
(channel, site) has a pool too, with every available agent in one line.

Filing an agent on a channel makes one `Filing` and appends it to the agent's line in each of its pools;
taking the agent off only marks that filing dead and lowers the pools' counts, so neither touches a dict.
Dead filings are skipped when a line is read and swept out when the line has grown to twice its live
filings, which keeps every line short at a constant cost per filing. An agent's places in the index are
computed once per channel.
"""

from collections.abc import Iterator
from typing import Final

from baiying.ids import AgentId, SiteId
from baiying.routing.model import MAX_SKILL_LEVEL, Channel
from baiying.routing.state import AgentRecord

SkillKey = tuple[Channel, SiteId, str]
SWEEP_SLACK: Final = 8  # dead filings a line may hold beyond its live ones before it is swept


class Filing:
    """An agent's place in the lines of its pools on one channel, until it takes work or leaves."""

    __slots__ = ("agent", "live")

    def __init__(self, agent: AgentRecord) -> None:
        self.agent = agent
        self.live = True


class SkillPool:
    """Available agents with one skill at one site on one channel; `levels[n]` lines up those at level n.
    Bit n of `occupied` is set while line n has a live filing, so a search skips empty levels (and pools
    with nobody at the level asked for) without reading their lines."""

    __slots__ = ("count", "levels", "occupied")

    def __init__(self) -> None:
        self.levels = [Line(self, level) for level in range(MAX_SKILL_LEVEL + 1)]
        self.count = 0  # live filings over all levels
        self.occupied = 0


class Line:
    """Live filings in the order they became available, with dead ones in between; `live` counts them."""

    __slots__ = ("bit", "filings", "live", "pool")

    def __init__(self, pool: SkillPool, level: int) -> None:
        self.filings: list[Filing] = []
        self.live = 0
        self.pool = pool
        self.bit = 1 << level


SITE_LEVEL: Final = 0  # a site pool lines everybody up at this level


def in_line(line: Line) -> Iterator[AgentRecord]:
    """The live agents of a line, longest available first."""
    for filing in line.filings:
        if filing.live:
            yield filing.agent


class AvailabilityIndex:
    # `pools` is read directly by the selection hot path.
    __slots__ = ("_by_site", "_seq", "pools")

    def __init__(self) -> None:
        self.pools: dict[SkillKey, SkillPool] = {}
        self._by_site: dict[tuple[Channel, SiteId], SkillPool] = {}
        self._seq = 0

    def add(self, agent: AgentRecord, channel: Channel, *, keep_place: bool = False) -> None:
        """File the agent at the back of each line, or (`keep_place`) where its `avail_seq` puts it."""
        if not keep_place:
            self._seq += 1
            agent.avail_seq = self._seq
        filing = Filing(agent)
        agent.filings[channel] = filing
        for line in self._lines(agent, channel):
            filings = line.filings
            if len(filings) >= 2 * line.live + SWEEP_SLACK:
                filings[:] = [f for f in filings if f.live]
            if keep_place:
                _insert_in_order(filings, filing)
            else:
                filings.append(filing)
            line.live += 1
            pool = line.pool
            pool.count += 1
            pool.occupied |= line.bit

    def remove(self, agent: AgentRecord, channel: Channel) -> None:
        filings = agent.filings
        filings[channel].live = False
        del filings[channel]
        for line in self._lines(agent, channel):
            line.live -= 1
            pool = line.pool
            pool.count -= 1
            if not line.live:
                pool.occupied &= ~line.bit

    def remove_all(self, agent: AgentRecord) -> None:
        """Take the agent off every channel it is filed on (its filings, not a set of channels, are walked:
        compiled, a dict is iterated natively)."""
        filings = agent.filings
        for channel, filing in filings.items():
            filing.live = False
            for line in self._lines(agent, channel):
                line.live -= 1
                pool = line.pool
                pool.count -= 1
                if not line.live:
                    pool.occupied &= ~line.bit
        filings.clear()

    def _lines(self, agent: AgentRecord, channel: Channel) -> list[Line]:
        lines: list[Line] | None = agent.index_slots.get(channel)
        if lines is None:
            site = agent.profile.site_id
            lines = [self.pool(channel, site, skill).levels[level] for skill, level in agent.skills.items()]
            lines.append(self.site_pool(channel, site).levels[SITE_LEVEL])
            agent.index_slots[channel] = lines
        return lines

    def pool(self, channel: Channel, site: SiteId, skill: str) -> SkillPool:
        """The pool for a skill at a site, created empty if nobody with that skill was filed yet."""
        key = (channel, site, skill)
        pool = self.pools.get(key)
        if pool is None:
            pool = self.pools[key] = SkillPool()
        return pool

    def site_pool(self, channel: Channel, site: SiteId) -> SkillPool:
        key = (channel, site)
        pool = self._by_site.get(key)
        if pool is None:
            pool = self._by_site[key] = SkillPool()
        return pool

    def count(self, channel: Channel, site: SiteId, skill: str) -> int:
        pool = self.pools.get((channel, site, skill))
        return pool.count if pool is not None else 0

    def count_at_site(self, channel: Channel, site: SiteId) -> int:
        pool = self._by_site.get((channel, site))
        return pool.count if pool is not None else 0

    def in_line_at_site(self, channel: Channel, site: SiteId) -> Iterator[AgentRecord]:
        """Every available agent at a site on a channel, longest-available first."""
        pool = self._by_site.get((channel, site))
        return in_line(pool.levels[SITE_LEVEL]) if pool is not None else iter(())

    def at_site(self, channel: Channel, site: SiteId) -> dict[AgentId, AgentRecord]:
        """Every available agent at a site on a channel by id, longest-available first (a slow path)."""
        return {agent.profile.id: agent for agent in self.in_line_at_site(channel, site)}


def _insert_in_order(line: list[Filing], filing: Filing) -> None:
    """Insert keeping the live filings ordered by `avail_seq` (rare: an admin edit); re-sorts if needed."""
    last = next((f for f in reversed(line) if f.live), None)
    if last is None or last.agent.avail_seq < filing.agent.avail_seq:
        line.append(filing)
        return
    line[:] = sorted([*(f for f in line if f.live), filing], key=lambda f: f.agent.avail_seq)
