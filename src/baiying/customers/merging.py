"""The merge rule: what the surviving record looks like after absorbing a duplicate.

- The survivor keeps its id, name and every field it has; a field it lacks (region, language, dialect,
  tier, segment, birthday, site) is taken from the merged record.
- Consents: a refusal on either record wins (`Consents.merged_with`), so merging never widens consent.
- Attributes: the union, the survivor's value winning on a shared key.
- Contact points, products and the timeline (later: tickets) move to the survivor; the merged record
  stays, empty, with `merged_into` naming the survivor, so old references can be followed.
"""

from dataclasses import dataclass, replace

from baiying.customers.errors import InvalidMerge
from baiying.customers.model import Customer

FILLED_FIELDS = ("region", "language", "dialect", "tier", "segment", "birthday", "site_id")


@dataclass(frozen=True, slots=True)
class MergeResult:
    survivor: Customer
    merged: Customer  # the absorbed record as it is kept: no contact points, merged_into set
    filled: tuple[str, ...]  # the survivor's fields taken from the merged record


def check_mergeable(survivor: Customer, merged: Customer) -> None:
    """Raise InvalidMerge for a customer merged with itself or a record already merged away."""
    if survivor.id == merged.id:
        raise InvalidMerge(f"customer {survivor.id!r} cannot be merged with itself", {"id": survivor.id})
    for record in (survivor, merged):
        if record.merged_into is not None:
            raise InvalidMerge(
                f"customer {record.id!r} was already merged into {record.merged_into!r}",
                {"id": record.id, "merged_into": record.merged_into},
            )


def merge(survivor: Customer, merged: Customer) -> MergeResult:
    """Apply the rule above; raises InvalidMerge (see `check_mergeable`)."""
    check_mergeable(survivor, merged)
    filled = tuple(
        name
        for name in FILLED_FIELDS
        if getattr(survivor, name) is None and getattr(merged, name) is not None
    )
    changes = {name: getattr(merged, name) for name in filled}
    kept = {point.value for point in survivor.contact_points}
    points = survivor.contact_points + tuple(p for p in merged.contact_points if p.value not in kept)
    new_survivor = replace(
        survivor,
        **changes,
        contact_points=points,
        consents=survivor.consents.merged_with(merged.consents),
        attributes={**merged.attributes, **survivor.attributes},
        serials=tuple(sorted(set(survivor.serials) | set(merged.serials))),
    )
    emptied = replace(merged, contact_points=(), merged_into=survivor.id, serials=())
    return MergeResult(new_survivor, emptied, filled)
