"""Shared fixtures: where the workspace's shared data lives; the database fixtures of `tests/db_fixtures.py`
(SQLite and a throwaway PostgreSQL cluster) for every package that needs them."""

import os
from pathlib import Path

import pytest
from hypothesis import settings

pytest_plugins = ["tests.db_fixtures"]

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BANK_LOG = SHARED_DATA / "anonymous-bank" / "calls-1999-02-01-to-21.tsv"


@pytest.fixture
def bank_log() -> Path:
    """The real Anonymous Bank call log; skips only in a clone outside the project workspace."""
    if not BANK_LOG.exists():
        pytest.skip(f"real call log not found at {BANK_LOG} (../shared is absent outside the workspace)")
    return BANK_LOG


# CI explores the same examples every run (a new counterexample found by chance must not fail an
# unrelated change); local runs explore new ones and keep any failure in .hypothesis/ for replay.
if os.environ.get("CI"):
    settings.register_profile("ci", derandomize=True, database=None)
    settings.load_profile("ci")
