"""Finding duplicate customers and choosing which record an incoming row (an import, a contact) is.

Rules:
- Matching (who is this?): a row names its customer by id, else by its contact points. Contact points are
  unique per tenant, so each one names at most one customer; points naming two different customers are a
  conflict, never a guess.
- Duplicates (which records are one person?): two records are reported when they share a contact point's
  match key (an email that differs only by its `+tag`), or when their names are similar
  (`name_similarity` at least `SIMILAR_NAME`) and one more fact agrees: the birthday or an appliance serial.
  Identical names alone are not enough (there are many Wang Fangs), and neither is a shared birthday.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

from baiying.customers.model import ContactPoint, Customer
from baiying.ids import CustomerId

SIMILAR_NAME = 0.85
MAX_BLOCK = 200  # records sharing one blocking key compared pairwise at most; a bigger block is skipped


def name_key(name: str) -> str:
    """A name for comparison: NFKC (full-width to half-width), case-folded, without spaces or dots."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def name_similarity(first: str, second: str) -> float:
    """0 (nothing alike) to 1 (the same name key); "Li Na" and "li  na" are 1, "李娜" and "李娜娜" 0.8."""
    a, b = name_key(first), name_key(second)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    first: CustomerId  # the smaller id of the two
    second: CustomerId
    reasons: tuple[str, ...]  # e.g. ("same email li.na@example.com", "similar names (0.91)")
    score: float  # 1.0 for a shared contact point, else the name similarity


def _reasons(a: Customer, b: Customer) -> tuple[list[str], float]:
    reasons: list[str] = []
    keys_a = {point.match_key: point for point in a.contact_points}
    shared = [point for point in b.contact_points if point.match_key in keys_a]
    for point in shared:
        reasons.append(f"same {point.kind.value} {point.match_key}")
    similarity = name_similarity(a.display_name, b.display_name)
    corroborated: list[str] = []
    if a.birthday is not None and a.birthday == b.birthday:
        corroborated.append(f"same birthday {a.birthday.isoformat()}")
    for serial in sorted(set(a.serials) & set(b.serials)):
        corroborated.append(f"same serial {serial}")
    if similarity >= SIMILAR_NAME and corroborated:
        reasons.append(f"similar names ({similarity:.2f})")
        reasons.extend(corroborated)
    score = 1.0 if shared else similarity
    return reasons, score


def duplicate_of(a: Customer, b: Customer) -> DuplicatePair | None:
    """The pair, if the rules above say `a` and `b` may be one person."""
    if a.id == b.id:
        return None
    reasons, score = _reasons(a, b)
    if not reasons:
        return None
    first, second = sorted((a.id, b.id))
    return DuplicatePair(first, second, tuple(reasons), round(score, 4))


def _blocking_keys(customer: Customer) -> set[str]:
    keys = {f"cp:{point.match_key}" for point in customer.contact_points}
    keys |= {f"serial:{serial}" for serial in customer.serials}
    if customer.birthday is not None:
        keys.add(f"birthday:{customer.birthday.isoformat()}")
    return keys


def find_duplicates(customers: Iterable[Customer]) -> list[DuplicatePair]:
    """Every duplicate pair among `customers` (merged-away records are skipped), best score first.

    Only records sharing a blocking key (a contact point's match key, a serial, a birthday) are compared,
    which is every pair the rules can report; a block larger than MAX_BLOCK is skipped.
    """
    live = [c for c in customers if c.merged_into is None]
    by_id = {c.id: c for c in live}
    blocks: dict[str, list[CustomerId]] = defaultdict(list)
    for customer in live:
        for key in _blocking_keys(customer):
            blocks[key].append(customer.id)
    seen: set[tuple[CustomerId, CustomerId]] = set()
    pairs: list[DuplicatePair] = []
    for members in blocks.values():
        if len(members) > MAX_BLOCK:
            continue
        for x, y in combinations(sorted(set(members)), 2):
            if (x, y) in seen:
                continue
            seen.add((x, y))
            pair = duplicate_of(by_id[x], by_id[y])
            if pair is not None:
                pairs.append(pair)
    return sorted(pairs, key=lambda p: (-p.score, p.first, p.second))


@dataclass(frozen=True, slots=True)
class Match:
    """Who a row is: `customer_id` (None: a new customer) and, for an existing one, which points said so."""

    customer_id: CustomerId | None
    by: tuple[str, ...] = ()


class MatchConflict(Exception):
    """The row's contact points belong to different customers."""

    def __init__(self, owners: Mapping[str, CustomerId], customer_id: CustomerId | None = None) -> None:
        described = ", ".join(f"{value} belongs to {owner}" for value, owner in owners.items())
        if customer_id is None:
            super().__init__(f"contact points belong to different customers: {described}")
        else:
            super().__init__(f"the row is customer {customer_id}, but {described}")
        self.owners = dict(owners)


def match(
    points: Sequence[ContactPoint], owner_of: Mapping[str, CustomerId], customer_id: CustomerId | None = None
) -> Match:
    """Which customer a row with `points` is, given the current owner of each known point's value.

    With `customer_id`, that customer; its points must be free or its own. Raises MatchConflict when the
    points name different customers (or another customer than `customer_id`).
    """
    owners = {point.value: owner_of[point.value] for point in points if point.value in owner_of}
    distinct = set(owners.values())
    if customer_id is not None:
        foreign = {value: owner for value, owner in owners.items() if owner != customer_id}
        if foreign:
            raise MatchConflict(foreign, customer_id)
        return Match(customer_id, ("id",))
    if len(distinct) > 1:
        raise MatchConflict(owners)
    if distinct:
        return Match(distinct.pop(), tuple(owners))
    return Match(None)
