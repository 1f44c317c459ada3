"""Storage adapter: the SQLAlchemy schema, Alembic migrations, the event log and repositories.

SQLite (a file under `var/`) by default, PostgreSQL through `BAIYING_DATABASE_URL`. Every point in time is
stored as a float of seconds since the epoch, UTC (a `baiying.clock.Timestamp`), in a double-precision
column, the same representation the core uses, so nothing is converted on the way in or out. The core never
imports this package; application code reaches it through the repositories.
"""
