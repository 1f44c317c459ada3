"""Customers, contact points and products in the database, for one tenant; merges and CSV imports.

Like the other repositories it takes the caller's `Session` and never commits. Contact points are stored
normalised (`baiying.customers.contacts`) and unique per tenant and kind; a point already held by another
customer raises ContactPointTaken, naming the holder.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from baiying.customers.contacts import normalise
from baiying.customers.errors import ContactPointTaken, InvalidContactPoint, UnknownCustomer, UnknownProduct
from baiying.customers.events import CustomerCreated, CustomerEvent, CustomerUpdated
from baiying.customers.matching import name_key as key_of_name
from baiying.customers.model import (
    ApplianceTerms,
    Consents,
    ContactPoint,
    ContactPointKind,
    Customer,
    TelecomTerms,
)
from baiying.ids import CustomerId
from baiying.storage.customer_tables import (
    ContactPointRow,
    CustomerEventRow,
    CustomerRow,
    CustomerSettingsRow,
    ProductRow,
)
from baiying.storage.repositories.base import savepoint

PROFILE_FIELDS = ("display_name", "region", "language", "dialect", "tier", "segment", "birthday", "site_id")
CONSENT_FIELDS = ("consent_marketing", "consent_sms", "consent_email", "consent_calls")


# Statements of the screen pop's path, built once (building one per call costs more than running it).
_POINTS = (
    select(ContactPointRow)
    .where(
        ContactPointRow.tenant_id == bindparam("tenant"),
        ContactPointRow.customer_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(ContactPointRow.id)
)
_PRODUCTS = (
    select(ProductRow)
    .where(ProductRow.tenant_id == bindparam("tenant"), ProductRow.customer_id == bindparam("customer"))
    .order_by(ProductRow.id)
)
_BY_POINT = (
    select(CustomerRow)
    .join(
        ContactPointRow,
        (ContactPointRow.tenant_id == CustomerRow.tenant_id)
        & (ContactPointRow.customer_id == CustomerRow.id),
    )
    .where(
        ContactPointRow.tenant_id == bindparam("tenant"),
        ContactPointRow.kind == bindparam("kind"),
        ContactPointRow.value == bindparam("value"),
    )
)
_SETTINGS = select(CustomerSettingsRow).where(CustomerSettingsRow.tenant_id == bindparam("tenant"))
CHUNK = 5_000  # ids per IN (...) list: well under SQLite's limit on bound parameters


def new_customer_id() -> str:
    return f"c-{uuid.uuid4().hex[:16]}"


def settings_of(session: Session, tenant_id: str) -> CustomerSettingsRow:
    """The tenant's customer settings; the defaults (+86, Asia/Shanghai, 72 h FCR window) if none stored."""
    found = session.scalar(_SETTINGS, {"tenant": tenant_id})
    if found is not None:
        return found
    return CustomerSettingsRow(
        tenant_id=tenant_id,
        default_country_code=86,
        timezone="Asia/Shanghai",
        fcr_window_hours=72.0,
        agents_see_own_site_only=False,
        pii_roles=["admin"],
        categories={},
        resolved_codes=["resolved"],
    )


def record_event(session: Session, tenant_id: str, event: CustomerEvent, *, actor: str, at: float) -> None:
    session.add(
        CustomerEventRow(
            tenant_id=tenant_id,
            at=at,
            kind=event.kind,
            customer_id=event.customer_id,
            actor=actor,
            data=event.data(),
        )
    )


def point_of(row: ContactPointRow) -> ContactPoint:
    return ContactPoint(ContactPointKind(row.kind), row.value, row.label)


