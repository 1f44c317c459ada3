"""The only code here that talks to the outside world: an SMTP mailer, an SMS gateway over HTTP, a local
sink that shows what would be sent (the demo's SMS and email), and the webhook poster.

Each sender raises DeliveryError saying whether a retry could help, so the outbox's retry schedule is
spent only on failures that may pass (a timeout, a busy server), never on a refusal that will repeat.
"""

import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol

import httpx

from baiying.clock import Timestamp
from baiying.notifications.model import DeliveryError, Message
from baiying.notifications.signing import SIGNATURE_HEADER, sign


class Sender(Protocol):
    def send(self, message: Message, reference: str) -> None:
        """Deliver `message`; `reference` is the outbox id (the receiver's deduplication key)."""


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    host: str
    port: int
    sender: str  # the From address
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0

    def send(self, message: Message, reference: str) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email["Message-ID"] = make_msgid(idstring=reference, domain=self.sender.rpartition("@")[2] or None)
        email["X-Baiying-Reference"] = reference
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as refused:
            code, reply = next(iter(refused.recipients.values()))
            raise DeliveryError(
                f"SMTP refused {message.recipient}: {code} {_text(reply)}", retryable=code < 500
            ) from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(
                f"SMTP {error.smtp_code} {_text(error.smtp_error)}", retryable=error.smtp_code < 500
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(
                f"SMTP server {self.host}:{self.port} unreachable: {error}", retryable=True
            ) from None


@dataclass(frozen=True, slots=True)
class HttpSmsGateway:
    """Posts `{"to", "text", "reference"}` as JSON to the provider's webhook with a bearer token."""

    url: str
    token: str | None = None
    timeout_seconds: float = 10.0

    def send(self, message: Message, reference: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"to": message.recipient, "text": message.body, "reference": reference}
        _post(
            self.url,
            json.dumps(body, ensure_ascii=False).encode(),
            headers,
            self.timeout_seconds,
            "SMS gateway",
        )


@dataclass(frozen=True, slots=True)
class FileSink:
    """Appends each message as one JSON line to a file: what would have been sent, for the demo."""

    path: Path

    def send(self, message: Message, reference: str) -> None:
        line = {
            "reference": reference,
            "channel": message.channel.value,
            "to": message.recipient,
            "subject": message.subject,
            "body": message.body,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as error:
            raise DeliveryError(f"cannot write {self.path}: {error}", retryable=True) from None


@dataclass(frozen=True, slots=True)
class WebhookPoster:
    """Posts an event to a subscriber's URL, signed with the subscription's secret."""

    timeout_seconds: float = 10.0

    def post(
        self, url: str, secret: str, event_type: str, payload: dict[str, Any], reference: str, at: Timestamp
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            SIGNATURE_HEADER: sign(secret, body, at),
            "Baiying-Event": event_type,
            "Baiying-Delivery": reference,
        }
        _post(url, body, headers, self.timeout_seconds, "webhook receiver")


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float, who: str) -> None:
    try:
        response = httpx.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=timeout
        )
    except (OSError, httpx.HTTPError) as error:
        raise DeliveryError(f"{who} {url} unreachable: {error}", retryable=True) from None
    if response.is_success:
        return
    retryable = response.status_code in (408, 425, 429) or response.status_code >= 500
    raise DeliveryError(f"{who} answered {response.status_code}: {response.text[:200]}", retryable=retryable)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
