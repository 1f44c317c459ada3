"""Matching a row to a customer, finding duplicates, and the merge rule."""

from datetime import date

import pytest

from baiying.customers.contacts import contact_point
from baiying.customers.errors import InvalidMerge
from baiying.customers.matching import (
    DuplicatePair,
    MatchConflict,
    duplicate_of,
    find_duplicates,
    match,
    name_key,
    name_similarity,
)
from baiying.customers.merging import merge
from baiying.customers.model import Consents, Customer
from baiying.ids import CustomerId

PHONE = contact_point("phone", "13800138000")
EMAIL = contact_point("email", "li.na@example.com")
TAGGED = contact_point("email", "li.na+shop@example.com")


def customer(cid: str, name: str, *points: object, **fields: object) -> Customer:
    return Customer(CustomerId(cid), name, tuple(points), **fields)  # type: ignore[arg-type]


def test_names_compare_by_key() -> None:
    assert name_key(" Li  Na ") == name_key("LI NA") == "lina"
    assert name_key("ＬＩ　ＮＡ") == "lina"  # full-width letters and space
    assert name_similarity("李娜", "李 娜") == 1.0
    assert name_similarity("李娜", "李娜娜") == pytest.approx(0.8)
    assert name_similarity("Wang Fang", "Zhang Wei") < 0.5
    assert name_similarity("", "Li Na") == 0.0


def test_a_row_is_matched_by_id_then_by_its_points() -> None:
    owners = {PHONE.value: CustomerId("c1"), EMAIL.value: CustomerId("c1")}
    assert match([PHONE, EMAIL], owners).customer_id == "c1"
    assert match([PHONE], owners).by == (PHONE.value,)
    assert match([contact_point("phone", "13900139000")], owners).customer_id is None
    assert match([PHONE], owners, CustomerId("c1")).by == ("id",)


def test_points_of_two_customers_are_a_conflict_never_a_guess() -> None:
    owners = {PHONE.value: CustomerId("c1"), EMAIL.value: CustomerId("c2")}
    with pytest.raises(MatchConflict) as raised:
        match([PHONE, EMAIL], owners)
    assert str(raised.value) == (
        "contact points belong to different customers: "
        "+8613800138000 belongs to c1, li.na@example.com belongs to c2"
    )
    with pytest.raises(MatchConflict, match=r"^the row is customer c9, but \+8613800138000 belongs to c1$"):
        match([PHONE], owners, CustomerId("c9"))


def test_duplicates_share_a_contact_point_or_a_similar_name_with_a_second_fact() -> None:
    a = customer("a", "Li Na", EMAIL)
    b = customer("b", "Lina", TAGGED)
    assert duplicate_of(a, b) == DuplicatePair(
        CustomerId("a"), CustomerId("b"), ("same email li.na@example.com",), 1.0
    )
    born = date(1990, 5, 17)
    c = customer("c", "王芳", birthday=born)
    d = customer("d", "王 芳", birthday=born)
    e = customer("e", "王芳", birthday=date(1991, 1, 1))
    pair = duplicate_of(c, d)
    assert pair is not None
    assert pair.reasons == ("similar names (1.00)", "same birthday 1990-05-17")
    assert duplicate_of(c, e) is None  # the same name alone is not enough
    assert duplicate_of(c, customer("x", "张伟", birthday=born)) is None  # nor a birthday alone
    f = customer("f", "Zhang Wei", serials=("SN-1",))
    g = customer("g", "Zhang Wei.", serials=("SN-1", "SN-2"))
    found = duplicate_of(f, g)
    assert found is not None
    assert found.reasons == ("similar names (1.00)", "same serial SN-1")


def test_find_duplicates_compares_only_records_sharing_a_key_and_skips_merged_ones() -> None:
    born = date(1990, 5, 17)
    records = [
        customer("a", "Li Na", EMAIL),
        customer("b", "Someone Else", TAGGED),
        customer("c", "王芳", birthday=born),
        customer("d", "王芳", birthday=born),
        customer("e", "王芳", birthday=born, merged_into=CustomerId("c")),
        customer("f", "Li Na"),  # same name as a, nothing else shared
    ]
    pairs = find_duplicates(records)
    assert [(p.first, p.second) for p in pairs] == [("a", "b"), ("c", "d")]


def test_the_survivor_keeps_its_fields_fills_gaps_and_never_widens_consent() -> None:
    survivor = customer(
        "a",
        "Li Na",
        PHONE,
        tier="gold",
        consents=Consents(marketing=True, sms=True, email=False, calls=True),
        attributes={"source": "crm", "vip": "yes"},
    )
    merged = customer(
        "b",
        "Lina",
        EMAIL,
        PHONE,
        tier="silver",
        region="Guangdong",
        birthday=date(1990, 5, 17),
        consents=Consents(marketing=False, sms=True, email=True, calls=True),
        attributes={"source": "shop", "wechat": "lina88"},
        serials=("SN-1",),
    )
    result = merge(survivor, merged)
    assert result.filled == ("region", "birthday")
    new = result.survivor
    assert (new.id, new.display_name, new.tier, new.region) == ("a", "Li Na", "gold", "Guangdong")
    assert new.contact_points == (PHONE, EMAIL)
    assert new.consents == Consents(marketing=False, sms=True, email=False, calls=True)
    assert new.attributes == {"source": "crm", "vip": "yes", "wechat": "lina88"}
    assert new.serials == ("SN-1",)
    assert result.merged.merged_into == "a"
    assert result.merged.contact_points == ()


def test_merges_that_cannot_be_done_are_refused() -> None:
    a = customer("a", "Li Na")
    with pytest.raises(InvalidMerge, match=r"^customer 'a' cannot be merged with itself$"):
        merge(a, a)
    gone = customer("b", "Lina", merged_into=CustomerId("c"))
    with pytest.raises(InvalidMerge, match=r"^customer 'b' was already merged into 'c'$"):
        merge(a, gone)
