"""Starting the server: it refuses an un-migrated database (in the app and in `baiying serve`),
`baiying users create` makes the first admin, and a real `baiying serve` process answers over HTTP."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning
from typer.testing import CliRunner

from baiying.api.app import create_app
from baiying.api.settings import Settings
from baiying.cli import app as cli
from baiying.cli.serve import RoleChoice
from baiying.storage import migrate
from baiying.storage.engine import display_url
from baiying.storage.migrate import DatabaseNotMigrated
from baiying.storage.tables import Role
from tests.api.conftest import FAST_PASSWORDS, SECRET

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()
START_TIMEOUT_SECONDS = 30.0


def test_the_app_refuses_to_start_on_an_unmigrated_database(empty_db_url: str) -> None:
    app = create_app(Settings(database_url=empty_db_url, secret_key=SECRET), passwords=FAST_PASSWORDS)
    expected = (
        f"database at {display_url(empty_db_url)} is at revision none (no tables yet), "
        f"code expects {migrate.head_revision()}: run `baiying db upgrade`"
    )
    with pytest.raises(DatabaseNotMigrated) as refused, TestClient(app):
        pass
    assert refused.value.message == expected


def test_baiying_serve_refuses_an_unmigrated_database(empty_db_url: str) -> None:
    result = runner.invoke(cli, ["serve", "--url", empty_db_url, "--port", "1"])
    assert result.exit_code == 2, result.output
    assert "is at revision none (no tables yet)" in result.output
    assert "run `baiying db upgrade`" in result.output
    assert "Traceback" not in result.output


def test_users_create_makes_a_user_who_can_log_in(db_url: str) -> None:
    created = runner.invoke(cli, ["users", "create", "--login", "admin", "--role", "admin", "--url", db_url])
    assert created.exit_code == 0, created.output
    lines = created.output.splitlines()
    assert lines[0] == "created user 'admin' (admin) in tenant 'default'; log in as 'admin'"
    match = re.fullmatch(r"password: (\S{16})", lines[1])
    assert match is not None, created.output
    assert lines[2] == "(shown once: store it now; an admin can set a new one)"

    chosen = ["users", "create", "--login", "chen", "--role", "supervisor", "--password", "chen's password"]
    second = runner.invoke(cli, [*chosen, "--url", db_url])
    assert second.exit_code == 0, second.output
    assert "password" not in second.output

    app = create_app(Settings(database_url=db_url, secret_key=SECRET), passwords=FAST_PASSWORDS)
    with TestClient(app) as client:
        login = client.post("/api/auth/login", json={"login": "admin", "password": match.group(1)})
        assert login.status_code == 200, login.text
        assert login.json()["user"]["roles"] == [{"role": "admin", "site_id": None, "agent_id": None}]
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        [entry, _] = client.get("/api/audit", params={"entity": "user"}, headers=headers).json()
        assert (entry["actor"], entry["action"], entry["entity_id"]) == ("cli", "create", "chen")
        assert (
            client.post("/api/auth/login", json={"login": "chen", "password": "chen's password"}).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--login", "x", "--role", "agent"], "an agent user needs --agent: the agent record they work as"),
        (["--login", "x", "--role", "agent", "--agent", "ghost"], "refers to a record that does not exist"),
        (
            ["--login", "x", "--role", "admin", "--password", "short"],
            "a password needs at least 8 characters",
        ),
        (["--login", "x", "--role", "admin", "--tenant", "nowhere"], "no tenant 'nowhere'"),
    ],
)
def test_users_create_explains_mistakes(db_url: str, arguments: list[str], message: str) -> None:
    result = runner.invoke(cli, ["users", "create", *arguments, "--url", db_url])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_cli_role_choices_are_the_schemas_roles() -> None:
    assert [choice.value for choice in RoleChoice] == [role.value for role in Role]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_real_server_process_answers_over_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'baiying.db'}"
    migrate.upgrade(url)
    made = runner.invoke(cli, ["users", "create", "--login", "wang", "--role", "admin", "--url", url])
    password = made.output.split("password: ")[1].split()[0]
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "BAIYING_SECRET_KEY": SECRET}
    command = [
        sys.executable,
        "-m",
        "baiying",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--url",
        url,
    ]
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            assert server.poll() is None, server.communicate()[0].decode(errors="replace")
            try:
                health = httpx.get(f"{base}/healthz", timeout=1.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (
                    f"no answer on port {port} within {START_TIMEOUT_SECONDS} s"
                )
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        with httpx.Client(base_url=base, timeout=10.0) as client:
            login = client.post("/api/auth/login", json={"login": "wang", "password": password})
            assert login.status_code == 200, login.text
            assert client.get("/api/me").json()["login"] == "wang"  # the cookie, kept by the client
            token = login.json()["token"]
            client.cookies.clear()
            me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert me.json()["roles"] == [{"role": "admin", "site_id": None, "agent_id": None}]
            assert (
                client.post(
                    "/api/auth/login", content=b"{oops", headers={"Content-Type": "application/json"}
                ).status_code
                == 400
            )
    finally:
        server.terminate()
        try:
            output = server.communicate(timeout=10)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            server.kill()
            output = server.communicate()[0].decode(errors="replace")
    assert "Uvicorn running on" in output or "Application startup complete" in output, output
    assert not (tmp_path / "var" / "secret-key").exists()  # the key came from the environment
