"""Storage adapter tests: the same contract on SQLite and PostgreSQL."""
