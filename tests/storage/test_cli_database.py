"""`baiying db upgrade` and `baiying db status` on each backend."""

from typer.testing import CliRunner

from baiying.cli import app
from baiying.storage import migrate
from baiying.storage.engine import display_url

HEAD = migrate.head_revision()

runner = CliRunner()


def test_status_then_upgrade_then_status(empty_db_url: str) -> None:
    where = display_url(empty_db_url)

    before = runner.invoke(app, ["db", "status", "--url", empty_db_url])
    assert before.exit_code == 1, before.output
    assert f"database: {where}\nrevision: none (no tables yet)\ncode expects: {HEAD}\n" in before.output
    assert "run `baiying db upgrade`" in before.output

    upgraded = runner.invoke(app, ["db", "upgrade", "--url", empty_db_url])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output == f"{where}: upgraded from an empty database to {HEAD}.\n"
    assert migrate.is_up_to_date(empty_db_url)

    again = runner.invoke(app, ["db", "upgrade", "--url", empty_db_url])
    assert again.output == f"{where} is up to date at revision {HEAD}.\n"

    after = runner.invoke(app, ["db", "status", "--url", empty_db_url])
    assert after.exit_code == 0, after.output
    assert after.output.endswith(f"revision: {HEAD}\ncode expects: {HEAD}\nup to date.\n")


def test_the_url_defaults_to_the_environment(empty_db_url: str) -> None:
    result = runner.invoke(app, ["db", "upgrade"], env={"BAIYING_DATABASE_URL": empty_db_url})
    assert result.exit_code == 0, result.output
    assert migrate.current_revision(empty_db_url) == HEAD


def test_a_bad_url_is_a_user_error_without_a_traceback() -> None:
    result = runner.invoke(app, ["db", "upgrade", "--url", "mysql://localhost/baiying"])
    assert result.exit_code == 2
    assert "unsupported database 'mysql'" in result.output
    assert "Traceback" not in result.output

    refused = runner.invoke(app, ["db", "status", "--url", "postgresql://u:pw@127.0.0.1:1/baiying"])
    assert refused.exit_code == 2
    assert "cannot connect to the database at postgresql://u:***@127.0.0.1:1/baiying" in refused.output
