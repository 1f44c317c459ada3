"""Articles from files: Markdown with YAML front matter, or CSV. Pure: callers read the files and pass
their text; every problem names the source, the field and the line, and all of them are reported at once.

Markdown::

    ---
    id: broadband-down          # default: the file name without .md
    title: 宽带无法上网怎么办     # default: the text's first "# heading" (then removed from the body)
    category: broadband         # a category id (made if missing)
    tags: [broadband, 光猫]      # tag ids (made if missing)
    visibility: public          # agent (default) or public
    published: true             # default true: publish after importing
    ---
    Body text...

CSV: a header row naming `id`, `title`, `body` and any of `category`, `tags` (separated by `;`),
`visibility`, `published` (true/false); one article per row (quoted fields may span lines).
"""

import csv
import io
import re
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from baiying.errors import ConfigError, ConfigProblem
from baiying.knowledge.errors import InvalidArticle
from baiying.knowledge.model import Content, Visibility
from baiying.yamlconfig import parse_with_lines, validate

ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
CSV_COLUMNS: Final = ("id", "title", "body", "category", "tags", "visibility", "published")
CSV_REQUIRED: Final = ("id", "title", "body")
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}


@dataclass(frozen=True, slots=True)
class ArticleFile:
    """One article read from a file: what to store, and whether to publish it."""

    id: str
    content: Content
    published: bool
    source: str  # "path" or "path:line", for messages


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=ID_PATTERN.pattern)
    title: str | None = None
    category: str | None = Field(default=None, pattern=ID_PATTERN.pattern)
    tags: list[str] = []
    visibility: Visibility = Visibility.AGENT
    published: bool = True


def _content(
    title: str, body: str, category: str | None, tags: list[str], visibility: Visibility
) -> tuple[Content | None, list[ConfigProblem]]:
    bad_tags = [tag for tag in tags if not ID_PATTERN.match(tag)]
    if bad_tags:
        reason = f"{bad_tags[0]!r} is not a tag id (letters, digits, '.', '_', ':', '-'; at most 64)"
        return None, [ConfigProblem("tags", reason)]
    try:
        return Content(title, body, category, tuple(tags), visibility), []
    except InvalidArticle as exc:
        return None, [ConfigProblem(str(exc.details.get("field", "")), exc.message)]


def parse_markdown(text: str, source: str, default_id: str) -> ArticleFile:
    """One article from a Markdown file's text; ConfigError naming each problem's field and line."""
    data: dict[str, Any] = {}
    lines: dict[Any, int] = {}
    body = text
    offset = 0
    if text.startswith("---"):
        head, marker, rest = text[3:].partition("\n---")
        if not marker:
            raise ConfigError(
                source, [ConfigProblem("", "the front matter opened by --- is never closed", 1)]
            )
        if head.strip():
            parsed, lines = parse_with_lines(head.partition("\n")[2], source)
            if not isinstance(parsed, dict):
                raise ConfigError(
                    source, [ConfigProblem("", "the front matter is not a mapping of fields", 2)]
                )
            data = parsed
        offset = 1  # the line of the opening ---
        body = rest.partition("\n")[2]
    try:
        front = validate(data, lines, FrontMatter, source)
    except ConfigError as exc:
        shifted = [
            ConfigProblem(p.field, p.reason, p.line + offset if p.line is not None else None)
            for p in exc.problems
        ]
        raise ConfigError(source, shifted) from None
    title = front.title
    if title is None:
        found = next((i for i, line in enumerate(body.splitlines()) if line.strip()), None)
        heading = _HEADING.match(body.splitlines()[found]) if found is not None else None
        if heading is None:
            reason = "missing: give `title:` in the front matter or start the text with a `# heading`"
            raise ConfigError(source, [ConfigProblem("title", reason)])
        title = heading.group(1)
        body = "\n".join(body.splitlines()[found + 1 :])  # type: ignore[operator]
    article_id = front.id or default_id
    if not ID_PATTERN.match(article_id):
        reason = f"{article_id!r} (from the file name) is not an id: give `id:` in the front matter"
        raise ConfigError(source, [ConfigProblem("id", reason)])
    content, problems = _content(title, body.strip("\n"), front.category, front.tags, front.visibility)
    if content is None:
        raise ConfigError(source, problems)
    return ArticleFile(article_id, content, front.published, source)


def _flag(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False if lowered else None
    raise ValueError(lowered)


def _csv_article(record: dict[str, str], where: str, line: int) -> ArticleFile | list[ConfigProblem]:
    article_id = record["id"].strip()
    if not ID_PATTERN.match(article_id):
        return [ConfigProblem("id", f"{article_id!r} is not an id", line)]
    try:
        visibility = Visibility(record.get("visibility", "").strip() or Visibility.AGENT.value)
    except ValueError:
        return [ConfigProblem("visibility", "must be agent or public", line)]
    try:
        published = _flag(record.get("published", ""))
    except ValueError:
        return [ConfigProblem("published", "must be true or false", line)]
    category = record.get("category", "").strip() or None
    if category is not None and not ID_PATTERN.match(category):
        return [ConfigProblem("category", f"{category!r} is not a category id", line)]
    tags = [tag.strip() for tag in record.get("tags", "").split(";") if tag.strip()]
    content, found = _content(record["title"], record["body"], category, tags, visibility)
    if content is None:
        return [ConfigProblem(p.field, p.reason, line) for p in found]
    return ArticleFile(article_id, content, published is not False, where)


def parse_csv(text: str, source: str) -> list[ArticleFile]:
    """Articles from CSV text; ConfigError listing every bad row's line and field."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ConfigError(source, [ConfigProblem("", "the file is empty", 1)]) from None
    except csv.Error as exc:
        raise ConfigError(source, [ConfigProblem("", f"not valid CSV: {exc}", 1)]) from None
    problems = [
        ConfigProblem(name, f"unknown column (expected some of {', '.join(CSV_COLUMNS)})", 1)
        for name in header
        if name not in CSV_COLUMNS
    ]
    problems += [
        ConfigProblem(name, "required column is missing", 1) for name in CSV_REQUIRED if name not in header
    ]
    if problems:
        raise ConfigError(source, problems)
    articles: list[ArticleFile] = []
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(ConfigProblem("", f"not valid CSV: {exc}", line))
            break
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(ConfigProblem("", f"{len(row)} fields where the header has {len(header)}", start))
            continue
        found = _csv_article(dict(zip(header, row, strict=True)), f"{source}:{start}", start)
        if isinstance(found, ArticleFile):
            articles.append(found)
        else:
            problems += found
    if problems:
        raise ConfigError(source, problems)
    return articles


def check_unique(articles: list[ArticleFile]) -> None:
    """ConfigError when two files or rows give the same article id."""
    seen: dict[str, str] = {}
    problems: list[tuple[str, ConfigProblem]] = []
    for article in articles:
        if article.id in seen:
            problems.append(
                (article.source, ConfigProblem("id", f"{article.id!r} is also given by {seen[article.id]}"))
            )
        else:
            seen[article.id] = article.source
    if problems:
        raise ConfigError(problems[0][0], [problem for _, problem in problems])
