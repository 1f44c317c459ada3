"""Shared fixtures: where the workspace's shared data lives."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BANK_LOG = SHARED_DATA / "anonymous-bank" / "calls-1999-02-01-to-21.tsv"


@pytest.fixture
def bank_log() -> Path:
    """The real Anonymous Bank call log; skips only in a clone outside the project workspace."""
    if not BANK_LOG.exists():
        pytest.skip(f"real call log not found at {BANK_LOG} (../shared is absent outside the workspace)")
    return BANK_LOG
