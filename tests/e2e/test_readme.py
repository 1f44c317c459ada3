"""The README is a contract: its quick start and its tour run as written."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests import REPO
from tests.conftest import SHARED_DATA
from tests.e2e.lines import LineReader, port_in_use

README = (REPO / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
DEMO_PORT = 8000
DEMO_START_SECONDS = 600.0  # make sets itself up first when the sources changed
DEMO_TRAFFIC_SECONDS = 60.0
DEMO_STOP_SECONDS = 90.0


def code_block_after(heading: str) -> list[str]:
    section = README.split(heading, 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, f"no shell block after {heading}"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_shows_the_two_commands() -> None:
    commands = [line.split("#")[0].strip() for line in code_block_after("## Quick start")]
    assert commands == ["make demo", "make test"]


def test_make_demo_runs_the_live_center_until_ctrl_c() -> None:
    """As a newcomer would: `make demo`, read the printed logins, watch contacts flow through the API,
    then Ctrl-C (SIGINT to the terminal's whole process group: make and the demo)."""
    if port_in_use(DEMO_PORT):
        pytest.fail(f"port {DEMO_PORT} is taken: `make demo` serves there, stop what listens on it first")
    process = subprocess.Popen(
        ["make", "demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = LineReader(process)
    try:
        running = output.wait_for(lambda line: line.startswith("Running traffic"), DEMO_START_SECONDS)
        assert running, output.text()
        admin = re.search(r"admin login: +admin / (\S+)", output.text())
        assert admin, output.text()
        assert f"http://127.0.0.1:{DEMO_PORT}/docs" in output.text()
        with httpx.Client(base_url=f"http://127.0.0.1:{DEMO_PORT}", timeout=10.0) as client:
            login = client.post("/api/auth/login", json={"login": "admin", "password": admin.group(1)})
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            deadline = time.monotonic() + DEMO_TRAFFIC_SECONDS
            offered = 0
            while offered == 0 and time.monotonic() < deadline:
                time.sleep(1.0)
                offered = client.get("/api/stats", headers=headers).json()["total"]["today"]["offered"]
            assert offered > 0, "no contact reached the live center"
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=DEMO_STOP_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        output.finish()  # closes the pipe, on failure too
    assert "Traceback" not in output.text(), output.text()[-3000:]
    assert "the bots logged out" in output.text(), output.text()[-3000:]
    assert "Server stopped." in output.text(), output.text()[-3000:]
    assert not port_in_use(DEMO_PORT), "the demo's server still listens after Ctrl-C"


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
