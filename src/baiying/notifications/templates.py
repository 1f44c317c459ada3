"""Message templates in Chinese and English, loaded from YAML and rendered with Jinja2.

A template declares the variables it uses; loading checks every text against that list (an undeclared or
misspelt variable is an error naming the field and line), and rendering refuses a missing variable rather
than sending "Dear ," to a customer. Rendering is sandboxed: templates are tenant configuration.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, model_validator

from baiying.errors import ConfigError, ConfigProblem, DomainError, UnknownEntity
from baiying.notifications.model import Channel, Purpose
from baiying.yamlconfig import line_of, parse_with_lines, validate

BUNDLED = Path(__file__).with_name("templates.yaml")
LANGUAGES = ("zh", "en")
KEY = r"^[a-z][a-z0-9-]{0,63}$"

_environment = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
)


class TemplateVariableMissing(DomainError):
    code = "template-variable-missing"


class UnknownTemplate(UnknownEntity):
    code = "unknown-template"


class TemplateNotForChannel(DomainError):
    code = "template-not-for-channel"


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str | None = None
    body: str = Field(min_length=1)


class _Template(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: Purpose
    channels: list[Channel] = Field(min_length=1)
    variables: list[str] = Field(default_factory=list)
    zh: _Text
    en: _Text

    @model_validator(mode="after")
    def _email_needs_subject(self) -> "_Template":
        if Channel.WEBHOOK in self.channels:
            raise ValueError("templates are for people: channels are email and sms")
        if Channel.EMAIL in self.channels and (self.zh.subject is None or self.en.subject is None):
            raise ValueError("an email template needs a subject in zh and en")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    templates: dict[str, _Template] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str | None
    body: str


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    purpose: Purpose
    channels: tuple[Channel, ...]
    variables: tuple[str, ...]
    texts: Mapping[str, tuple[str | None, str]]  # language → (subject, body)

    def render(self, language: str, channel: Channel, values: Mapping[str, Any]) -> Rendered:
        if channel not in self.channels:
            allowed = ", ".join(c.value for c in self.channels)
            raise TemplateNotForChannel(
                f"template {self.key!r} is for {allowed}, not {channel.value}",
                {"template": self.key, "channel": channel.value},
            )
        if language not in self.texts:
            raise UnknownTemplate(f"template {self.key!r} has no {language!r} text (it has zh and en)")
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise TemplateVariableMissing(
                f"template {self.key!r} needs {', '.join(missing)}",
                {"template": self.key, "missing": missing},
            )
        subject, body = self.texts[language]
        return Rendered(
            _environment.from_string(subject).render(values).strip()
            if channel is Channel.EMAIL and subject
            else None,
            _environment.from_string(body).render(values).strip(),
        )


@dataclass(frozen=True, slots=True)
class TemplateBook:
    templates: Mapping[str, Template]

    def get(self, key: str) -> Template:
        template = self.templates.get(key)
        if template is None:
            known = ", ".join(sorted(self.templates))
            raise UnknownTemplate(f"no notification template {key!r} (known: {known})", {"template": key})
        return template


def load_templates(text: str, source: str) -> TemplateBook:
    """Parse a templates file; ConfigError names the field and line of every problem."""
    data, lines = parse_with_lines(text, source)
    spec = validate(data, lines, _File, source)
    problems: list[ConfigProblem] = []
    book: dict[str, Template] = {}
    for key, template in spec.templates.items():
        if not re.match(KEY, key):
            problems.append(
                ConfigProblem(
                    f"templates.{key}",
                    "keys are lower-case letters, digits and '-'",
                    line_of(("templates", key), lines),
                )
            )
        texts: dict[str, tuple[str | None, str]] = {}
        for language in LANGUAGES:
            text_spec: _Text = getattr(template, language)
            for part in ("subject", "body"):
                source_text = getattr(text_spec, part)
                if source_text is None:
                    continue
                where = ("templates", key, language, part)
                problem = _check(source_text, set(template.variables))
                if problem is not None:
                    problems.append(ConfigProblem(".".join(map(str, where)), problem, line_of(where, lines)))
            texts[language] = (text_spec.subject, text_spec.body)
        book[key] = Template(
            key, template.purpose, tuple(template.channels), tuple(template.variables), texts
        )
    if problems:
        raise ConfigError(source, problems)
    return TemplateBook(book)


def bundled_templates() -> TemplateBook:
    return load_templates(BUNDLED.read_text(encoding="utf-8"), "baiying/notifications/templates.yaml")


def _check(text: str, declared: set[str]) -> str | None:
    try:
        used = meta.find_undeclared_variables(_environment.parse(text))
    except jinja2.TemplateSyntaxError as error:
        return f"template syntax error: {error.message}"
    undeclared = sorted(used - declared)
    if undeclared:
        return f"uses {', '.join(undeclared)}, not among the declared variables"
    return None
