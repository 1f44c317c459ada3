"""The customer tables through `CustomerStore`, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.customers.contacts import contact_point
from baiying.customers.errors import ContactPointTaken, UnknownCustomer, UnknownProduct
from baiying.customers.model import ApplianceTerms, ContactPointKind, TelecomTerms
from baiying.storage.customer_tables import CustomerEventRow, CustomerSettingsRow
from baiying.storage.repositories import Conflict, SiteRepository, Tenants
from baiying.storage.repositories.customers import CustomerStore, customer_for_contact, settings_of
from baiying.storage.tables import SiteRow

T0 = 1_795_000_000.0
PHONE = contact_point("phone", "13800138000", "mobile")
EMAIL = contact_point("email", "Li.Na@Example.com")


@pytest.fixture
def store(session: Session) -> CustomerStore:
    Tenants(session).add("acme", "Acme", at=T0)
    Tenants(session).add("globex", "Globex", at=T0)
    SiteRepository(session, "acme").add(SiteRow(id="guangzhou", name="Guangzhou"))
    session.commit()
    return CustomerStore(session, "acme")


def test_a_customer_is_found_by_any_of_its_contact_points(store: CustomerStore) -> None:
    store.create(
        "li-na",
        {"display_name": "Li Na", "site_id": "guangzhou", "birthday": date(1990, 5, 17), "consent_sms": True},
        [PHONE, EMAIL],
        at=T0,
        actor="wang",
    )
    store.session.commit()
    found = store.by_point(ContactPointKind.PHONE, "+8613800138000")
    assert found is not None
    assert found.id == "li-na"
    assert store.by_point(ContactPointKind.EMAIL, "li.na@example.com") is not None
    assert store.by_point(ContactPointKind.PHONE, "+8613900139000") is None
    customer = store.customer(store.get("li-na"))
    assert customer.contact_points == (PHONE, EMAIL)
    assert customer.consents.sms
    assert not customer.consents.marketing
    assert customer.birthday == date(1990, 5, 17)
    assert [e.kind for e in store.events("li-na")] == ["customer-created"]
    # Another tenant does not see it, and may hold the same number.
    other = CustomerStore(store.session, "globex")
    assert other.by_point(ContactPointKind.PHONE, PHONE.value) is None
    other.create("x", {"display_name": "X"}, [PHONE], at=T0, actor="smith")
    store.session.commit()


def test_a_contact_point_belongs_to_one_customer_per_tenant(store: CustomerStore) -> None:
    store.create("li-na", {"display_name": "Li Na"}, [PHONE], at=T0, actor="wang")
    with pytest.raises(ContactPointTaken, match=r"^\+8613800138000 already belongs to customer 'li-na'$"):
        store.create("other", {"display_name": "Other"}, [PHONE], at=T0, actor="wang")
    with pytest.raises(Conflict, match="customer 'li-na' repeats a value that must be unique"):
        store.create("li-na", {"display_name": "Again"}, [], at=T0, actor="wang")
    with pytest.raises(Conflict, match="refers to a record that does not exist"):
        store.create("far", {"display_name": "Far", "site_id": "nowhere"}, [], at=T0, actor="wang")
    assert store.add_points("li-na", [PHONE, EMAIL]) == [EMAIL]
    store.session.commit()
    assert [p.value for p in store.points(["li-na"])["li-na"]] == [PHONE.value, EMAIL.value]
    with pytest.raises(UnknownCustomer, match="no customer 'ghost'"):
        store.get("ghost")


def test_products_of_both_kinds(store: CustomerStore) -> None:
    store.create("li-na", {"display_name": "Li Na"}, [], at=T0, actor="wang")
    plan = TelecomTerms(
        "Unlimited 58", 5800, minutes_allowance=500, data_allowance_mb=30_720, minutes_used=120
    )
    fridge = ApplianceTerms(
        "BCD-470", serial="SN-1", purchase_date=date(2024, 3, 1), warranty_end=date(2027, 3, 1)
    )
    store.add_product("li-na", "mobile-1", "Unlimited 58", plan, at=T0)
    store.add_product("li-na", "fridge-1", "Fridge", fridge, at=T0)
    store.session.commit()
    rows = store.products("li-na")
    assert [(r.id, r.kind) for r in rows] == [("fridge-1", "appliance"), ("mobile-1", "telecom")]
    mobile = rows[1]
    assert (mobile.plan, mobile.monthly_fee_cents, mobile.minutes_used, mobile.model) == (
        "Unlimited 58",
        5800,
        120,
        None,
    )
    assert store.customer(store.get("li-na")).serials == ("SN-1",)
    with pytest.raises(UnknownProduct, match="customer 'li-na' has no product 'tv'"):
        store.product("li-na", "tv")
    with pytest.raises(Conflict, match="breaks the rule"):
        store.update_product("li-na", "mobile-1", {"monthly_fee_cents": -1}, at=T0)


def test_settings_default_to_china_and_a_contact_is_linked_by_its_point(store: CustomerStore) -> None:
    session = store.session
    defaults = settings_of(session, "acme")
    assert (defaults.default_country_code, defaults.timezone, defaults.fcr_window_hours) == (
        86,
        "Asia/Shanghai",
        72.0,
    )
    store.create("li-na", {"display_name": "Li Na"}, [PHONE], at=T0, actor="wang")
    assert customer_for_contact(session, "acme", {"phone": "138 0013 8000"}) == "li-na"
    assert customer_for_contact(session, "acme", {"phone": "not a number", "email": "x@y.z"}) is None
    assert customer_for_contact(session, "acme", {}) is None
    session.add(
        CustomerSettingsRow(
            tenant_id="acme",
            default_country_code=852,
            timezone="Asia/Hong_Kong",
            fcr_window_hours=24,
            agents_see_own_site_only=True,
            pii_roles=[],
            categories={},
            resolved_codes=[],
        )
    )
    store.create(
        "hk",
        {"display_name": "HK"},
        [contact_point("phone", "2123 4567", country_code=852)],
        at=T0,
        actor="w",
    )
    assert customer_for_contact(session, "acme", {"phone": "21234567"}) == "hk"
    session.commit()
    assert session.scalar(select(CustomerEventRow.kind).where(CustomerEventRow.customer_id == "hk")) == (
        "customer-created"
    )
