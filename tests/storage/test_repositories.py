"""Repositories: CRUD per table, precise errors, and a caller's transaction that survives a conflict."""

from datetime import date

import pytest
from sqlalchemy.orm import Session

from baiying.errors import ConfigError, UnknownEntity
from baiying.routing.model import AgentProfile, Channel, SiteStatus
from baiying.storage.repositories import (
    AgentRepository,
    AuditLog,
    Conflict,
    InvalidRecord,
    PolicyRepository,
    QueueRepository,
    SiteRepository,
    TeamRepository,
    Tenants,
    UserRepository,
    WrapUpCodeRepository,
    snapshot,
    user_by_login,
)
from baiying.storage.tables import AgentRow, QueueRow, Role, SiteRow, TeamRow, UserRow, WrapUpCodeRow

T0 = 1_795_000_000.0
BILLING_POLICY = """\
id: billing
description: Cantonese billing agents first, then anyone
steps:
  - target: {skills: {billing: 3, lang.yue: 5}}
    timeout_seconds: 30
  - target: {skills: {billing: 1}, sites: any}
"""


@pytest.fixture
def acme(session: Session) -> str:
    Tenants(session).add("acme", "Acme", at=T0)
    sites = SiteRepository(session, "acme")
    sites.add(
        SiteRow(id="guangzhou", name="Guangzhou", languages=["yue"], opens_minute=420, closes_minute=1320)
    )
    sites.add(SiteRow(id="beijing", name="Beijing HQ", hq=True))
    session.commit()
    return "acme"


def li_na(**changes: object) -> AgentRow:
    return AgentRow(id="li-na", site_id="guangzhou", display_name="Li Na", **changes)


def test_sites_add_get_list_update_delete(session: Session, acme: str) -> None:
    sites = SiteRepository(session, acme)
    sites.add(SiteRow(id="xiamen", name="Xiamen", timezone="Asia/Shanghai", languages=["nan"]))
    session.commit()
    session.expire_all()

    xiamen = sites.get("xiamen")
    assert (xiamen.name, xiamen.status, xiamen.languages, xiamen.hq) == ("Xiamen", "open", ["nan"], False)
    assert [s.id for s in sites.list()] == ["beijing", "guangzhou", "xiamen"]
    assert [s.id for s in sites.list(hq=True)] == ["beijing"]

    sites.update("xiamen", name="Xiamen (Fujian)", opens_minute=420, closes_minute=1320)
    assert sites.set_status("xiamen", SiteStatus.DRAINING, at=T0 + 5) is SiteStatus.OPEN
    sites.set_holidays("xiamen", {date(2026, 10, 1): "National Day", date(2026, 2, 17): "Spring Festival"})
    session.commit()
    session.expire_all()
    xiamen = sites.get("xiamen")
    assert (xiamen.name, xiamen.status, xiamen.status_changed_at) == ("Xiamen (Fujian)", "draining", T0 + 5)
    assert [(h.day, h.name) for h in xiamen.holidays] == [
        (date(2026, 2, 17), "Spring Festival"),
        (date(2026, 10, 1), "National Day"),
    ]

    sites.delete("xiamen")
    session.commit()
    assert sites.find("xiamen") is None
    with pytest.raises(UnknownEntity, match="no site 'xiamen'"):
        sites.get("xiamen")


def test_every_repository_is_scoped_to_its_tenant(session: Session, acme: str) -> None:
    Tenants(session).add("globex", "Globex", at=T0)
    SiteRepository(session, "globex").add(SiteRow(id="guangzhou", name="Globex Guangzhou"))
    session.commit()
    assert SiteRepository(session, acme).get("guangzhou").name == "Guangzhou"
    assert [s.id for s in SiteRepository(session, "globex").list()] == ["guangzhou"]


def test_a_conflict_leaves_the_callers_transaction_usable(session: Session, acme: str) -> None:
    sites = SiteRepository(session, acme)
    sites.add(SiteRow(id="chengdu", name="Chengdu"))  # pending in the same transaction
    with pytest.raises(Conflict, match="site 'beijing' already exists"):
        sites.add(SiteRow(id="beijing", name="again"))
    with pytest.raises(Conflict, match="agent 'li-na' refers to a record that does not exist"):
        AgentRepository(session, acme).add(AgentRow(id="li-na", site_id="atlantis", display_name="Li Na"))
    agents = AgentRepository(session, acme)
    agents.add(li_na())
    with pytest.raises(Conflict, match="site 'guangzhou' is still in use"):
        sites.delete("guangzhou")
    session.commit()

    assert [s.id for s in sites.list()] == ["beijing", "chengdu", "guangzhou"]
    assert [a.id for a in agents.list()] == ["li-na"]


