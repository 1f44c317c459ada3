"""The README is a contract: its quick start and its tour run as written."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests import REPO
from tests.conftest import SHARED_DATA

README = (REPO / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def code_block_after(heading: str) -> list[str]:
    section = README.split(heading, 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, f"no shell block after {heading}"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_shows_the_two_commands() -> None:
    commands = [line.split("#")[0].strip() for line in code_block_after("## Quick start")]
    assert commands == ["make demo", "make test"]


def test_make_demo_runs_the_national_scenario() -> None:
    result = subprocess.run(
        ["make", "demo"], cwd=REPO, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "National network (HQ Beijing + 5 sub-centers)" in result.stdout
    assert "no contact lost" in result.stdout
    assert "guangzhou open → evacuated" in result.stdout
    report = REPO / "var" / "demo" / "national.html"
    assert report.exists()
    assert "<html" in report.read_text(encoding="utf-8")[:500].lower()


@pytest.mark.parametrize("line", [c for c in code_block_after("## A short tour") if c.startswith("baiying ")])
def test_tour_command_runs_as_written(line: str, tmp_path: Path) -> None:
    if "../shared" in line and not SHARED_DATA.exists():
        pytest.skip(f"needs {SHARED_DATA} (../shared is absent outside the project workspace)")
    args = shlex.split(line)
    args = [
        str((REPO / a).resolve()) if a.startswith(("examples/", "scenarios/", "../shared")) else a
        for a in args
    ]
    result = subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr
