"""`baiying kb import` through Typer's runner, on SQLite and PostgreSQL."""

from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from baiying.cli import app
from baiying.knowledge.model import ArticleState, Channel
from baiying.knowledge.text import query_terms
from baiying.storage.engine import make_engine
from baiying.storage.repositories.knowledge import KnowledgeBase


def kb_import(*args: str) -> Result:
    return CliRunner().invoke(app, ["kb", "import", *args])


def test_the_demo_articles_import_and_are_searchable(db_url: str) -> None:
    result = kb_import("--demo", "--url", db_url)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "6 articles for tenant 'default': 6 created, 0 updated, 0 unchanged, 6 published; "
        "4 categories and 6 tags added."
    )
    again = kb_import("--demo", "--url", db_url)
    assert "0 created, 0 updated, 6 unchanged, 0 published" in again.output
    engine = make_engine(db_url)
    with Session(engine) as session:
        hits = KnowledgeBase(session, "default").search(query_terms("宽带 故障"), Channel.PUBLIC)
        assert hits[0].article_id == "broadband-down"
    engine.dispose()


def test_a_directory_of_markdown_and_csv_files_imports_and_updates(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "router-reset.md").write_text(
        "# Reset the router\n\nHold the reset button.\n", encoding="utf-8"
    )
    (tmp_path / "more.csv").write_text(
        "id,title,body,published\nrefund,Refunds,Up to 100 yuan.,false\n", encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    result = kb_import(str(tmp_path), "--url", db_url)
    assert result.exit_code == 0, result.output
    assert "2 articles for tenant 'default': 2 created, 0 updated, 0 unchanged, 1 published" in result.output

    (tmp_path / "router-reset.md").write_text(
        "# Reset the router\n\nHold it for ten seconds.\n", encoding="utf-8"
    )
    result = kb_import(str(tmp_path / "router-reset.md"), "--url", db_url)
    assert "1 articles for tenant 'default': 0 created, 1 updated, 0 unchanged, 1 published" in result.output
    engine = make_engine(db_url)
    with Session(engine) as session:
        kb = KnowledgeBase(session, "default")
        article = kb.get("router-reset")
        assert (article.latest_version, article.published_version) == (2, 2)
        assert kb.get("refund").state is ArticleState.DRAFT
    engine.dispose()


def test_bad_files_are_reported_by_line_and_nothing_is_written(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n", encoding="utf-8")
    (tmp_path / "bad.md").write_text("---\nvisibility: everyone\n---\n# Bad\n", encoding="utf-8")
    result = kb_import(str(tmp_path), "--url", db_url)
    assert result.exit_code == 2
    assert f"{tmp_path / 'bad.md'}:2: visibility:" in result.output
    engine = make_engine(db_url)
    with Session(engine) as session:
        assert KnowledgeBase(session, "default").articles() == []
    engine.dispose()


def test_usage_errors(db_url: str, tmp_path: Path) -> None:
    assert "give a file or directory to import, or --demo" in kb_import("--url", db_url).output
    missing = kb_import(str(tmp_path / "nope.md"), "--url", db_url)
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    assert "holds no .md, .markdown or .csv file" in kb_import(str(tmp_path), "--url", db_url).output
