"""`baiying kb import DIR|FILE`: load knowledge-base articles from Markdown files (YAML front matter) or
CSV into the database, or the demo's articles with `--demo`.

Every file is read and checked before anything is written, and all problems are reported with file, field
and line; then one transaction creates missing categories and tags, creates new articles, adds a version
to articles whose content changed, and publishes those marked `published` (the default).
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from baiying.cli.database import UrlOption, chosen_url
from baiying.cli.errors import read_text, user_errors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from baiying.knowledge.documents import ArticleFile

MARKDOWN_SUFFIXES = (".md", ".markdown")
ACTOR = "cli"


def register(app: typer.Typer) -> None:
    kb = typer.Typer(name="kb", help="The knowledge base: import articles.", no_args_is_help=True)
    kb.command("import")(import_articles)
    app.add_typer(kb)


def read_articles(path: Path) -> list["ArticleFile"]:
    """The articles of a Markdown or CSV file, or of every such file under a directory (by name)."""
    from baiying.errors import DomainError
    from baiying.knowledge.documents import check_unique, parse_csv, parse_markdown

    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (*MARKDOWN_SUFFIXES, ".csv")
        )
        if not files:
            raise DomainError(f"{path} holds no .md, .markdown or .csv file")
    elif path.exists():
        files = [path]
    else:
        raise DomainError(f"{path} does not exist")
    articles: list[ArticleFile] = []
    for file in files:
        text = read_text(file)
        if file.suffix.lower() == ".csv":
            articles += parse_csv(text, str(file))
        elif file.suffix.lower() in MARKDOWN_SUFFIXES:
            articles.append(parse_markdown(text, str(file), file.stem))
        else:
            raise DomainError(f"{file}: not a Markdown (.md) or CSV (.csv) file")
    check_unique(articles)
    return articles


def store(session: "Session", tenant_id: str, articles: list["ArticleFile"], at: float) -> dict[str, int]:
    from baiying.storage.repositories.knowledge import store_articles

    return store_articles(session, tenant_id, articles, ACTOR, at)


def import_articles(
    path: Annotated[
        Path | None,
        typer.Argument(help="A Markdown or CSV file, or a directory of them.", show_default=False),
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Import the demo data set's articles.")] = False,
    tenant: Annotated[
        str | None, typer.Option(help="The tenant (default: the only one, else a new 'default').")
    ] = None,
    url: UrlOption = None,
) -> None:
    """Import knowledge-base articles: Markdown files with front matter, or CSV."""
    from sqlalchemy.orm import Session

    from baiying.cli.serve import _tenant
    from baiying.clock import SystemClock
    from baiying.errors import DomainError
    from baiying.knowledge.demo import demo_articles
    from baiying.storage.engine import make_engine
    from baiying.storage.migrate import ensure_up_to_date

    console = Console(highlight=False, soft_wrap=True)
    with user_errors():
        if (path is None) == (not demo):
            raise DomainError("give a file or directory to import, or --demo (not both)")
        articles = demo_articles() if demo else read_articles(path)  # type: ignore[arg-type]
        chosen = chosen_url(url)
        ensure_up_to_date(chosen)
        engine = make_engine(chosen)
        try:
            with Session(engine) as session:
                at = SystemClock().now()
                tenant_id = _tenant(session, tenant, at)
                counts = store(session, tenant_id, articles, at)
                session.commit()
        finally:
            engine.dispose()
    console.print(
        f"{len(articles)} articles for tenant {tenant_id!r}: {counts['created']} created, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged, {counts['published']} published; "
        f"{counts['categories']} categories and {counts['tags']} tags added.",
        markup=False,
    )
