"""Index of agents who can take one more contact now, by channel, site, skill and level.

Each (channel, site, skill) keeps one insertion-ordered dict per level, so the first agent in a dict is the
one who has been available longest; a decision looks at a handful of agents, never at all of them.
"""

from collections.abc import Iterator

from baiying.ids import AgentId, SiteId
from baiying.routing.model import MAX_SKILL_LEVEL, Channel
from baiying.routing.state import AgentRecord

SkillKey = tuple[Channel, SiteId, str]
LevelDicts = list[dict[AgentId, AgentRecord]]


class AvailabilityIndex:
    __slots__ = ("_by_site", "_by_skill", "_count", "_seq")

    def __init__(self) -> None:
        self._by_skill: dict[SkillKey, LevelDicts] = {}
        self._count: dict[SkillKey, int] = {}
        self._by_site: dict[tuple[Channel, SiteId], dict[AgentId, AgentRecord]] = {}
        self._seq = 0

    def add(self, agent: AgentRecord, channel: Channel) -> None:
        profile = agent.profile
        site, agent_id = profile.site_id, profile.id
        self._seq += 1
        agent.avail_seq = self._seq
        by_skill, count = self._by_skill, self._count
        for skill, level in profile.skills.items():
            key = (channel, site, skill)
            levels = by_skill.get(key)
            if levels is None:
                levels = by_skill[key] = [{} for _ in range(MAX_SKILL_LEVEL + 1)]
            levels[level][agent_id] = agent
            count[key] = count.get(key, 0) + 1
        site_key = (channel, site)
        at_site = self._by_site.get(site_key)
        if at_site is None:
            at_site = self._by_site[site_key] = {}
        at_site[agent_id] = agent

    def remove(self, agent: AgentRecord, channel: Channel) -> None:
        profile = agent.profile
        site, agent_id = profile.site_id, profile.id
        by_skill, count = self._by_skill, self._count
        for skill, level in profile.skills.items():
            key = (channel, site, skill)
            if by_skill[key][level].pop(agent_id, None) is not None:
                count[key] -= 1
        self._by_site[(channel, site)].pop(agent_id, None)

    def count(self, channel: Channel, site: SiteId, skill: str) -> int:
        return self._count.get((channel, site, skill), 0)

    def levels(
        self, channel: Channel, site: SiteId, skill: str, min_level: int
    ) -> Iterator[dict[AgentId, AgentRecord]]:
        """Level dicts from the highest level down to `min_level`, each ordered longest-available first."""
        levels = self._by_skill.get((channel, site, skill))
        if levels is None:
            return
        for level in range(MAX_SKILL_LEVEL, min_level - 1, -1):
            if levels[level]:
                yield levels[level]

    def at_site(self, channel: Channel, site: SiteId) -> dict[AgentId, AgentRecord]:
        return self._by_site.get((channel, site), {})
