"""Notifications and webhook subscriptions as the API reads and writes them."""

import re
from typing import Any, ClassVar, Literal, Self

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from baiying.api.schemas import Id
from baiying.api.schemas.admin import _Input, _Patch
from baiying.notifications.model import Channel, Purpose
from baiying.notifications.templates import Template
from baiying.storage.notification_tables import OutboxRow, WebhookSubscriptionRow

PEOPLE = Literal["email", "sms"]


class NotificationCreate(_Input):
    """Either a template with its variables, or a ready `body` (and `subject` for email)."""

    channel: PEOPLE
    to: str = Field(min_length=1, max_length=320, description="A phone number (E.164 or national) or email.")
    template: str | None = None
    language: Literal["zh", "en"] = "zh"
    variables: dict[str, str | int | float] = Field(default_factory=dict)
    body: str | None = Field(None, min_length=1, max_length=2000)
    subject: str | None = Field(None, max_length=400)
    purpose: Purpose = Purpose.TRANSACTIONAL
    customer_id: Id | None = None
    cause: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Idempotency key: a second request with the same cause returns the first message.",
    )

    @model_validator(mode="after")
    def _template_or_body(self) -> Self:
        if (self.template is None) == (self.body is None):
            raise ValueError("give either a template (with its variables) or a body, not both")
        if self.template is None and self.channel == "email" and not self.subject:
            raise ValueError("an email without a template needs a subject")
        return self


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    cause: str
    channel: Channel
    purpose: Purpose
    recipient: str
    subject: str | None
    body: str
    template: str | None
    customer_id: str | None
    subscription_id: str | None
    event_type: str | None
    status: str
    attempts: int
    next_attempt_at: float | None
    last_error: str | None
    created_at: float
    sent_at: float | None

    @classmethod
    def of(cls, row: OutboxRow) -> "NotificationPublic":
        return cls.model_validate(row)


class TemplatePublic(BaseModel):
    key: str
    purpose: Purpose
    channels: list[Channel]
    variables: list[str]
    texts: dict[str, dict[str, str | None]]

    @classmethod
    def of(cls, template: Template) -> "TemplatePublic":
        texts = {lang: {"subject": subject, "body": body} for lang, (subject, body) in template.texts.items()}
        return cls(
            key=template.key,
            purpose=template.purpose,
            channels=list(template.channels),
            variables=list(template.variables),
            texts=texts,
        )


_PATTERN = r"^[a-z*][a-z0-9*-]{0,63}$"


class WebhookCreate(_Input):
    id: Id
    url: AnyHttpUrl
    event_types: list[str] = Field(
        min_length=1,
        description='Event kinds to follow ("contact-queued", "ticket-transitioned"), or patterns with * '
        '("contact-*", "ticket-*", "*"); a ticket event is "ticket-" and its history kind.',
        json_schema_extra={"items": {"pattern": _PATTERN}},
    )
    active: bool = True

    @model_validator(mode="after")
    def _patterns(self) -> Self:
        _check_patterns(self.event_types)
        return self


class WebhookUpdate(_Patch):
    not_null: ClassVar[frozenset[str]] = frozenset({"url", "event_types", "active"})

    url: AnyHttpUrl | None = None
    event_types: list[str] | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _patterns(self) -> Self:
        if self.event_types is not None:
            _check_patterns(self.event_types)
        return self

    def changes(self) -> dict[str, Any]:
        changed = super().changes()
        if "url" in changed:
            changed["url"] = str(self.url)
        return changed


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    event_types: list[str]
    active: bool
    created_at: float

    @classmethod
    def of(cls, row: WebhookSubscriptionRow) -> "WebhookPublic":
        return cls.model_validate(row)


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="The signing secret: shown once, keep it to verify Baiying-Signature.")


def _check_patterns(patterns: list[str]) -> None:
    bad = [p for p in patterns if not re.match(_PATTERN, p)]
    if bad:
        raise ValueError(
            f"event types are kinds or patterns like 'contact-*': not {', '.join(map(repr, bad))}"
        )
