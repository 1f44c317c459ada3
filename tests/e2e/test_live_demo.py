"""`baiying demo` as a user runs it: a fresh database, the server, traffic and bot agents, the URL
and logins printed, and a clean stop at the end of --minutes or at Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests import REPO
from tests.e2e.lines import LineReader, port_in_use

RUN_TIMEOUT_SECONDS = 150.0
LIVE_TIMEOUT_SECONDS = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def command(*args: str) -> list[str]:
    # 10:00 in the scenario: the morning peak, so traffic flows whatever the time of the test run.
    return [sys.executable, "-m", "baiying", "demo", "--speed", "60", "--start", "10:00", *args]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


def check_logins(output: str, port: int) -> None:
    assert f"http://127.0.0.1:{port}/docs" in output
    assert re.search(r"admin login: +admin / \S{12,}", output), output
    assert re.search(r"agent login: +\S+-001 / \S{12,}", output), output


def test_live_demo_runs_for_its_minutes_and_answers_contacts(tmp_path: Path) -> None:
    port = free_port()
    result = subprocess.run(
        command("--minutes", "0.5", "--port", str(port)),
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    output = result.stdout
    assert result.returncode == 0, output[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    check_logins(output, port)
    created = re.search(r"contacts created: (\d+)", output)
    answered = re.search(r"answered: (\d+)", output)
    assert created, output
    assert answered, output
    assert int(created.group(1)) > 0
    assert 0 < int(answered.group(1)) <= int(created.group(1))
    assert "the bots logged out" in output
    assert "Server stopped." in output
    assert (tmp_path / "var" / "demo" / "baiying.db").exists()


def test_ctrl_c_stops_the_live_demo_cleanly(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        command("--port", str(port)),
        cwd=tmp_path,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = LineReader(process)
    try:
        running = output.wait_for(lambda line: line.startswith("Running traffic"), LIVE_TIMEOUT_SECONDS)
        assert running, output.text()
        time.sleep(3.0)  # some traffic
        process.send_signal(signal.SIGINT)
        process.wait(timeout=RUN_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        output.finish()  # closes the pipe, on failure too
    assert process.returncode in (0, 130), output.text()[-3000:]
    assert "Traceback" not in output.text(), output.text()[-3000:]
    check_logins(output.text(), port)
    assert "Stopping" in output.text()
    assert "Server stopped." in output.text()
    assert not port_in_use(port), "the server still listens"
