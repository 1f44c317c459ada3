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
from baiying.routing.state import ContactRecord

Entry = tuple[int, float, int, ContactRecord]


class Bucket:
    __slots__ = (
        "channel",
        "contact_view",
        "expression",
        "heap",
        "index_keys",
        "key",
        "live",
        "named_agent",
        "pools",
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
    ) -> None:
        self.key = key
        self.pools = pools  # per site, the availability pool of each required skill: no lookups per decision
        self.channel = channel
        self.skills = skills
        self.sites = sites
        self.expression = expression
        self.contact_view = contact_view
        self.named_agent = named_agent
        self.heap: list[Entry] = []
        self.live = 0
        lead = f"@{named_agent}" if named_agent else (skills[0][0] if skills else ANY_SKILL)
        self.index_keys = [(site, lead) for site in sites]

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
    __slots__ = ("_buckets", "_seq", "nonempty")

    def __init__(self) -> None:
        self._buckets: dict[Hashable, Bucket] = {}
        self.nonempty: dict[tuple[SiteId, str], dict[Bucket, None]] = {}
        self._seq = 0

    def bucket(self, key: Hashable) -> Bucket | None:
        return self._buckets.get(key)

    def add_bucket(self, bucket: Bucket) -> Bucket:
        self._buckets[bucket.key] = bucket
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
            for key in bucket.index_keys:
                found = self.nonempty.get(key)
                if found is None:
                    found = self.nonempty[key] = {}
                found[bucket] = None

    def remove(self, record: ContactRecord) -> None:
        bucket: Bucket | None = record.bucket
        if bucket is None:
            return
        record.bucket = None
        bucket.live -= 1
        if bucket.live == 0:
            bucket.heap.clear()
            for key in bucket.index_keys:
                self.nonempty[key].pop(bucket, None)

    def buckets_for(self, site: SiteId, lead: str) -> dict[Bucket, None] | None:
        """Non-empty buckets at `site` whose first required skill is `lead` (or "*", or "@agent")."""
        return self.nonempty.get((site, lead))

    def all_waiting(self) -> list[ContactRecord]:
        """Every waiting contact, best first (priority, then true age)."""
        found = [r for b in self._buckets.values() if b.live for r in b.in_order()]
        found.sort(key=lambda r: (r.sort_key(), r.entry_seq))
        return found
