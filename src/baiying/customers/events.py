"""What happens to customer records, past tense; stored in the `customer_events` table with who did it.

They are kept apart from the contact-center event log (`baiying.events`), whose readers know a fixed
catalogue; a merge names both records so a timeline or a ticket list can follow the survivor.
"""

from dataclasses import asdict, dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class CustomerEvent:
    kind: ClassVar[str] = "customer-event"
    customer_id: str

    def data(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True, slots=True)
class CustomerCreated(CustomerEvent):
    kind: ClassVar[str] = "customer-created"
    source: str = "api"  # "api", or "import:<file>"


@dataclass(frozen=True, slots=True)
class CustomerUpdated(CustomerEvent):
    kind: ClassVar[str] = "customer-updated"
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerDeleted(CustomerEvent):
    kind: ClassVar[str] = "customer-deleted"


@dataclass(frozen=True, slots=True)
class CustomerMerged(CustomerEvent):
    """`merged_id` was merged into `customer_id` (the survivor); the counts say what moved."""

    kind: ClassVar[str] = "customer-merged"
    merged_id: str = ""
    contact_points: int = 0
    products: int = 0
    interactions: int = 0
    contacts: int = 0
    tickets: int = 0
    filled: tuple[str, ...] = ()
