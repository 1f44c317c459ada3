"""The throwaway PostgreSQL cluster cleans up after test runs that were killed before they could."""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from baiying.storage.throwaway import OWNER_FILE, PostgresCluster


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_cluster_left_by_a_dead_process_is_removed_when_the_next_is_made() -> None:
    prefix = f"baiying-pg-test-{uuid.uuid4().hex[:8]}-"
    tmp = Path(tempfile.gettempdir())
    orphan, living, unknown = (tmp / f"{prefix}{name}" for name in ("orphan", "living", "unknown"))
    for root in (orphan, living, unknown):
        (root / "data").mkdir(parents=True)
    (orphan / OWNER_FILE).write_text(str(_dead_pid()))
    (living / OWNER_FILE).write_text("1")  # init: alive for as long as the machine is
    cluster = PostgresCluster(prefix=prefix)
    try:
        assert not orphan.exists()
        assert living.exists()
        assert unknown.exists()
        assert (cluster.root / OWNER_FILE).read_text() == str(os.getpid())
    finally:
        cluster.remove()
        for root in (living, unknown):
            shutil.rmtree(root)
