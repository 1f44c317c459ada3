"""Reading an inbound email: who wrote, about what, the new text without the quoted history, and the
ticket it answers (a `[#T-123]` tag in the subject, as Baiying's ticket emails carry)."""

import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser

TICKET_TAG = re.compile(r"\[#([A-Za-z0-9][A-Za-z0-9._:-]{0,63})\]")
# Where a reply's quoted history starts, in the clients our users' customers use (English and Chinese).
_QUOTE_STARTS = (
    re.compile(r"^-{2,}\s*(Original Message|原始邮件|原始郵件)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^On .{4,200} wrote:$"),
    re.compile(r"^在.{2,200}写道[:：]$"),
    re.compile(r"^(From|发件人)[:：] ", re.IGNORECASE),
)
MAX_TEXT = 20_000


class UnreadableEmail(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class InboundEmail:
    sender: str  # the address only, lower-case domain
    sender_name: str
    subject: str
    text: str  # the new text, quoted history removed
    message_id: str

    @property
    def ticket_id(self) -> str | None:
        found = TICKET_TAG.search(self.subject)
        return found.group(1) if found else None

    @property
    def contact_id(self) -> str:
        """A contact id fixed by the Message-ID: a redelivered email never makes a second contact."""
        return "email-" + hashlib.blake2b(self.message_id.encode(), digest_size=10).hexdigest()


def parse_email(raw: bytes) -> InboundEmail:
    message = message_from_bytes(raw, _class=EmailMessage, policy=policy.default)
    if not isinstance(message, EmailMessage):
        raise UnreadableEmail("not an email message")
    name, address = parseaddr(str(message.get("From", "")))
    if "@" not in address:
        raise UnreadableEmail(f"no sender address in From: {message.get('From')!r}")
    local, _, domain = address.rpartition("@")
    message_id = str(message.get("Message-ID", "")).strip() or _digest_id(raw)
    return InboundEmail(
        sender=f"{local}@{domain.lower()}",
        sender_name=name,
        subject=" ".join(str(message.get("Subject", "")).split()),
        text=_new_text(_body_text(message))[:MAX_TEXT],
        message_id=message_id,
    )


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    text = content if isinstance(content, str) else ""
    return _html_to_text(text) if part.get_content_subtype() == "html" else text


def _new_text(text: str) -> str:
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if any(pattern.match(stripped) for pattern in _QUOTE_STARTS):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts))


def _digest_id(raw: bytes) -> str:
    return "<" + hashlib.sha256(raw).hexdigest()[:32] + "@baiying.invalid>"