@dataclass
class CustomerStore:
    session: Session
    tenant_id: str

    # ---- reading ----------------------------------------------------------------------------------------

    def find(self, customer_id: str) -> CustomerRow | None:
        return self.session.get(CustomerRow, {"tenant_id": self.tenant_id, "id": customer_id})

    def get(self, customer_id: str) -> CustomerRow:
        found = self.find(customer_id)
        if found is None:
            raise UnknownCustomer(f"no customer {customer_id!r}", {"id": customer_id})
        return found

    def points(self, customer_ids: Sequence[str]) -> dict[str, list[ContactPointRow]]:
        found: dict[str, list[ContactPointRow]] = {cid: [] for cid in customer_ids}
        if customer_ids:
            rows = self.session.scalars(_POINTS, {"tenant": self.tenant_id, "ids": list(customer_ids)})
            for row in rows:
                found[row.customer_id].append(row)
        return found

    def products(self, customer_id: str) -> list[ProductRow]:
        return list(self.session.scalars(_PRODUCTS, {"tenant": self.tenant_id, "customer": customer_id}))

    def serials(self, customer_ids: Sequence[str]) -> dict[str, list[str]]:
        """The appliance serial numbers of each customer."""
        found: dict[str, list[str]] = {cid: [] for cid in customer_ids}
        if customer_ids:
            rows = self.session.execute(
                select(ProductRow.customer_id, ProductRow.serial).where(
                    ProductRow.tenant_id == self.tenant_id,
                    ProductRow.customer_id.in_(customer_ids),
                    ProductRow.serial.is_not(None),
                )
            )
            for customer_id, serial in rows:
                if serial:
                    found[customer_id].append(serial)
        return found

    def customer(
        self,
        row: CustomerRow,
        points: Iterable[ContactPointRow] | None = None,
        serials: Iterable[str] | None = None,
    ) -> Customer:
        """The core value of a stored customer (with its points and appliance serials)."""
        if points is None:
            points = self.points([row.id])[row.id]
        if serials is None:
            serials = self.serials([row.id])[row.id]
        return Customer(
            id=CustomerId(row.id),
            display_name=row.display_name,
            contact_points=tuple(point_of(p) for p in points),
            region=row.region,
            language=row.language,
            dialect=row.dialect,
            tier=row.tier,
            segment=row.segment,
            birthday=row.birthday,
            site_id=row.site_id,
            consents=Consents(row.consent_marketing, row.consent_sms, row.consent_email, row.consent_calls),
            attributes=dict(row.attributes),
            merged_into=CustomerId(row.merged_into) if row.merged_into else None,
            serials=tuple(sorted(s for s in serials if s)),
        )

    def by_point(self, kind: ContactPointKind, value: str) -> CustomerRow | None:
        """The customer holding the normalised contact point (the survivor, for a merged record)."""
        row = self.session.scalar(_BY_POINT, {"tenant": self.tenant_id, "kind": kind.value, "value": value})
        if row is None or row.merged_into is None:
            return row
        return self.survivor(row.id)

    def survivor(self, customer_id: str) -> CustomerRow | None:
        """The record now standing for `customer_id`: itself, or the one it was merged into."""
        row = self.find(customer_id)
        for _ in range(16):  # merge chains are short; a cycle cannot be made, this only bounds the walk
            if row is None or row.merged_into is None:
                return row
            row = self.find(row.merged_into)
        return row

    def owners(self, points: Sequence[ContactPoint]) -> dict[str, CustomerId]:
        """The current holder of each of `points` that is held, by value."""
        if not points:
            return {}
        conditions = [
            (ContactPointRow.kind == p.kind.value) & (ContactPointRow.value == p.value) for p in points
        ]
        rows = self.session.execute(
            select(ContactPointRow.value, ContactPointRow.customer_id).where(
                ContactPointRow.tenant_id == self.tenant_id, or_(*conditions)
            )
        )
        return {value: CustomerId(owner) for value, owner in rows}

    def search(
        self,
        *,
        query: str | None = None,
        contact: str | None = None,
        site_ids: Iterable[str] | None = None,
        include_siteless: bool = True,
        include_merged: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[CustomerRow], int]:
        """A page of customers ordered by id, and how many match: by name (contains `query`, compared as
        name keys), by a contact point (`contact`: a phone however written, an email or a chat id) and,
        when `site_ids` is given, only customers of those sites (and those of no site, if
        `include_siteless`)."""
        conditions: list[Any] = [CustomerRow.tenant_id == self.tenant_id]
        if not include_merged:
            conditions.append(CustomerRow.merged_into.is_(None))
        if query:
            conditions.append(CustomerRow.name_key.contains(key_of_name(query), autoescape=True))
        if contact:
            values = self._readings(contact)
            conditions.append(
                CustomerRow.id.in_(
                    select(ContactPointRow.customer_id).where(
                        ContactPointRow.tenant_id == self.tenant_id, ContactPointRow.value.in_(values)
                    )
                )
            )
        if site_ids is not None:
            in_sites = CustomerRow.site_id.in_(list(site_ids))
            conditions.append(or_(in_sites, CustomerRow.site_id.is_(None)) if include_siteless else in_sites)
        total = self.session.scalar(select(func.count()).select_from(CustomerRow).where(*conditions)) or 0
        rows = self.session.scalars(
            select(CustomerRow).where(*conditions).order_by(CustomerRow.id).limit(limit).offset(offset)
        )
        return list(rows), total

    def _readings(self, raw: str) -> list[str]:
        """Every normalised contact point `raw` can be read as (a phone, an email, a chat id)."""
        code = settings_of(self.session, self.tenant_id).default_country_code
        readings = []
        for kind in ContactPointKind:
            try:
                readings.append(normalise(kind, raw, code))
            except InvalidContactPoint:
                continue
        return readings or [raw]

    # ---- writing ----------------------------------------------------------------------------------------

    def create(
        self,
        customer_id: str | None,
        fields: dict[str, Any],
        points: Sequence[ContactPoint],
        *,
        at: float,
        actor: str,
        source: str = "api",
    ) -> CustomerRow:
        """A new customer with its contact points; ContactPointTaken if one is held, Conflict for an id."""
        chosen = customer_id or new_customer_id()
        self._check_free(points, None)
        values = {k: v for k, v in fields.items() if k in PROFILE_FIELDS + CONSENT_FIELDS + ("attributes",)}
        row = CustomerRow(
            tenant_id=self.tenant_id,
            id=chosen,
            name_key=key_of_name(values.get("display_name", "")),
            merged_into=None,
            created_at=at,
            updated_at=at,
            **{"attributes": {}, **dict.fromkeys(CONSENT_FIELDS, False), **values},
        )
        with savepoint(self.session, f"customer {chosen!r}"):
            self.session.add(row)
        for point in points:
            self._add_point(chosen, point)
        record_event(self.session, self.tenant_id, CustomerCreated(chosen, source), actor=actor, at=at)
        return row

    def update(self, customer_id: str, changes: dict[str, Any], *, at: float, actor: str) -> CustomerRow:
        row = self.get(customer_id)
        changed = [name for name, value in changes.items() if getattr(row, name) != value]
        if not changed:
            return row
        with savepoint(self.session, f"customer {customer_id!r}"):
            for name in changed:
                setattr(row, name, changes[name])
            if "display_name" in changed:
                row.name_key = key_of_name(row.display_name)
            row.updated_at = at
        record_event(
            self.session, self.tenant_id, CustomerUpdated(customer_id, tuple(changed)), actor=actor, at=at
        )
        return row

    def add_points(self, customer_id: str, points: Sequence[ContactPoint]) -> list[ContactPoint]:
        """Add the points the customer does not hold yet; returns those added."""
        self._check_free(points, customer_id)
        held = {p.value for p in self.points([customer_id])[customer_id]}
        added = [p for p in points if p.value not in held]
        for point in added:
            self._add_point(customer_id, point)
        return added

    def remove_point(self, customer_id: str, kind: ContactPointKind, value: str) -> None:
        row = self.session.scalar(
            select(ContactPointRow).where(
                ContactPointRow.tenant_id == self.tenant_id,
                ContactPointRow.customer_id == customer_id,
                ContactPointRow.kind == kind.value,
                ContactPointRow.value == value,
            )
        )
        if row is None:
            raise InvalidContactPoint(
                f"customer {customer_id!r} has no {kind.value} {value}", {"kind": kind.value, "value": value}
            )
        self.session.delete(row)
        self.session.flush()

    def _check_free(self, points: Sequence[ContactPoint], customer_id: str | None) -> None:
        for value, owner in self.owners(points).items():
            if owner != customer_id:
                raise ContactPointTaken(
                    f"{value} already belongs to customer {owner!r}", {"value": value, "customer_id": owner}
                )

    def _add_point(self, customer_id: str, point: ContactPoint) -> None:
        with savepoint(self.session, f"contact point {point.value}"):
            self.session.add(
                ContactPointRow(
                    tenant_id=self.tenant_id,
                    customer_id=customer_id,
                    kind=point.kind.value,
                    value=point.value,
                    match_key=point.match_key,
                    label=point.label,
                )
            )

    # ---- products ---------------------------------------------------------------------------------------

    def product(self, customer_id: str, product_id: str) -> ProductRow:
        row = self.session.get(ProductRow, {"tenant_id": self.tenant_id, "id": product_id})
        if row is None or row.customer_id != customer_id:
            raise UnknownProduct(
                f"customer {customer_id!r} has no product {product_id!r}",
                {"customer_id": customer_id, "id": product_id},
            )
        return row

    def add_product(
        self,
        customer_id: str,
        product_id: str | None,
        name: str,
        terms: TelecomTerms | ApplianceTerms,
        *,
        active: bool = True,
        at: float,
    ) -> ProductRow:
        chosen = product_id or f"p-{uuid.uuid4().hex[:16]}"
        kind = "telecom" if isinstance(terms, TelecomTerms) else "appliance"
        row = ProductRow(
            tenant_id=self.tenant_id,
            id=chosen,
            customer_id=customer_id,
            kind=kind,
            name=name,
            active=active,
            updated_at=at,
            **{"minutes_used": 0, "data_used_mb": 0, **terms_columns(terms)},
        )
        with savepoint(self.session, f"product {chosen!r}"):
            self.session.add(row)
        return row

    def update_product(
        self, customer_id: str, product_id: str, changes: dict[str, Any], *, at: float
    ) -> ProductRow:
        row = self.product(customer_id, product_id)
        with savepoint(self.session, f"product {product_id!r}"):
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = at
        return row

    def delete_product(self, customer_id: str, product_id: str) -> None:
        row = self.product(customer_id, product_id)
        self.session.delete(row)
        self.session.flush()

    def events(self, customer_id: str) -> list[CustomerEventRow]:
        return list(
            self.session.scalars(
                select(CustomerEventRow)
                .where(
                    CustomerEventRow.tenant_id == self.tenant_id, CustomerEventRow.customer_id == customer_id
                )
                .order_by(CustomerEventRow.sequence)
            )
        )


