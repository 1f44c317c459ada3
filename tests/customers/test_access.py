"""Who sees which customers, and the masks lists apply to PII."""

from baiying.customers.access import Grant, mask_name, mask_point, viewer


def test_admins_see_everything_and_pii() -> None:
    admin = viewer("wang", [Grant("admin")], agents_see_own_site_only=True, pii_roles=[])
    assert admin.sites is None
    assert admin.sees("beijing")
    assert admin.sees(None)
    assert admin.sees_pii_in_lists
    assert admin.writes


def test_supervisors_see_their_sites_and_customers_of_no_site() -> None:
    chen = viewer(
        "chen", [Grant("supervisor", "guangzhou")], agents_see_own_site_only=False, pii_roles=["admin"]
    )
    assert (chen.sees("guangzhou"), chen.sees("beijing"), chen.sees(None)) == (True, False, True)
    assert not chen.sees_pii_in_lists
    assert chen.writes
    zhou = viewer("zhou", [Grant("supervisor")], agents_see_own_site_only=False, pii_roles=["supervisor"])
    assert zhou.sites is None
    assert zhou.sees_pii_in_lists


def test_agents_see_the_tenant_unless_it_restricts_them_to_their_site() -> None:
    open_tenant = viewer("li-na", [Grant("agent", "guangzhou")], agents_see_own_site_only=False, pii_roles=[])
    assert open_tenant.sees("beijing")
    assert not open_tenant.writes
    strict = viewer(
        "li-na", [Grant("agent", "guangzhou")], agents_see_own_site_only=True, pii_roles=["agent"]
    )
    assert (strict.sees("guangzhou"), strict.sees("beijing"), strict.sees(None)) == (True, False, False)
    assert strict.sees_pii_in_lists
    # An agent who is also a supervisor elsewhere sees both sites.
    both = viewer(
        "x",
        [Grant("agent", "guangzhou"), Grant("supervisor", "beijing")],
        agents_see_own_site_only=True,
        pii_roles=[],
    )
    assert both.sites == frozenset({"guangzhou", "beijing"})


def test_masks() -> None:
    assert mask_name("李娜") == "李*"
    assert mask_name("Li Na") == "L****"
    assert mask_name("") == ""
    assert mask_point("phone", "+8613800138000") == "+86138****8000"
    assert mask_point("phone", "+85221234") == "+85****"
    assert mask_point("email", "li.na@example.com") == "l***@example.com"
    assert mask_point("chat", "wechat:lina88") == "wech***"
