"""Email in: an SMTP listener that turns each message into a contact (channel email) or, when it answers a
ticket (`[#T-123]` in the subject), into the customer's reply on that ticket — through Baiying's HTTP API,
logged in as a channel account.

Nothing is lost: the SMTP transaction is answered 250 only once the server has stored the contact or the
reply; if the server is unreachable or refuses for a passing reason, the listener answers 451 and the
sending mail server tries again later. A message redelivered after a 250 makes no second contact or
reply (the contact id comes from its Message-ID; the reply carries it). A reply naming a ticket that does
not exist, or one closed since, becomes a new contact that names the ticket.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from baiying.channels.email_message import InboundEmail, UnreadableEmail, parse_email

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class IntakeRefused(Exception):
    """The server refused the message for good (it will not change on a retry)."""


class IntakeUnavailable(Exception):
    """The server could not take the message now; the sender should retry."""


@dataclass
class EmailIntake:
    """Hands messages to the server. `queue` is where new email contacts wait."""

    server: str  # base URL, e.g. http://127.0.0.1:8000
    login: str
    password: str
    queue: str
    site: str | None = None
    timeout_seconds: float = 10.0
    _token: str | None = field(default=None, repr=False)

    async def take(self, email: InboundEmail) -> str:
        """Store the email on the server; returns what it became ("ticket T-1", "contact email-..")."""
        async with httpx.AsyncClient(base_url=self.server, timeout=self.timeout_seconds) as client:
            ticket = email.ticket_id
            if ticket is not None:
                body = {"kind": "customer", "body": _reply_text(email), "message_id": email.message_id}
                response = await self._post(client, f"/api/tickets/{ticket}/comments", body)
                if response.status_code == 201:
                    return f"reply on ticket {ticket}"
                if not _ticket_gone(response):
                    _raise_for(response)
                log.info(
                    "email %s names ticket %s, which does not exist or is closed: a new contact",
                    email.message_id,
                    ticket,
                )
            contact = {
                "id": email.contact_id,
                "queue": self.queue,
                "channel": "email",
                "site": self.site,
                "attributes": {
                    "email": email.sender,
                    "name": email.sender_name,
                    "subject": email.subject,
                    "text": email.text,
                    "message_id": email.message_id,
                    **({"ticket": ticket} if ticket is not None else {}),
                },
            }
            response = await self._post(client, "/api/contacts", contact)
            if response.status_code == 201 or _already_there(response):
                return f"contact {email.contact_id}"
            _raise_for(response)
            raise AssertionError("unreachable")

    async def _post(self, client: httpx.AsyncClient, path: str, body: Mapping[str, object]) -> httpx.Response:
        try:
            if self._token is None:
                await self._log_in(client)
            response = await client.post(path, json=body, headers={"Authorization": f"Bearer {self._token}"})
            if response.status_code == 401:  # the session expired or the server restarted with a new key
                await self._log_in(client)
                response = await client.post(
                    path, json=body, headers={"Authorization": f"Bearer {self._token}"}
                )
        except httpx.HTTPError as error:
            raise IntakeUnavailable(f"server {self.server} unreachable: {error}") from None
        return response

    async def _log_in(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/auth/login", json={"login": self.login, "password": self.password})
        if response.status_code != 200:
            _raise_for(response)
        self._token = str(response.json()["token"])


class IntakeHandler:
    """aiosmtpd's handler: every accepted message is stored before the 250."""

    def __init__(self, intake: EmailIntake) -> None:
        self.intake = intake
        self.taken: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            email = parse_email(raw)
        except UnreadableEmail as error:
            return f"550 5.6.0 cannot read this message: {error}"
        try:
            outcome = await self.intake.take(email)
        except IntakeUnavailable as error:
            log.warning("email %s deferred: %s", email.message_id, error)
            return "451 4.3.0 service busy, try again later"
        except IntakeRefused as error:
            return f"554 5.7.0 refused: {error}"
        self.taken.append(outcome)
        log.info("email %s from %s: %s", email.message_id, email.sender, outcome)
        return "250 2.0.0 accepted"


def start_listener(intake: EmailIntake, host: str, port: int) -> tuple[Controller, IntakeHandler]:
    handler = IntakeHandler(intake)
    controller = Controller(handler, hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES)
    controller.start()
    return controller, handler


def _reply_text(email: InboundEmail) -> str:
    return email.text or "(empty message)"


def _ticket_gone(response: httpx.Response) -> bool:
    """The reply's ticket is unknown, or closed (it takes no more customer messages)."""
    return response.status_code == 404 or (
        response.status_code == 422 and _code(response) == "invalid-ticket"
    )


def _already_there(response: httpx.Response) -> bool:
    return response.status_code == 409 and _code(response) == "conflict"


def _code(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def _raise_for(response: httpx.Response) -> None:
    detail = f"{response.status_code} {_code(response)}: {response.text[:300]}"
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise IntakeUnavailable(detail)
    raise IntakeRefused(detail)
