"""Alembic's entry point. `baiying.storage.migrate` passes an open connection in
`config.attributes["connection"]` (its transaction is committed by the caller); the plain `alembic`
command with `-x url=...` or `sqlalchemy.url` also works, and falls back to `database_url()`."""

from alembic import context
from sqlalchemy.engine import Connection

import baiying.storage.knowledge_tables
import baiying.storage.ticket_tables  # noqa: F401 - registers the ticket tables on Base.metadata
from baiying.storage import journal  # noqa: F401 - registers the journal table on Base.metadata
from baiying.storage.engine import database_url, make_engine
from baiying.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return context.get_x_argument(as_dictionary=True).get("url") or (
        config.get_main_option("sqlalchemy.url") or database_url()
    )


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