def test_agents_with_skills_capacity_and_profiles(session: Session, acme: str) -> None:
    TeamRepository(session, acme).add(TeamRow(id="vip-desk", name="VIP desk", site_id="beijing"))
    agents = AgentRepository(session, acme)
    agents.add(li_na(team_id="vip-desk", attributes={"senior": True}))
    agents.set_skills("li-na", {"billing": 6, "lang.yue": 9, "lang.cmn": 7})
    agents.set_capacity("li-na", {Channel.VOICE: 1, Channel.CHAT: 3})
    agents.add(AgentRow(id="wang-wei", site_id="beijing", display_name="Wang Wei", active=False))
    session.commit()
    session.expire_all()

    li = agents.get("li-na")
    assert [(s.skill, s.level) for s in li.skills] == [("billing", 6), ("lang.cmn", 7), ("lang.yue", 9)]
    assert agents.profiles() == {
        "li-na": AgentProfile(
            "li-na",
            "guangzhou",
            {"billing": 6, "lang.cmn": 7, "lang.yue": 9},
            team_id="vip-desk",
            capacity={Channel.CHAT: 3, Channel.VOICE: 1},
            attributes={"senior": True},
        )
    }
    assert agents.profiles(active_only=False)["wang-wei"].capacity == {Channel.VOICE: 1}

    agents.set_skills("li-na", {"billing": 7})
    agents.update("li-na", site_id="beijing", team_id=None)
    session.commit()
    session.expire_all()
    assert agents.profiles()["li-na"].skills == {"billing": 7}
    assert agents.get("li-na").site_id == "beijing"

    agents.delete("li-na")
    session.commit()
    assert agents.find("li-na") is None


def test_skill_levels_outside_one_to_ten_are_refused(session: Session, acme: str) -> None:
    agents = AgentRepository(session, acme)
    agents.add(li_na())
    with pytest.raises(InvalidRecord, match=r"agent 'li-na': skill billing level 11 is outside 1\.\.10"):
        agents.set_skills("li-na", {"billing": 11})


def test_update_refuses_keys_and_unknown_fields(session: Session, acme: str) -> None:
    sites = SiteRepository(session, acme)
    with pytest.raises(InvalidRecord, match="site 'beijing': id cannot be changed"):
        sites.update("beijing", id="peking")
    with pytest.raises(InvalidRecord, match="site has no field 'colour'"):
        sites.update("beijing", colour="red")


def test_policies_are_validated_yaml_with_versions(session: Session, acme: str) -> None:
    policies = PolicyRepository(session, acme)
    row = policies.put("billing", BILLING_POLICY, at=T0)
    assert (row.version, row.updated_at) == (1, T0)
    assert policies.put("billing", BILLING_POLICY, at=T0 + 1).version == 1  # same source: no new version
    changed = BILLING_POLICY.replace("timeout_seconds: 30", "timeout_seconds: 45")
    row = policies.put("billing", changed, at=T0 + 2)
    session.commit()
    assert (row.version, row.updated_at, row.source) == (2, T0 + 2, changed)
    assert policies.spec("billing").steps[0].timeout_seconds == 45

    with pytest.raises(ConfigError) as raised:
        policies.put("billing", changed.replace("lang.yue: 5", "lang.yue: 0"), at=T0 + 3)
    assert str(raised.value) == (
        "routing policy 'billing':4: steps[0].target.skills.lang.yue: "
        "Input should be greater than or equal to 1"
    )
    with pytest.raises(ConfigError, match="the source declares id 'billing', expected 'tech'"):
        policies.put("tech", BILLING_POLICY, at=T0)
    assert policies.get("billing").version == 2


def test_queues_refer_to_policies(session: Session, acme: str) -> None:
    PolicyRepository(session, acme).put("billing", BILLING_POLICY, at=T0)
    queues = QueueRepository(session, acme)
    queues.add(QueueRow(id="billing", name="Billing", policy_id="billing", wrap_up_seconds=20))
    session.commit()
    session.expire_all()
    billing = queues.get("billing")
    assert (billing.channel, billing.sl_seconds, billing.sl_target, billing.offer_timeout_seconds) == (
        "voice",
        20.0,
        0.8,
        20.0,
    )
    with pytest.raises(Conflict, match="queue 'billing' refers to a record that does not exist"):
        queues.update("billing", policy_id="nonexistent")
    with pytest.raises(Conflict, match="queue 'billing' breaks the rule ck_queues_service_level"):
        queues.update("billing", sl_target=1.5)
    with pytest.raises(Conflict, match="routing policy 'billing' is still in use"):
        PolicyRepository(session, acme).delete("billing")
    session.commit()
    assert queues.get("billing").policy_id == "billing"


