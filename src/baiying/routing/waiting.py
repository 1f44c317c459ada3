"""Waiting contacts, grouped into buckets of contacts that exactly the same agents may take.

A bucket's key is the resolved target (channel, skills and levels, sites, agent filter with the contact
values it reads, a named agent). Inside a bucket contacts are ordered by priority, then true age, in a heap
with lazy deletion; across buckets the router compares bucket heads, so an agent always gets the
highest-priority, oldest contact of all the queues it serves.
"""

import heapq
from collections.abc import Hashable, Iterator

from baiying.ids import AgentId, SiteId
from baiying.routing.availability import SkillPool
from baiying.routing.expressions import CompiledExpression
from baiying.routing.model import ANY_SKILL, Channel
from baiying.routing.state import EVERY_SITE, ContactRecord

Entry = tuple[int, float, int, ContactRecord]


class Bucket:
    __slots__ = (
        "channel",
        "contact_view",
        "expression",
        "heap",
        "index_keys",
        "key",
        "lead_pools",
        "lead_slots",
        "live",
        "named_agent",
        "pools",
        "site_indexes",
        "sites",
        "skills",
    )

    def __init__(
        self,
        key: Hashable,
        channel: Channel,
        skills: tuple[tuple[str, int], ...],
        sites: tuple[SiteId, ...],
        expression: CompiledExpression | None,
        contact_view: dict[str, object],
        named_agent: AgentId | None,
        pools: list[list[SkillPool]],
        site_indexes: list[int],
        every_site: bool = False,
    ) -> None:
        """`every_site`: `sites` are all the configured sites (and no agent is named), so the bucket is
        filed under `EVERY_SITE` rather than under each site."""
        self.key = key
        self.pools = pools  # per site, the availability pool of each required skill: no lookups per decision
        # Per site, the pool of the first required skill, one reference away (a search across every site
        # for a one-skill step reads nothing else before a pool's occupied levels).
        self.lead_pools = [site_pools[0] for site_pools in pools] if skills else []
        self.channel = channel
        self.skills = skills
        self.sites = sites
        self.site_indexes = site_indexes  # the router's index of each site, in the order of `sites`
        self.expression = expression
        self.contact_view = contact_view
        self.named_agent = named_agent
        self.heap: list[Entry] = []
        self.live = 0
        lead = f"@{named_agent}" if named_agent else (skills[0][0] if skills else ANY_SKILL)
        self.index_keys = (
            [(EVERY_SITE, lead)] if every_site and not named_agent else [(site, lead) for site in sites]
        )
        self.lead_slots: list[int] = []  # the same, as slots of the waiting index (set when added)

    def head(self) -> ContactRecord | None:
        heap = self.heap
        while heap:
            entry = heap[0]
            record = entry[3]
            if record.bucket is self and record.entry_seq == entry[2]:
                return record
            heapq.heappop(heap)
        return None

    def in_order(self) -> Iterator[ContactRecord]:
        """Live contacts best first (a slow path, for contacts an agent may not take)."""
        for entry in sorted(self.heap):
            record = entry[3]
            if record.bucket is self and record.entry_seq == entry[2]:
                yield record


class WaitingIndex:
    """Buckets by key, and the non-empty ones by (site, lead skill): each (site, lead) pair is given a slot
    number once, and agents and buckets keep their slot numbers, so the hot path reads a list, not a dict
    keyed by tuples."""

    __slots__ = ("_buckets", "_seq", "_slots", "nonempty")

    def __init__(self) -> None:
        self._buckets: dict[Hashable, Bucket] = {}
        self._slots: dict[tuple[SiteId, str], int] = {}
        self.nonempty: list[dict[Bucket, None] | None] = []  # per slot, its non-empty buckets (or None)
        self._seq = 0

    def slot(self, site: SiteId, lead: str) -> int:
        """The slot of (site, lead), given on first use."""
        key = (site, lead)
        found = self._slots.get(key)
        if found is None:
            found = self._slots[key] = len(self.nonempty)
            self.nonempty.append(None)
        return found

    def slots(self, keys: list[tuple[SiteId, str]]) -> list[int]:
        return [self.slot(site, lead) for site, lead in keys]

    def bucket(self, key: Hashable) -> Bucket | None:
        return self._buckets.get(key)

    def add_bucket(self, bucket: Bucket) -> Bucket:
        self._buckets[bucket.key] = bucket
        bucket.lead_slots = self.slots(bucket.index_keys)
        return bucket

    def push(self, record: ContactRecord, bucket: Bucket) -> None:
        if record.bucket is not None:
            self.remove(record)
        self._seq += 1
        record.bucket = bucket
        record.entry_seq = self._seq
        heapq.heappush(bucket.heap, (-record.priority, record.contact.arrived_at, self._seq, record))
        bucket.live += 1
        if bucket.live == 1:
            nonempty = self.nonempty
            for slot in bucket.lead_slots:
                found = nonempty[slot]
                if found is None:
                    nonempty[slot] = {bucket: None}
                else:
                    found[bucket] = None

    def remove(self, record: ContactRecord) -> None:
        bucket: Bucket | None = record.bucket
        if bucket is None:
            return
        record.bucket = None
        bucket.live -= 1
        if bucket.live == 0:
            bucket.heap.clear()
            nonempty = self.nonempty
            for slot in bucket.lead_slots:
                found = nonempty[slot]
                if found is not None:
                    found.pop(bucket, None)
                    if not found:
                        nonempty[slot] = None

    def buckets_for(self, site: SiteId, lead: str) -> dict[Bucket, None] | None:
        """Non-empty buckets at `site` whose first required skill is `lead` (or "*", or "@agent")."""
        slot = self._slots.get((site, lead))
        return self.nonempty[slot] if slot is not None else None

    def all_waiting(self) -> list[ContactRecord]:
        """Every waiting contact, best first (priority, then true age)."""
        found = [r for b in self._buckets.values() if b.live for r in b.in_order()]
        found.sort(key=lambda r: (r.sort_key(), r.entry_seq))
        return found
