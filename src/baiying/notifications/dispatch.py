"""Sending what is due in the outbox, with retries on the back-off schedule.

Each delivery is committed as soon as its attempt ends, so a crash re-sends at most the one message in
flight (at-least-once; receivers deduplicate by the reference, the outbox id, sent with every message).
On PostgreSQL due rows are claimed with `FOR UPDATE SKIP LOCKED`, so several dispatchers can share work.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from baiying.clock import Clock
from baiying.notifications.model import Channel, DeliveryError, DeliveryStatus, Message, Purpose
from baiying.notifications.outbox import Outbox
from baiying.notifications.retry import RetryPolicy
from baiying.notifications.senders import FileSink, HttpSmsGateway, Sender, SmtpMailer, WebhookPoster
from baiying.notifications.templates import TemplateBook, bundled_templates
from baiying.notifications.ticket_relay import relay_ticket_notifications, tenants_with_ticket_notifications
from baiying.storage.engine import begin_write
from baiying.storage.notification_tables import OutboxRow, WebhookSubscriptionRow

DEFAULT_SINK = Path("var/outbox")
DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class Senders:
    email: Sender
    sms: Sender
    webhooks: WebhookPoster = field(default_factory=WebhookPoster)

    def describe(self) -> str:
        return f"email → {_name(self.email)}, SMS → {_name(self.sms)}"


def senders_from_environment(environ: Mapping[str, str] = os.environ) -> Senders:
    """SMTP and the SMS gateway from `BAIYING_SMTP_*` and `BAIYING_SMS_GATEWAY_*`; without them, files
    under `BAIYING_OUTBOX_SINK` (default var/outbox) show what would have been sent."""
    sink = Path(environ.get("BAIYING_OUTBOX_SINK", str(DEFAULT_SINK)))
    host = environ.get("BAIYING_SMTP_HOST")
    email: Sender = FileSink(sink / "email.jsonl")
    if host:
        email = SmtpMailer(
            host=host,
            port=int(environ.get("BAIYING_SMTP_PORT", "25")),
            sender=environ.get("BAIYING_SMTP_FROM", "service@localhost"),
            username=environ.get("BAIYING_SMTP_USER") or None,
            password=environ.get("BAIYING_SMTP_PASSWORD") or None,
            starttls=environ.get("BAIYING_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        )
    url = environ.get("BAIYING_SMS_GATEWAY_URL")
    sms: Sender = FileSink(sink / "sms.jsonl")
    if url:
        sms = HttpSmsGateway(url, environ.get("BAIYING_SMS_GATEWAY_TOKEN") or None)
    return Senders(email, sms)


@dataclass
class DispatchReport:
    relayed_events: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.relayed_events} event(s) relayed; {self.sent} sent, {self.retrying} to retry, "
            f"{self.failed} failed"
        )


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        senders: Senders,
        clock: Clock,
        policy: RetryPolicy = DEFAULT_RETRY,
        batch: int = 100,
        templates: TemplateBook | None = None,
    ) -> None:
        self.templates = templates if templates is not None else bundled_templates()
        self.sessions = sessions
        self.senders = senders
        self.clock = clock
        self.policy = policy
        self.batch = batch

    def run_once(self) -> DispatchReport:
        """Relay new events to webhook subscribers, then send every delivery due now (up to `batch`)."""
        report = DispatchReport(relayed_events=self.relay())
        with self.sessions() as session:
            query = (
                select(OutboxRow)
                .where(
                    OutboxRow.status == DeliveryStatus.PENDING.value,
                    OutboxRow.next_attempt_at <= self.clock.now(),
                )
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(self.batch)
            )
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for row in session.scalars(query).all():
                self._attempt(session, row, report)
                session.commit()
        return report

    def relay(self) -> int:
        """Turn new events into webhook deliveries for every tenant with a subscription, and the customer
        notifications tickets asked for into messages."""
        relayed = 0
        # Each relay reads, then writes: as a writer from its start, since on SQLite a transaction that
        # read cannot write once another connection (the live center) has committed.
        with self.sessions() as session:
            notifying = tenants_with_ticket_notifications(session, self.clock.now())
            session.commit()
            for tenant in notifying:
                begin_write(session)
                relay_ticket_notifications(session, tenant, self.templates, self.clock.now())
                session.commit()
            tenants = session.scalars(
                select(WebhookSubscriptionRow.tenant_id)
                .where(WebhookSubscriptionRow.active.is_(True))
                .distinct()
            ).all()
            session.commit()
            for tenant in tenants:
                begin_write(session)
                while (count := Outbox(session, tenant).relay_events(self.clock.now())) > 0:
                    relayed += count
                    session.commit()
                    begin_write(session)
                session.commit()
        return relayed

    def _attempt(self, session: Session, row: OutboxRow, report: DispatchReport) -> None:
        now = self.clock.now()
        row.attempts += 1
        try:
            self._send(session, row)
        except DeliveryError as error:
            delay = self.policy.delay_after(row.attempts, str(row.id)) if error.retryable else None
            row.last_error = error.reason
            if delay is None:
                row.status, row.next_attempt_at = DeliveryStatus.FAILED.value, None
                report.failed += 1
            else:
                row.next_attempt_at = now + delay
                report.retrying += 1
            return
        row.status, row.sent_at = DeliveryStatus.SENT.value, now
        row.next_attempt_at = row.last_error = None
        report.sent += 1

    def _send(self, session: Session, row: OutboxRow) -> None:
        reference = f"baiying-{row.tenant_id}-{row.id}"
        channel = Channel(row.channel)
        if channel is Channel.WEBHOOK:
            subscription = session.get(WebhookSubscriptionRow, (row.tenant_id, row.subscription_id))
            if subscription is None or not subscription.active:
                raise DeliveryError(
                    f"webhook subscription {row.subscription_id!r} is gone or paused", retryable=False
                )
            self.senders.webhooks.post(
                row.recipient,
                subscription.secret,
                row.event_type or "",
                json.loads(row.body),
                reference,
                self.clock.now(),
            )
            return
        message = Message(channel, row.recipient, row.body, Purpose(row.purpose), row.subject)
        sender = self.senders.email if channel is Channel.EMAIL else self.senders.sms
        sender.send(message, reference)


def _name(sender: Sender) -> str:
    if isinstance(sender, FileSink):
        return str(sender.path)
    if isinstance(sender, SmtpMailer):
        return f"SMTP {sender.host}:{sender.port}"
    if isinstance(sender, HttpSmsGateway):
        return sender.url
    return type(sender).__name__
