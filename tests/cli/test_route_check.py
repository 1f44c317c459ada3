"""`baiying route-check` through the installed command, as a user runs it."""

import subprocess
import sys
from pathlib import Path

from tests import REPO

BAIYING = Path(sys.executable).parent / "baiying"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BAIYING), *args], capture_output=True, text=True, timeout=60, check=False)


def test_valid_file_is_explained_in_words() -> None:
    result = run("route-check", str(REPO / "examples" / "routing.yaml"))
    assert result.returncode == 0, result.stderr
    assert "routing.yaml is valid" in result.stdout
    assert "night consolidation: 22:00-07:00 Asia/Shanghai, 67% of contacts to beijing" in result.stdout
    assert (
        "after 120 s: offer a callback that keeps the caller's place, and go on to the next step"
        in result.stdout
    )


def test_invalid_file_names_field_and_line_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("policies:\n  - id: p\n    steps:\n      - target: {skills: {billing: 0}}\n")
    result = run("route-check", str(bad))
    assert result.returncode == 2
    assert (
        f"{bad}:4: policies[0].steps[0].target.skills.billing: Input should be greater than or equal to 1"
        in (result.stderr)
    )
    assert "Traceback" not in result.stderr


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run("route-check", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_is_everywhere() -> None:
    assert "route-check" in run("--help").stdout
    assert "Validate a routing policy file" in run("route-check", "--help").stdout
