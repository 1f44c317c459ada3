"""Articles from Markdown (front matter) and CSV text, with every problem named by field and line."""

import pytest

from baiying.errors import ConfigError
from baiying.knowledge.demo import DEMO_ARTICLES, demo_articles
from baiying.knowledge.documents import check_unique, parse_csv, parse_markdown
from baiying.knowledge.model import Visibility

MARKDOWN = """---
id: broadband-down
category: broadband
tags: [broadband, fault]
visibility: public
---
# 宽带无法上网怎么办

先看光猫指示灯。
"""


def test_markdown_with_front_matter_and_a_heading_title() -> None:
    article = parse_markdown(MARKDOWN, "kb/a.md", "a")
    assert article.id == "broadband-down"
    assert article.content.title == "宽带无法上网怎么办"
    assert article.content.body == "先看光猫指示灯。"
    assert article.content.category_id == "broadband"
    assert article.content.tags == ("broadband", "fault")
    assert article.content.visibility is Visibility.PUBLIC
    assert article.published


def test_markdown_without_front_matter_takes_its_id_from_the_file_name() -> None:
    article = parse_markdown("# Reset the router\n\nHold the button.", "kb/router-reset.md", "router-reset")
    assert (article.id, article.content.title, article.content.body) == (
        "router-reset",
        "Reset the router",
        "Hold the button.",
    )
    assert article.content.visibility is Visibility.AGENT


def test_front_matter_problems_name_the_field_and_the_file_line() -> None:
    text = "---\nid: ok\nvisibility: everyone\ncolour: red\n---\n# T\n"
    with pytest.raises(ConfigError) as raised:
        parse_markdown(text, "kb/x.md", "x")
    assert [(p.field, p.line) for p in raised.value.problems] == [("visibility", 3), ("colour", 4)]
    assert str(raised.value).startswith("kb/x.md:3: visibility:")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\nid: a\n", "kb/x.md:1: the front matter opened by --- is never closed"),
        ("no heading here", "kb/x.md: title: missing: give `title:` in the front matter or start"),
        ("---\n- a list\n---\n# T", "kb/x.md:2: the front matter is not a mapping of fields"),
        ("---\ntags: [a b]\n---\n# T", "kb/x.md: tags: 'a b' is not a tag id"),
    ],
)
def test_bad_markdown_is_refused_precisely(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_markdown(text, "kb/x.md", "x")
    assert str(raised.value).startswith(message)


def test_a_file_name_that_is_no_id_needs_an_id_field() -> None:
    with pytest.raises(ConfigError, match="'my notes' \\(from the file name\\) is not an id"):
        parse_markdown("# T", "kb/my notes.md", "my notes")


CSV = (
    "id,title,body,category,tags,visibility,published\n"
    'plan-change,手机套餐变更,"套餐变更次月生效。\n合约期内只能升档。",mobile,plan;contract,public,true\n'
    "refund,Refund policy,Up to 100 yuan.,,,agent,false\n"
)


def test_csv_rows_become_articles_and_bodies_may_span_lines() -> None:
    first, second = parse_csv(CSV, "kb.csv")
    assert first.id == "plan-change"
    assert first.content.body == "套餐变更次月生效。\n合约期内只能升档。"
    assert first.content.tags == ("plan", "contract")
    assert first.source == "kb.csv:2"
    assert (second.id, second.published, second.content.category_id) == ("refund", False, None)
    assert second.source == "kb.csv:4"


def test_csv_problems_are_listed_with_their_lines() -> None:
    text = (
        "id,title,body,visibility,published\n"
        "ok,Title,Body,public,yes\n"
        "bad id,Title,Body,public,yes\n"
        "two,,Body,public,yes\n"
        "three,T,B,everyone,yes\n"
        "four,T,B,agent,maybe\n"
        "five,T\n"
    )
    with pytest.raises(ConfigError) as raised:
        parse_csv(text, "kb.csv")
    assert [(p.line, p.field) for p in raised.value.problems] == [
        (3, "id"),
        (4, "title"),
        (5, "visibility"),
        (6, "published"),
        (7, ""),
    ]
    assert raised.value.problems[-1].reason == "2 fields where the header has 5"


def test_csv_header_problems() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_csv("id,name\n", "kb.csv")
    assert [(p.field, p.reason) for p in raised.value.problems] == [
        ("name", "unknown column (expected some of id, title, body, category, tags, visibility, published)"),
        ("title", "required column is missing"),
        ("body", "required column is missing"),
    ]
    with pytest.raises(ConfigError, match="the file is empty"):
        parse_csv("", "kb.csv")


def test_the_same_id_twice_is_refused() -> None:
    articles = parse_csv(CSV, "a.csv") + parse_csv(CSV, "b.csv")
    with pytest.raises(ConfigError, match=r"'plan-change' is also given by a\.csv:2"):
        check_unique(articles)


def test_the_demo_articles_parse_in_both_languages() -> None:
    articles = demo_articles()
    assert len(articles) == len(DEMO_ARTICLES)
    titles = [a.content.title for a in articles]
    assert "宽带无法上网怎么办" in titles
    assert "How to reset your router" in titles
    assert {a.content.visibility for a in articles} == {Visibility.AGENT, Visibility.PUBLIC}