def terms_columns(terms: TelecomTerms | ApplianceTerms) -> dict[str, Any]:
    """A product's terms as `ProductRow` columns (those of the other kind stay NULL)."""
    if isinstance(terms, TelecomTerms):
        return {
            "plan": terms.plan,
            "monthly_fee_cents": terms.monthly_fee_cents,
            "minutes_allowance": terms.minutes_allowance,
            "data_allowance_mb": terms.data_allowance_mb,
            "minutes_used": terms.minutes_used,
            "data_used_mb": terms.data_used_mb,
        }
    return {
        "model": terms.model,
        "serial": terms.serial,
        "purchase_date": terms.purchase_date,
        "warranty_end": terms.warranty_end,
        "product_tier": terms.product_tier,
    }


CONTACT_POINT_KEYS = frozenset({"phone", "email", "chat_id"})


def customer_for_contact(session: Session, tenant_id: str, attributes: dict[str, Any]) -> str | None:
    """The customer a new contact comes from, by the contact point in its attributes (`phone`, `email` or
    `chat_id`, in that order); None when it names none, or none that is known or valid."""
    country_code: int | None = None
    for key, kind in (
        ("phone", ContactPointKind.PHONE),
        ("email", ContactPointKind.EMAIL),
        ("chat_id", ContactPointKind.CHAT),
    ):
        raw = attributes.get(key)
        if not isinstance(raw, str) or not raw:
            continue
        if country_code is None:
            country_code = settings_of(session, tenant_id).default_country_code
        try:
            value = normalise(kind, raw, country_code)
        except InvalidContactPoint:
            continue
        found = CustomerStore(session, tenant_id).by_point(kind, value)
        if found is not None:
            return found.id
    return None
