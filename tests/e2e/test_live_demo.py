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

from baiying.api.app import create_app
from baiying.api.settings import Settings
from tests import REPO
from tests.api.conftest import TestClient
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
    database = tmp_path / "var" / "demo" / "baiying.db"
    assert database.exists()
    admin_password = re.search(r"admin login: +admin / (\S+)", output)
    assert admin_password, output
    check_service_data(f"sqlite:///{database}", admin_password.group(1))


def check_service_data(url: str, admin_password: str) -> None:
    """What the demo shows besides traffic, read back over the API of its database: customers with their
    products (telecom and appliance), worked tickets in their screen pops and knowledge articles (a Chinese
    search finds one)."""
    app = create_app(Settings(database_url=url, secret_key="demo-check", live_timer=False))
    with TestClient(app) as client:
        login = client.post("/api/auth/login", json={"login": "admin", "password": admin_password})
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['token']}"}
        customers = client.get("/api/customers", headers=admin).json()
        assert customers["total"] >= 300
        first = customers["items"][0]
        assert first["contact_points"][0]["value"].startswith("+86")
        products = client.get(f"/api/customers/{first['id']}/products", headers=admin).json()
        assert {p["kind"] for p in products} >= {"telecom"}
        appliances = client.get("/api/customers/cust-0004/products", headers=admin).json()
        assert {p["kind"] for p in appliances} == {"telecom", "appliance"}
        tickets = client.get("/api/tickets", headers=admin).json()
        assert {t["id"] for t in tickets} >= {f"demo-{n}" for n in range(1, 8)}
        for ticket in tickets:  # each belongs to a customer on record, so the screen pop shows it
            assert client.get(f"/api/customers/{ticket['customer_id']}", headers=admin).status_code == 200
        owner = next(t for t in tickets if t["id"] == "demo-4")["customer_id"]
        phone = client.get(f"/api/customers/{owner}", headers=admin).json()["contact_points"][0]["value"]
        pop = client.get("/api/screen-pop", params={"phone": phone}, headers=admin).json()
        assert "demo-4" in [t["id"] for t in pop["sections"]["open_tickets"]]
        found = client.get("/api/kb/search", params={"q": "宽带"}, headers=admin).json()
        assert found["results"][0]["article_id"] == "broadband-down"


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
