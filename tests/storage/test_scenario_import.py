"""The bundled national scenario goes into the database, and the router's configuration comes back out
equal to the one compiled from the file."""

import pytest
from sqlalchemy.orm import Session

from baiying.errors import ConfigError
from baiying.routing.config import load_routing_config as load_routing_file
from baiying.scenarios import bundled
from baiying.simulation.scenario import Scenario, load_scenario
from baiying.storage.repositories import (
    AgentRepository,
    Conflict,
    PolicyRepository,
    SiteRepository,
    Tenants,
    import_scenario,
    load_routing_config,
    routing_spec,
)
from baiying.storage.tables import SiteRow

T0 = 1_795_000_000.0


@pytest.fixture(scope="module")
def national() -> Scenario:
    path = bundled("national.yaml")
    return load_scenario(path.read_text(encoding="utf-8"), str(path))


def test_national_scenario_round_trips_to_the_same_routing_config(
    session: Session, national: Scenario
) -> None:
    summary = import_scenario(session, "national", national, at=T0)
    session.commit()
    session.expire_all()

    config = load_routing_config(session, "national")

    assert config == national.routing
    assert list(config.sites) == sorted(national.routing.sites)
    assert config.policies["billing"].steps == national.routing.policies["billing"].steps
    assert config.placement.time_rules[0].share == 0.67
    spec = national.spec
    assert (summary.sites, summary.queues, summary.policies) == (6, 4, 4)
    assert summary.agents == sum(group.count for group in spec.agents)
    assert summary.teams == len({group.team for group in spec.agents if group.team})


def test_imported_agents_are_the_simulators_agents(session: Session, national: Scenario) -> None:
    import_scenario(session, "national", national, at=T0)
    session.commit()

    profiles = AgentRepository(session, "national").profiles()

    group = next(g for g in national.spec.agents if g.group == "bj-vip-early")
    first = profiles["bj-vip-early-001"]
    assert (first.site_id, first.team_id, dict(first.skills)) == ("beijing", "vip-desk", group.skills)
    assert first.capacity == group.capacity
    assert f"bj-vip-early-{group.count:03d}" in profiles
    assert f"bj-vip-early-{group.count + 1:03d}" not in profiles


def test_stored_policies_are_readable_yaml(session: Session, national: Scenario) -> None:
    import_scenario(session, "national", national, at=T0)
    source = PolicyRepository(session, "national").get("complaints").source
    assert source.startswith("id: complaints\nselection: most-skilled\nsteps:\n")
    assert load_routing_file(f"policies:\n- {source.replace(chr(10), chr(10) + '  ')}", "x").policies


def test_importing_twice_conflicts_and_keeps_the_first(session: Session, national: Scenario) -> None:
    import_scenario(session, "national", national, at=T0)
    session.commit()
    with pytest.raises(Conflict, match=r"scenario .*national\.yaml imported into tenant 'national'"):
        import_scenario(session, "national", national, at=T0 + 1)
    session.commit()
    assert len(SiteRepository(session, "national").list()) == 6


def test_a_stored_configuration_that_does_not_validate_names_the_field(session: Session) -> None:
    Tenants(session).add("acme", "Acme", at=T0)
    SiteRepository(session, "acme").add(SiteRow(id="beijing", name="Beijing", timezone="Mars/Olympus"))
    with pytest.raises(ConfigError) as raised:
        routing_spec(session, "acme")
    assert str(raised.value) == (
        "routing configuration of tenant 'acme': sites[0].timezone: "
        "unknown time zone 'Mars/Olympus' (use an IANA name like Asia/Shanghai)"
    )
    Tenants(session).get("acme").placement = {
        "time_rules": [{"start": "22:00", "end": "07:00", "to_site": "harbin", "share": 0.5}]
    }
    SiteRepository(session, "acme").update("beijing", timezone="Asia/Shanghai")
    with pytest.raises(ConfigError, match=r"placement\.time_rules\[0\]\.to_site: unknown site 'harbin'"):
        load_routing_config(session, "acme")
