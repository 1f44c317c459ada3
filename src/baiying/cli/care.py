"""`baiying care import-usage FILE --mapping M.yaml`: monthly usage per subscription from billing's CSV,
for the plan optimizer, reporting each rejected row (line, field, reason); nothing is dropped silently."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from baiying.cli.database import UrlOption
from baiying.cli.errors import read_text, user_errors
from baiying.cli.imports import CLI_ACTOR, print_rejected, tenant_session


def register(app: typer.Typer) -> None:
    care = typer.Typer(
        name="care", help="Care: usage for the plan optimizer.", no_args_is_help=True, add_completion=False
    )
    care.command("import-usage")(import_usage)
    app.add_typer(care)


def import_usage(
    file: Annotated[Path, typer.Argument(help="The usage CSV (UTF-8), header first.")],
    *,
    mapping_file: Annotated[
        Path, typer.Option("--mapping", help="YAML column mapping (see examples/care/usage-mapping.yaml).")
    ],
    tenant: Annotated[str | None, typer.Option(help="Tenant id (default: the only one).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; store nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    url: UrlOption = None,
) -> None:
    """Import monthly usage; exit 0 even with rejected rows (they are listed), 2 for an unusable file."""
    from baiying.care.usage_import import load_usage_mapping, parse_usage
    from baiying.cli.serve import check_database
    from baiying.clock import SystemClock
    from baiying.storage.repositories import AuditLog
    from baiying.storage.repositories.usage_import import import_usage as store_rows

    console = Console(highlight=False, soft_wrap=True)
    chosen = check_database(url)
    with user_errors():
        mapping = load_usage_mapping(read_text(mapping_file), str(mapping_file))
        text = read_text(file)
        with tenant_session(chosen, tenant) as (session, tenant_id):
            parsed = parse_usage(text.splitlines(), mapping, str(file))
            report = store_rows(session, tenant_id, parsed, mapping.product_column)
            if dry_run:
                session.rollback()
            else:
                after = {"imported": report.added + report.replaced, "rejected": len(report.rejected)}
                AuditLog(session, tenant_id).record(
                    CLI_ACTOR, "import", "usage", "*", at=SystemClock().now(), after=after
                )
                session.commit()
    if as_json:
        typer.echo(json.dumps({**report.as_dict(), "dry_run": dry_run}, ensure_ascii=False))
        return
    verb = "would be" if dry_run else "were"
    console.print(
        f"{report.rows_read} rows read from {file}: {report.added + report.replaced} months {verb} imported "
        f"({report.added} new, {report.replaced} replaced), {len(report.rejected)} rows rejected",
        markup=False,
    )
    print_rejected(console, report.rejected)
