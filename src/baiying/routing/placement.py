"""Multi-site placement: at which site a new contact waits.

In order: (a) language/dialect affinity (Cantonese → the sites that list `yue`), (b) time-of-day rules in
each rule's time zone, e.g. at night send about two thirds of contacts to HQ, (c) the local site, then
(d) Best Service Routing: if the chosen site's expected wait would break the service-level objective,
spill to the site with the shortest expected wait. Only open sites within their hours take new contacts;
a draining site finishes what waits there, an evacuated site takes nothing.
"""

import hashlib
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from baiying.ids import SiteId
from baiying.routing.config import PlacementRules
from baiying.routing.model import Contact, Queue, Site, SiteStatus

INFINITE_WAIT: Final = float("inf")


class ExpectedWait:
    """The expected wait at a site for the contact being placed. A class to subclass rather than a
    callable: compiled, calling its method is a direct call that returns a machine float, where calling a
    closure goes through Python's generic call and boxes the result."""

    def at(self, site: SiteId) -> float:
        raise NotImplementedError


class LocalTime:
    """Minute of day in a time zone, cached per minute: placement asks it for every contact."""

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[str, tuple[int, int]] = {}

    def minute_of_day(self, timezone: str, now: float) -> int:
        epoch_minute = int(now // 60)
        cached = self._cache.get(timezone)
        if cached is not None and cached[0] == epoch_minute:
            return cached[1]
        local = datetime.fromtimestamp(epoch_minute * 60, ZoneInfo(timezone))
        minute = local.hour * 60 + local.minute
        self._cache[timezone] = (epoch_minute, minute)
        return minute


def share_point(contact_id: str) -> float:
    """A stable number in [0, 1) per contact, so a share rule sends the same contact the same way."""
    # crc32 is not uniform enough over sequential ids ("c1", "c2", …); blake2b is, and still cheap.
    digest = hashlib.blake2b(contact_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 18446744073709551616.0


class Placement:
    """The outcome: where the contact waits, why, and the site it overflowed from (if it did)."""

    __slots__ = ("note", "overflow_from", "sites")

    def __init__(self, sites: tuple[SiteId, ...], note: str, overflow_from: SiteId | None = None) -> None:
        self.sites = sites
        self.note = note
        self.overflow_from = overflow_from


class SitePlacer:
    def __init__(self, sites: dict[SiteId, Site], rules: PlacementRules) -> None:
        self.sites = sites
        self.rules = rules
        # The rules' fields, read for every contact: native attributes here (`rules` is not compiled).
        self.language_affinity = rules.language_affinity
        self.local_preference = rules.local_preference
        self.time_rules = rules.time_rules
        # A float even when configured as an int: compiled, an int would be converted for every contact.
        spill = rules.spill_when_wait_exceeds_seconds
        self.spill_threshold = None if spill is None else float(spill)
        self.status: dict[SiteId, SiteStatus] = dict.fromkeys(sites, SiteStatus.OPEN)
        self._serving = tuple(sites)
        self._serving_set = frozenset(sites)
        # Cached per minute (asked for every contact): the sites taking new contacts, as a list and a set.
        self._taking_new: tuple[int, list[SiteId], frozenset[SiteId]] = (-1, [], frozenset())
        self._local_notes = {site: f"local site {site}" for site in sites}
        # One placement tuple per site, shared by every contact placed there: the router recognises a
        # step's sites by this very tuple instead of hashing it.
        self._alone: dict[SiteId, tuple[SiteId, ...]] = {site: (site,) for site in sites}
        # Staying at the local site (most contacts) is one outcome per site, shared rather than built for each
        # contact (a Placement is only read once returned).
        self._stays_local = {site: Placement(self._alone[site], self._local_notes[site]) for site in sites}
        self.clock = LocalTime()
        self._by_language: dict[str, list[SiteId]] = {}
        for site in sites.values():
            for language in site.languages:
                self._by_language.setdefault(language, []).append(site.id)

    def set_status(self, site_id: SiteId, status: SiteStatus) -> None:
        self.status[site_id] = status
        self._taking_new = (-1, [], frozenset())
        self._serving = tuple(s for s, st in self.status.items() if st is not SiteStatus.EVACUATED)
        self._serving_set = frozenset(self._serving)

    def serving_set(self) -> frozenset[SiteId]:
        return self._serving_set

    def serving(self) -> tuple[SiteId, ...]:
        """Sites whose agents may take waiting contacts: all but the evacuated."""
        return self._serving

    def taking_new(self, now: float) -> list[SiteId]:
        """Sites that take new contacts now: open and within their hours."""
        return self._taking_new_now(now)[1]

    def _taking_new_now(self, now: float) -> tuple[int, list[SiteId], frozenset[SiteId]]:
        minute = int(now // 60)
        if self._taking_new[0] == minute:
            return self._taking_new
        found = []
        for site_id, status in self.status.items():
            if status is not SiteStatus.OPEN:
                continue
            site = self.sites[site_id]
            if site.hours is None or site.hours.contains(self.clock.minute_of_day(site.timezone, now)):
                found.append(site_id)
        self._taking_new = (minute, found, frozenset(found))
        return self._taking_new

    def home_sites(self, language: str | None) -> list[SiteId]:
        return self._by_language.get(language, []) if language else []

    def place(self, contact: Contact, queue: Queue, now: float, expected_wait: ExpectedWait) -> Placement:
        _, candidates, open_now = self._taking_new_now(now)
        if not candidates:
            fallback = self.serving()
            if not fallback:
                return Placement((), "every site is evacuated: waiting until one reopens")
            return Placement(fallback, "no site is open for new contacts now: waiting at every serving site")
        preferred: SiteId | None = None
        note = ""
        if self.language_affinity and contact.language:
            homes = [s for s in self.home_sites(contact.language) if s in open_now]
            if homes:
                preferred = min(homes, key=expected_wait.at) if len(homes) > 1 else homes[0]
                note = f"{contact.language} → {preferred} (language affinity)"
        if preferred is None:
            for rule in self.time_rules:
                if rule.to_site not in open_now or (rule.queues is not None and queue.id not in rule.queues):
                    continue
                if rule.hours.contains(self.clock.minute_of_day(rule.timezone, now)):
                    if share_point(contact.id) < rule.share:
                        preferred = rule.to_site
                        note = f"{rule.name}: {rule.share:.0%} of contacts to {rule.to_site}"
                    break
        if preferred is None and self.local_preference and contact.site_id in open_now:
            preferred = contact.site_id
            note = self._local_notes[preferred]
        if preferred is None:
            preferred = min(candidates, key=expected_wait.at)
            note = f"{preferred} has the shortest expected wait"
        return self._spill_if_late(preferred, note, candidates, queue, expected_wait)

    def _spill_if_late(
        self,
        preferred: SiteId,
        note: str,
        candidates: list[SiteId],
        queue: Queue,
        expected_wait: ExpectedWait,
    ) -> Placement:
        alone = self._alone
        if len(candidates) == 1:  # nowhere to spill to: the expected wait is not needed
            return self._stay(preferred, note)
        threshold = self.spill_threshold or queue.service_level.seconds
        wait_there = expected_wait.at(preferred)
        if wait_there <= threshold:
            return self._stay(preferred, note)
        # The first site with the shortest expected wait (the preferred one's is known already).
        best = preferred
        best_wait = wait_there
        found = False
        for site in candidates:
            wait = wait_there if site == preferred else expected_wait.at(site)
            if not found or wait < best_wait:
                best, best_wait, found = site, wait, True
        if best_wait >= wait_there:
            return Placement(
                alone.get(preferred) or (preferred,),
                f"{note}; EWT {_seconds(wait_there)} but no site is faster",
            )
        reason = (
            f"{preferred} skipped: EWT {_seconds(wait_there)} > {threshold:.0f} s; "
            f"{best} EWT {_seconds(best_wait)}"
        )
        return Placement(alone.get(best) or (best,), reason, overflow_from=preferred)

    def _stay(self, site: SiteId, note: str) -> Placement:
        """The contact waits at `site` for the reason `note`: when that is the site's local-preference note
        (the very string), the shared outcome."""
        local = self._stays_local.get(site)
        if local is not None and local.note is note:
            return local
        return Placement(self._alone.get(site) or (site,), note)


def _seconds(value: float) -> str:
    return "∞ (nobody staffed)" if value == INFINITE_WAIT else f"{value:.0f} s"
