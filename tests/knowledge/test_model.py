"""The article lifecycle: versions on every edit, publishing a chosen version, archiving."""

import pytest

from baiying.errors import InvalidTransition
from baiying.knowledge.errors import InvalidArticle, UnknownArticleVersion
from baiying.knowledge.model import (
    VISIBLE_IN,
    ArticleState,
    Channel,
    Content,
    Visibility,
    archive,
    edit,
    new_article,
    publish,
)

T0 = 1_795_000_000.0
FIRST = Content("宽带无法上网", "重启光猫。", "broadband", ("宽带",), Visibility.PUBLIC)


def test_a_new_article_is_a_draft_with_version_one() -> None:
    article, version = new_article("kb-1", FIRST, "wang", T0)
    assert article.state is ArticleState.DRAFT
    assert (article.latest_version, article.published_version) == (1, None)
    assert version.number == 1
    assert version.content == FIRST
    assert (version.author, version.created_at) == ("wang", T0)
    assert article.has_unpublished_changes


def test_editing_a_published_article_keeps_the_published_version_live() -> None:
    article, _ = new_article("kb-1", FIRST, "wang", T0)
    article = publish(article, T0 + 1)
    assert (article.state, article.published_version) == (ArticleState.PUBLISHED, 1)
    assert not article.has_unpublished_changes

    article, second = edit(article, Content("宽带无法上网（新）", "先检查指示灯。"), "zhou", T0 + 2)
    assert second.number == 2
    assert (article.state, article.latest_version, article.published_version) == (
        ArticleState.PUBLISHED,
        2,
        1,
    )
    assert article.has_unpublished_changes
    assert article.updated_at == T0 + 2

    article = publish(article, T0 + 3)
    assert article.published_version == 2
    rolled_back = publish(article, T0 + 4, version=1)
    assert rolled_back.published_version == 1


def test_publishing_what_is_already_published_or_a_missing_version_is_refused() -> None:
    article = publish(new_article("kb-1", FIRST, "wang", T0)[0], T0)
    with pytest.raises(InvalidTransition, match="version 1 of article 'kb-1' is already published"):
        publish(article, T0)
    with pytest.raises(UnknownArticleVersion, match="article 'kb-1' has versions 1 to 1, not 3"):
        publish(article, T0, version=3)


def test_archived_articles_are_not_edited_until_published_again() -> None:
    article = archive(publish(new_article("kb-1", FIRST, "wang", T0)[0], T0), T0 + 1)
    assert article.state is ArticleState.ARCHIVED
    with pytest.raises(InvalidTransition, match="archived: publish it again before editing"):
        edit(article, FIRST, "wang", T0 + 2)
    with pytest.raises(InvalidTransition, match="already archived"):
        archive(article, T0 + 2)
    assert publish(article, T0 + 3).state is ArticleState.PUBLISHED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"title": "  "}, "an article needs a title"),
        ({"title": "x" * 201}, "a title is one line of at most 200 characters"),
        ({"title": "two\nlines"}, "a title is one line"),
        ({"title": "t", "body": "\x00"}, "without control characters"),
        ({"title": "t", "tags": ("a", "b", "a")}, "tag 'a' is given twice"),
        ({"title": "t", "tags": tuple(str(i) for i in range(21))}, "at most 20 tags"),
    ],
)
def test_invalid_content_is_refused_naming_the_field(content: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArticle, match=message) as raised:
        Content(**{"body": "", **content})  # type: ignore[arg-type]
    assert raised.value.details["field"] in {"title", "body", "tags"}


def test_titles_are_trimmed_and_newlines_allowed_in_bodies() -> None:
    content = Content("  Reset the router ", "line one\nline two\ttabbed")
    assert content.title == "Reset the router"


def test_the_agent_channel_sees_agent_only_and_public_articles_the_public_channel_public_only() -> None:
    assert VISIBLE_IN[Channel.AGENT] == {Visibility.AGENT, Visibility.PUBLIC}
    assert VISIBLE_IN[Channel.PUBLIC] == {Visibility.PUBLIC}
