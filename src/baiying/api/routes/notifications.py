"""Messages to customers through the outbox, their templates, and webhook subscriptions.

`POST /api/notifications` queues an SMS or email (from a template or a ready text); the server's
dispatcher sends it with retries. A message over a customer's frequency cap is kept as `suppressed` with
the cap that stopped it. Webhook subscriptions (admins only) get every matching event, signed.
"""

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from baiying.accounts.policy import Action, Kind, Resource, require, resource
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import ClockDep, SessionDep, allowed
from baiying.api.schemas import KeyPath
from baiying.api.schemas.notifications import (
    NotificationCreate,
    NotificationPublic,
    TemplatePublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)
from baiying.notifications.model import Channel, DeliveryStatus, Message
from baiying.notifications.outbox import Outbox
from baiying.notifications.templates import bundled_templates
from baiying.storage.notification_tables import OutboxRow, WebhookSubscriptionRow
from baiying.storage.repositories import snapshot
from baiying.storage.repositories.notifications import WebhookRepository

notifications = APIRouter(prefix="/api/notifications", tags=["notifications"])
templates = APIRouter(prefix="/api/notification-templates", tags=["notifications"])
webhooks = APIRouter(prefix="/api/webhooks", tags=["webhooks"])
TEMPLATES = bundled_templates()
MAX_LIST = 500


def _notification(principal: Principal, id: str | None = None) -> Resource:
    return resource(Kind.NOTIFICATION, principal.tenant_id, id)


@templates.get("")
def list_templates(
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.NOTIFICATION)],
) -> list[TemplatePublic]:
    return [TemplatePublic.of(t) for _, t in sorted(TEMPLATES.templates.items())]


@notifications.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The cause was already queued: the first message, unchanged"}},
)
def send(
    body: NotificationCreate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.NOTIFICATION)],
) -> NotificationPublic:
    require(principal, Action.CREATE, _notification(principal))
    channel = Channel(body.channel)
    if body.template is not None:
        template = TEMPLATES.get(body.template)
        rendered = template.render(body.language, channel, body.variables)
        message = Message(channel, body.to, rendered.body, template.purpose, rendered.subject)
    else:
        message = Message(channel, body.to, body.body or "", body.purpose, body.subject)
    now = clock.now()
    cause = body.cause or f"api:{principal.user_id}:{secrets.token_hex(8)}"
    queued = Outbox(session, principal.tenant_id).enqueue(
        message, cause=cause, now=now, customer_id=body.customer_id, template=body.template
    )
    session.commit()
    if not queued.created:
        response.status_code = status.HTTP_200_OK
    return NotificationPublic.of(queued.row)


@notifications.get("")
def list_notifications(
    session: SessionDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.NOTIFICATION)],
    status_is: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    channel: Channel | None = None,
    customer_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> list[NotificationPublic]:
    """The outbox, newest first."""
    require(principal, Action.READ, _notification(principal))
    query = select(OutboxRow).where(OutboxRow.tenant_id == principal.tenant_id)
    if status_is is not None:
        query = query.where(OutboxRow.status == status_is.value)
    if channel is not None:
        query = query.where(OutboxRow.channel == channel.value)
    if customer_id is not None:
        query = query.where(OutboxRow.customer_id == customer_id)
    rows = session.scalars(query.order_by(OutboxRow.id.desc()).limit(limit))
    return [NotificationPublic.of(row) for row in rows]


ENTITY = "webhook"


def _webhook(principal: Principal, id: str | None = None) -> Resource:
    return resource(Kind.WEBHOOK, principal.tenant_id, id)


def _safe(row: WebhookSubscriptionRow) -> dict[str, object]:
    """The audit snapshot, without the secret."""
    return {k: v for k, v in snapshot(row).items() if k != "secret"}


@webhooks.get("")
def list_webhooks(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.WEBHOOK)]
) -> list[WebhookPublic]:
    require(principal, Action.READ, _webhook(principal))
    return [WebhookPublic.of(row) for row in WebhookRepository(session, principal.tenant_id).list()]


@webhooks.post("", status_code=status.HTTP_201_CREATED)
def create_webhook(
    body: WebhookCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.WEBHOOK)],
) -> WebhookCreated:
    require(principal, Action.CREATE, _webhook(principal, body.id))
    row = WebhookRepository(session, principal.tenant_id).add(
        WebhookSubscriptionRow(
            id=body.id,
            url=str(body.url),
            secret=secrets.token_urlsafe(32),
            event_types=body.event_types,
            active=body.active,
            created_at=clock.now(),
        )
    )
    audited.record(session, principal, clock, "create", ENTITY, row.id, after=_safe(row))
    session.commit()
    return WebhookCreated(**WebhookPublic.of(row).model_dump(), secret=row.secret)


@webhooks.get("/{id}")
def get_webhook(
    id: KeyPath, session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.WEBHOOK)]
) -> WebhookPublic:
    require(principal, Action.READ, _webhook(principal, id))
    return WebhookPublic.of(WebhookRepository(session, principal.tenant_id).get(id))


@webhooks.patch("/{id}")
def update_webhook(
    id: KeyPath,
    body: WebhookUpdate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.WEBHOOK)],
) -> WebhookPublic:
    require(principal, Action.UPDATE, _webhook(principal, id))
    hooks = WebhookRepository(session, principal.tenant_id)
    before = _safe(hooks.get(id))
    row = hooks.update(id, **body.changes())
    audited.record(session, principal, clock, "update", ENTITY, id, before=before, after=_safe(row))
    session.commit()
    return WebhookPublic.of(row)


@webhooks.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(
    id: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.DELETE, Kind.WEBHOOK)],
) -> Response:
    require(principal, Action.DELETE, _webhook(principal, id))
    hooks = WebhookRepository(session, principal.tenant_id)
    before = _safe(hooks.get(id))
    hooks.delete(id)
    audited.record(session, principal, clock, "delete", ENTITY, id, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