def test_users_and_roles(session: Session, acme: str) -> None:
    AgentRepository(session, acme).add(li_na())
    users = UserRepository(session, acme)
    users.add(UserRow(id="u1", login="li.na@example.com", display_name="Li Na", created_at=T0))
    users.add(
        UserRow(id="u2", login="zhang@example.com", display_name="Zhang", password_hash="x", created_at=T0)
    )
    users.grant("u1", Role.AGENT, agent_id="li-na")
    users.grant("u2", Role.SUPERVISOR, site_id="guangzhou")
    users.grant("u2", Role.SUPERVISOR, site_id="beijing")
    users.grant("u2", Role.SUPERVISOR, site_id="beijing")  # granting twice changes nothing
    users.grant("u2", Role.ADMIN)
    session.commit()
    session.expire_all()

    zhang = users.get("u2")
    assert [(r.role, r.site_id, r.agent_id) for r in zhang.roles] == [
        ("supervisor", "guangzhou", None),
        ("supervisor", "beijing", None),
        ("admin", None, None),
    ]
    assert [(r.role, r.agent_id) for r in users.get("u1").roles] == [("agent", "li-na")]
    assert users.by_login("li.na@example.com") is users.get("u1")
    found = user_by_login(session, "zhang@example.com")
    assert found is not None
    assert found.tenant_id == acme
    assert user_by_login(session, "nobody@example.com") is None

    assert users.revoke("u2", Role.SUPERVISOR, site_id="beijing") == 1
    assert users.revoke("u2", Role.ADMIN) == 1
    session.commit()
    session.expire_all()
    assert [(r.role, r.site_id) for r in users.get("u2").roles] == [("supervisor", "guangzhou")]

    with pytest.raises(InvalidRecord, match="an agent role needs agent_id"):
        users.grant("u1", Role.AGENT)
    with pytest.raises(InvalidRecord, match="only a supervisor role is scoped to a site"):
        users.grant("u1", Role.ADMIN, site_id="beijing")
    with pytest.raises(
        Conflict, match="the supervisor role of user 'u1' refers to a record that does not exist"
    ):
        users.grant("u1", Role.SUPERVISOR, site_id="atlantis")
    with pytest.raises(Conflict, match=r"login 'li\.na@example\.com' is already taken"):
        users.add(UserRow(id="u3", login="li.na@example.com", display_name="Copy", created_at=T0))
    session.commit()

    users.delete("u2")
    session.commit()
    assert [u.id for u in users.list()] == ["u1"]


def test_wrap_up_codes(session: Session, acme: str) -> None:
    codes = WrapUpCodeRepository(session, acme)
    codes.add(WrapUpCodeRow(code="resolved", label="Resolved"))
    codes.add(WrapUpCodeRow(code="escalated", label="Escalated"))
    codes.update("escalated", active=False)
    session.commit()
    assert [(c.code, c.active) for c in codes.list()] == [("escalated", False), ("resolved", True)]
    assert [c.code for c in codes.list(active=True)] == ["resolved"]
    codes.delete("resolved")
    with pytest.raises(UnknownEntity, match="no wrap-up code 'resolved'"):
        codes.get("resolved")


def test_audit_log_records_who_what_when_before_after(session: Session, acme: str) -> None:
    sites = SiteRepository(session, acme)
    audit = AuditLog(session, acme)
    before = snapshot(sites.get("guangzhou"))
    sites.set_status("guangzhou", SiteStatus.EVACUATED, at=T0 + 60)
    audit.record(
        "u2",
        "site-status",
        "site",
        "guangzhou",
        at=T0 + 60,
        before=before,
        after=snapshot(sites.get("guangzhou")),
    )
    audit.record("u2", "create", "wrap-up code", "resolved", at=T0 + 61, after={"label": "Resolved"})
    session.commit()
    session.expire_all()

    newest, oldest = audit.entries()
    assert (newest.entity, newest.before, newest.after) == ("wrap-up code", None, {"label": "Resolved"})
    assert (oldest.actor, oldest.action, oldest.at) == ("u2", "site-status", T0 + 60)
    assert oldest.before is not None
    assert oldest.after is not None
    assert (oldest.before["status"], oldest.after["status"]) == ("open", "evacuated")
    assert [e.entity_id for e in audit.entries(entity="site", entity_id="guangzhou")] == ["guangzhou"]
    assert len(audit.entries(limit=1)) == 1
