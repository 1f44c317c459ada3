"""Migrations take an empty database to the code's schema, and the server's start-up check says why it
refuses an un-migrated one."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from baiying.storage import journal, knowledge_tables, migrate
from baiying.storage.engine import (
    DATABASE_URL_ENV,
    DatabaseUnavailable,
    InvalidDatabaseUrl,
    database_url,
    display_url,
    make_engine,
)
from baiying.storage.tables import Base

HEAD = migrate.head_revision()


def newest_migration_file_revision() -> str:
    versions = Path(migrate.__file__).parent / "migrations" / "versions"
    return max(path.name.split("_")[0] for path in versions.glob("[0-9]*.py"))


def test_upgrade_takes_an_empty_database_to_head(empty_db_url: str) -> None:
    assert migrate.current_revision(empty_db_url) is None
    assert not migrate.is_up_to_date(empty_db_url)

    assert migrate.upgrade(empty_db_url) == (None, migrate.head_revision())

    assert migrate.current_revision(empty_db_url) == HEAD == newest_migration_file_revision()
    assert migrate.is_up_to_date(empty_db_url)
    engine = make_engine(empty_db_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_upgrade_again_changes_nothing(db_url: str) -> None:
    assert migrate.upgrade(db_url) == (HEAD, HEAD)


def test_ensure_up_to_date_refuses_an_unmigrated_database_with_the_fix(empty_db_url: str) -> None:
    with pytest.raises(migrate.DatabaseNotMigrated) as raised:
        migrate.ensure_up_to_date(empty_db_url)
    assert str(raised.value) == (
        f"database at {display_url(empty_db_url)} is at revision none (no tables yet), code expects {HEAD}: "
        "run `baiying db upgrade`"
    )
    assert raised.value.code == "database-not-migrated"

    migrate.upgrade(empty_db_url)
    migrate.ensure_up_to_date(empty_db_url)


def test_a_database_from_newer_code_is_named_as_such(empty_db_url: str) -> None:
    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(migrate.DatabaseNotMigrated, match="revision 9999, which this code does not know"):
        migrate.ensure_up_to_date(empty_db_url)


def test_the_migration_creates_exactly_the_models(db_url: str) -> None:
    assert journal.JournalRow.__tablename__ in Base.metadata.tables  # models outside tables.py count too
    engine = make_engine(db_url)
    with engine.connect() as connection:
        # The full-text index is each database's own (FTS5's virtual and shadow tables on SQLite, a
        # generated tsvector column and its GIN index on PostgreSQL), made by migration 0005 and kept by the
        # database, not a model: the comparison leaves those parts out by name.
        options = {
            "include_name": lambda name, kind, parents: not knowledge_tables.is_full_text_part(name, kind)
        }
        differences = compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata)
    engine.dispose()
    assert differences == []


def test_check_constraints_guard_skill_levels(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO tenants (id, name, placement, created_at) VALUES ('t', 'T', '{}', 0)")
        )
        connection.execute(
            text(
                "INSERT INTO sites (tenant_id, id, name, timezone, status, languages, hq) "
                "VALUES ('t', 's', 'S', 'UTC', 'open', '[]', false)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO agents (tenant_id, id, site_id, display_name, attributes, active) "
                "VALUES ('t', 'a', 's', 'A', '{}', true)"
            )
        )
        insert = text("INSERT INTO agent_skills VALUES ('t', 'a', :skill, :level)")
        connection.execute(insert, {"skill": "billing", "level": 10})
        connection.execute(insert, {"skill": "tech", "level": 1})
    for level in (0, 11):
        with pytest.raises(IntegrityError, match="ck_agent_skills_level_range"), engine.begin() as connection:
            connection.execute(insert, {"skill": f"level-{level}", "level": level})
    engine.dispose()


def test_foreign_keys_are_enforced(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sites (tenant_id, id, name, timezone, status, languages, hq) "
                "VALUES ('nobody', 's', 'S', 'UTC', 'open', '[]', false)"
            )
        )
    engine.dispose()


def test_an_unreachable_database_is_a_clear_error() -> None:
    url = "postgresql+psycopg://baiying:secret@127.0.0.1:1/baiying"
    with pytest.raises(DatabaseUnavailable) as raised:
        migrate.ensure_up_to_date(url)
    message = str(raised.value)
    assert message.startswith(
        "cannot connect to the database at postgresql+psycopg://baiying:***@127.0.0.1:1/"
    )
    assert "secret" not in message


def test_only_sqlite_and_postgresql_urls_are_accepted() -> None:
    with pytest.raises(InvalidDatabaseUrl, match="unsupported database 'mysql'"):
        make_engine("mysql://localhost/baiying")
    with pytest.raises(InvalidDatabaseUrl, match="is not a database URL"):
        make_engine("baiying.db")
    assert make_engine("postgresql://localhost/baiying").dialect.driver == "psycopg"


def test_database_url_defaults_to_a_sqlite_file_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_url({}) == f"sqlite:///{tmp_path.resolve() / 'var' / 'baiying.db'}"
    assert (tmp_path / "var").is_dir()
    assert database_url({DATABASE_URL_ENV: "postgresql+psycopg://db/x"}) == "postgresql+psycopg://db/x"


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'b.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
