"""`baiying tickets check` validates a configuration directory with file/line errors, and `sweep --config`
runs a tenant's own rules."""

import shutil
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from typer.testing import CliRunner

from baiying.cli import app as cli
from tests.api.conftest import T0
from tests.tickets.conftest import TestClient, Users, ok

runner = CliRunner()


def shipped_copy(tmp_path: Path) -> Path:
    root = resources.files("baiying.tickets")
    target = tmp_path / "tickets"
    (target / "workflows").mkdir(parents=True)
    for name in ("sla.yaml", "rules.yaml"):
        (target / name).write_text(root.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    for entry in root.joinpath("workflows").iterdir():
        if entry.name.endswith(".yaml"):
            (target / "workflows" / entry.name).write_text(
                entry.read_text(encoding="utf-8"), encoding="utf-8"
            )
    return target


def test_the_shipped_configuration_checks_out(tmp_path: Path) -> None:
    directory = shipped_copy(tmp_path)
    result = runner.invoke(cli, ["tickets", "check", str(directory)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{directory}: 4 workflows (40 transitions), 6 SLA policies, 4 automation rules: valid.\n"
    )


def test_errors_name_file_field_and_line(tmp_path: Path) -> None:
    directory = shipped_copy(tmp_path)
    repair = directory / "workflows" / "repair.yaml"
    text = repair.read_text(encoding="utf-8").replace("    to: dispatched\n", "    to: dispatch\n")
    repair.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    to: dispatch") + 1
    result = runner.invoke(cli, ["tickets", "check", str(directory)])
    assert result.exit_code == 2
    assert f"{repair}:{line}: transitions[1].to: unknown state 'dispatch'" in result.output

    shutil.rmtree(directory / "workflows")
    missing = runner.invoke(cli, ["tickets", "check", str(directory)])
    assert missing.exit_code == 2
    assert "workflows is not a directory" in missing.output


def test_sweep_with_a_tenants_own_rules(client: TestClient, users: Users, world: str, tmp_path: Path) -> None:
    directory = shipped_copy(tmp_path)
    (directory / "rules.yaml").write_text(
        """\
rules:
  - id: consultation-stale
    order: 1
    trigger: {after: 30m, since: state_entered}
    match: {type: consultation, state: [recorded]}
    actions:
      - notify: {to: role:supervisor, template: stale-ticket}
""",
        encoding="utf-8",
    )
    body = {"type": "consultation", "subject": "Where is my refund?"}
    tid = ok(client.post("/api/tickets", json=body, headers=users["lina"]), 201)["id"]
    at = datetime.fromtimestamp(T0 + 1800, tz=UTC).isoformat()
    shipped = runner.invoke(cli, ["tickets", "sweep", "--url", world, "--at", at, "--dry-run"])
    assert shipped.output.endswith("0 rule firing(s) (dry run: nothing changed).\n")
    # Due moments were indexed under the shipped rules: a full sweep looks at every open ticket.
    own = runner.invoke(
        cli, ["tickets", "sweep", "--url", world, "--at", at, "--config", str(directory), "--full"]
    )
    assert own.exit_code == 0, own.output
    assert own.output.splitlines()[0] == f"{tid}: rule consultation-stale fired (notification)"
    again = runner.invoke(
        cli, ["tickets", "sweep", "--url", world, "--at", at, "--config", str(directory), "--full"]
    )
    assert again.output.endswith(" 0 rule firing(s).\n")
