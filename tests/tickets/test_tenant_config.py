"""A tenant's stored ticket configuration (SQLite and PostgreSQL): the shipped one until the tenant stores
a file, then that file in its place, parsed once per version in force; other tenants unaffected."""

import pytest
from sqlalchemy.orm import Session

from baiying.application.ticket_config import UnknownConfigFile, file, save, tenant_config
from baiying.errors import ConfigError
from baiying.storage.engine import make_engine
from baiying.tickets.bundled import default_config, default_files
from tests.api.conftest import T0

SLA = default_files()["sla.yaml"]
SLOW_LEADS = SLA.replace(
    "    first_response: 8h\n    resolution: 80h", "    first_response: 24h\n    resolution: 80h"
)


def test_a_stored_file_takes_the_place_of_the_shipped_one(world: str) -> None:
    assert SLOW_LEADS != SLA
    engine = make_engine(world)
    with Session(engine) as session:
        assert tenant_config(session, "acme") is default_config()
        saved = save(session, "acme", "sla.yaml", SLOW_LEADS, "wang", T0)
        assert (saved.version, saved.source) == (1, "tenant")
        config = tenant_config(session, "acme")
        assert config.sla.by_name["lead"].first_response == 24 * 3600
        assert tenant_config(session, "acme") is config  # parsed once per version in force
        assert tenant_config(session, "globex") is default_config()
        assert file(session, "globex", "sla.yaml").version == 0
        with pytest.raises(ConfigError) as refused:
            save(session, "acme", "sla.yaml", "calendars: {}\npolicies: []\n", "wang", T0)
        assert refused.value.source == "sla.yaml"
        assert all(p.line is not None for p in refused.value.problems)
        with pytest.raises(UnknownConfigFile):
            save(session, "acme", "workflows/refund.yaml", "type: refund", "wang", T0)
        session.commit()
    engine.dispose()
