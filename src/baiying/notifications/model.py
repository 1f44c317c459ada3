"""What a notification is, independent of how it is stored or sent."""

from dataclasses import dataclass
from enum import StrEnum

from baiying.errors import DomainError


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class Purpose(StrEnum):
    """Why a message is sent; caps apply to care and marketing, never to what the customer is owed
    (a dispatch notice, an appointment reminder, a reply on their ticket)."""

    TRANSACTIONAL = "transactional"
    CARE = "care"
    MARKETING = "marketing"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENT = "sent"
    FAILED = "failed"  # gave up: a permanent refusal, or out of attempts
    SUPPRESSED = "suppressed"  # never sent: over a frequency cap or without the customer's consent


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one recipient. `subject` is for email only."""

    channel: Channel
    recipient: str
    body: str
    purpose: Purpose = Purpose.TRANSACTIONAL
    subject: str | None = None


class DeliveryError(Exception):
    """A send failed. `retryable`: try again later (timeouts, 4xx SMTP replies, HTTP 429/5xx); otherwise
    the receiver refused for good (an unknown mailbox, HTTP 400)."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class InvalidRecipient(DomainError):
    code = "invalid-recipient"
