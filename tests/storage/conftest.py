"""Storage tests run on SQLite and on a throwaway PostgreSQL cluster: the fixtures (`db_url`,
`empty_db_url`, `session`, `pg_cluster`, ...) live in `tests/db_fixtures.py`, registered for the whole
suite in `tests/conftest.py`, so the storage, application and API tests share one cluster."""
