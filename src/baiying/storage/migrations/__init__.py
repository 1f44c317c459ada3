"""The Alembic environment of the storage adapter; apply it through `baiying.storage.migrate` or
`baiying db upgrade`.

A new revision (numbered after the last, checked by `tests/storage/test_migrations.py`) starts from:

    PYTHONPATH=src python -c "from alembic import command; from baiying.storage.migrate import \
alembic_config; command.revision(alembic_config(), 'what changes', autogenerate=True, rev_id='0002')"

then write its operations out explicitly and review them: autogenerate compares against the database
at `BAIYING_DATABASE_URL` (or var/baiying.db), which must be at the previous head.
"""
