"""A live server's database made ready for traffic: migrated, a scenario's network imported into a tenant,
and the users who will log in. Shared by the end-to-end tests and the server benchmark."""

from collections.abc import Iterable

from sqlalchemy.orm import Session

from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.accounts.users import create_user
from baiying.clock import SystemClock
from baiying.simulation.scenario import Scenario
from baiying.storage import migrate
from baiying.storage.engine import make_engine
from baiying.storage.repositories import import_scenario

SeedUser = tuple[str, str, Grant]  # login (also the user id), password, role


def seed_center(
    url: str,
    tenant: str,
    scenario: Scenario,
    users: Iterable[SeedUser],
    *,
    passwords: Passwords,
    actor: str = "seed",
    at: float | None = None,
) -> None:
    """Migrate the database, import the scenario's network (sites, queues, policies, agents) into
    `tenant`, and add each user, in one transaction. `passwords` hashes them: pass the server's own
    parameters, or its first login rehashes (a write). `at` (default: a day ago) dates the records."""
    migrate.upgrade(url)
    when = SystemClock().now() - 86_400 if at is None else at
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            import_scenario(session, tenant, scenario, at=when)
            for login, secret, grant in users:
                create_user(
                    session,
                    tenant,
                    user_id=login,
                    login=login,
                    display_name=login,
                    password=secret,
                    grants=[grant],
                    actor=actor,
                    at=when,
                    passwords=passwords,
                )
            session.commit()
    finally:
        engine.dispose()
