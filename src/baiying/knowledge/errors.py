"""What can go wrong with knowledge-base articles and searches; each error's `code` is stable."""

from baiying.errors import DomainError


class InvalidArticle(DomainError):
    """An article's content breaks a rule (empty title, too long a body, a repeated tag)."""

    code = "invalid-article"


class UnknownArticleVersion(DomainError):
    code = "unknown-article-version"


class EmptySearchQuery(DomainError):
    """The query holds no searchable term once stop words and punctuation are dropped."""

    code = "empty-search-query"
