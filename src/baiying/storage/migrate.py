"""Apply and check schema migrations, with Alembic configured in code (no alembic.ini).

The server calls `ensure_up_to_date(url)` before it starts; `baiying db upgrade` calls `upgrade(url)`.
"""

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from baiying.errors import DomainError
from baiying.storage.engine import connection_errors, display_url, make_engine

SCRIPT_LOCATION = "baiying.storage:migrations"


class DatabaseNotMigrated(DomainError):
    code = "database-not-migrated"


def alembic_config() -> Config:
    """Alembic's configuration pointing at the migrations inside the installed package."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """The revision the code expects: the newest migration."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {SCRIPT_LOCATION}")
    return head


def current_revision(url: str | URL) -> str | None:
    """The database's revision; None for a database no migration has touched (e.g. empty).

    Raises DatabaseUnavailable when the database cannot be reached.
    """
    engine = make_engine(url)
    try:
        with connection_errors(url), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str | URL, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database to `revision` in one transaction; returns (revision before, revision after).

    Raises DatabaseUnavailable when the database cannot be reached; a failing migration leaves the
    database as it was (both SQLite and PostgreSQL run DDL inside the transaction).
    """
    config = alembic_config()
    engine = make_engine(url)
    try:
        with connection_errors(url), engine.begin() as connection:
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            after = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return before, after


def is_up_to_date(url: str | URL) -> bool:
    return current_revision(url) == head_revision()


def ensure_up_to_date(url: str | URL) -> None:
    """Return quietly when the database is at the code's revision, else raise DatabaseNotMigrated saying
    which revision it is at and what to run (DatabaseUnavailable when it cannot be reached)."""
    current = current_revision(url)
    head = head_revision()
    if current is not None and current != head and not _known(current):
        raise DatabaseNotMigrated(
            f"database at {display_url(url)} is at revision {current}, which this code does not know "
            f"(it expects {head}): it was migrated by a newer Baiying",
            {"url": display_url(url), "current": current, "expected": head},
        )
    if current != head:
        found = current if current is not None else "none (no tables yet)"
        raise DatabaseNotMigrated(
            f"database at {display_url(url)} is at revision {found}, code expects {head}: "
            "run `baiying db upgrade`",
            {"url": display_url(url), "current": current, "expected": head},
        )


def _known(revision: str) -> bool:
    return revision in {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }
