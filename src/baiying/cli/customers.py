"""`baiying customers import FILE`: load customers from a CSV with a column mapping, reporting each
rejected row (line, field, reason); nothing is dropped silently."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from baiying.cli.database import UrlOption
from baiying.cli.errors import read_text, user_errors
from baiying.cli.imports import CLI_ACTOR, print_rejected, tenant_session


class OnExistingChoice(StrEnum):
    update = "update"
    reject = "reject"


def register(app: typer.Typer) -> None:
    customers = typer.Typer(
        name="customers", help="Customers: import from CSV.", no_args_is_help=True, add_completion=False
    )
    customers.command("import")(import_customers)
    app.add_typer(customers)


def import_customers(
    file: Annotated[Path, typer.Argument(help="The customer CSV (UTF-8), header first.")],
    *,
    mapping_file: Annotated[
        Path | None, typer.Option("--mapping", help="YAML column mapping (see examples/customers).")
    ] = None,
    columns: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            help="FIELD=COLUMN instead of --mapping, e.g. --column name=Name --column phone=Mobile "
            "(phone, email and chat may repeat; attribute.NAME keeps a column as an attribute).",
        ),
    ] = None,
    delimiter: Annotated[str | None, typer.Option(help="With --column: the delimiter (or 'tab').")] = None,
    country_code: Annotated[
        int | None, typer.Option(help="With --column: calling code of national numbers (default: tenant's).")
    ] = None,
    on_existing: Annotated[
        OnExistingChoice | None,
        typer.Option(help="With --column: a row matching a customer updates it or is rejected."),
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Tenant id (default: the only one).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; store nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    url: UrlOption = None,
) -> None:
    """Import customers; exit 0 even with rejected rows (they are listed), 2 for an unusable file."""
    from baiying.cli.serve import check_database
    from baiying.clock import SystemClock
    from baiying.customers.importing import parse_customers
    from baiying.customers.mapping import CustomerMapping, load_mapping
    from baiying.customers.options import mapping_from_options
    from baiying.errors import DomainError
    from baiying.storage.repositories.customer_import import import_customers as store_rows
    from baiying.storage.repositories.customers import settings_of

    console = Console(highlight=False, soft_wrap=True)
    chosen = check_database(url)
    with user_errors():
        mapping: CustomerMapping
        if mapping_file is not None:
            if columns or delimiter or country_code or on_existing:
                raise DomainError("give --mapping or --column options, not both")
            mapping = load_mapping(read_text(mapping_file), str(mapping_file))
        elif columns:
            mapping = mapping_from_options(
                columns,
                delimiter=delimiter,
                country_code=country_code,
                on_existing=on_existing.value if on_existing else None,
            )
        else:
            raise DomainError("give --mapping FILE.yaml, or --column FIELD=COLUMN options naming the columns")
        text = read_text(file)
        with tenant_session(chosen, tenant) as (session, tenant_id):
            settings = settings_of(session, tenant_id)
            parsed = parse_customers(text.splitlines(), mapping, str(file), settings.default_country_code)
            report = store_rows(
                session,
                tenant_id,
                parsed,
                on_existing=mapping.on_existing,
                at=SystemClock().now(),
                actor=CLI_ACTOR,
            )
            if dry_run:
                session.rollback()
            else:
                session.commit()
    if as_json:
        typer.echo(json.dumps({**report.as_dict(), "dry_run": dry_run}, ensure_ascii=False))
        return
    verb = "would be" if dry_run else "were"
    console.print(
        f"{report.rows_read} rows read from {file}: {report.created} customers {verb} created, "
        f"{report.updated} updated, {len(report.rejected)} rows rejected",
        markup=False,
    )
    print_rejected(console, report.rejected)
