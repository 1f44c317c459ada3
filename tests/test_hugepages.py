"""Python's arenas on huge pages (`baiying.hugepages`, opt-in): taken from the regions, reused when freed."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from baiying import hugepages

THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")

PROBE = """
import gc
from baiying import hugepages
assert hugepages.enable()
first = [object() for _ in range(2_000_000)]  # ~32 MB of small objects
made, regions = hugepages.stats()
rollup = open("/proc/self/smaps_rollup").read().splitlines()
huge_kb = next(int(line.split()[1]) for line in rollup if line.startswith("AnonHugePages:"))
del first
gc.collect()
again = [object() for _ in range(2_000_000)]
print(made, regions, huge_kb, *hugepages.stats())
"""


@pytest.mark.skipif(
    importlib.util.find_spec("baiying._hugepages") is None,
    reason="baiying._hugepages is not built (installed with BAIYING_PURE_PYTHON=1, or not on Linux)",
)
def test_new_arenas_come_from_huge_page_regions_and_freed_ones_are_reused() -> None:
    env = {**os.environ, hugepages.SWITCH: "1"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    made, regions, huge_kb, made_after, regions_after = map(int, done.stdout.split())
    assert made >= 20  # 1 MiB arenas
    assert regions >= 1
    assert made_after <= made + 2  # the second list lives in the first one's arenas
    assert regions_after == regions
    if THP.exists() and "[never]" not in THP.read_text():
        assert huge_kb >= 2048  # the kernel backed some of them with 2 MiB pages


def test_huge_pages_are_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(hugepages.SWITCH, raising=False)
    assert hugepages.enable() is False
    monkeypatch.setenv(hugepages.SWITCH, "0")
    assert hugepages.enable() is False
