"""Customer web chat over HTTP (`baiying.chat`).

The visitor (no account: the company's site embeds `/chat?tenant=...&queue=...`) starts a conversation
with a name, optionally a phone or email, and a first message. The server creates the contact itself,
channel `chat`, through the live center like `POST /api/contacts` does (the phone or email links it to a
known customer), and hands the visitor a token that opens that conversation only. Visitor endpoints
(`/api/chat/visitor/{tenant}/...`) take it in the `X-Chat-Token` header; they never answer 401 (the
visitor has no login to go to).

The agent holding the contact reads and writes with their session (`/api/chat/contacts/{id}/messages`);
whoever may see the customer may read the transcript later. Both sides poll for messages after the last
id they have. Messages are stored as they are written, so a restart loses none. Once the contact has
ended (the agent completed it, or the visitor left while waiting) the conversation is closed and its
transcript is copied onto the contact (`attributes.transcript`); the customer timeline shows the contact as
a chat interaction whose transcript this API serves.

Limits: a message is at most 2,000 characters of plain text; a visitor sends at most 5 messages in 10 s,
and one address starts at most 20 chats in 10 minutes (429 `chat-rate-limited`, with `Retry-After`).
"""

import hashlib
import hmac
import os
import secrets
import threading
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from baiying.accounts.errors import Forbidden
from baiying.accounts.policy import Action, Kind, can, resource
from baiying.accounts.principal import Principal
from baiying.api.deps import CenterDep, ClockDep, CurrentUser, DeferredSessionDep, SessionDep
from baiying.api.routes.customers import visible
from baiying.api.schemas import KeyPath
from baiying.application.background import BackgroundWorker
from baiying.application.bus import EventBatch, EventBus
from baiying.application.center import LiveCenter
from baiying.application.views import ContactStatus
from baiying.chat.errors import ChatClosed, InvalidChatToken, UnknownConversation
from baiying.chat.model import (
    MAX_MESSAGE_CHARS,
    MAX_MESSAGES_PER_CONVERSATION,
    STARTS_PER_ADDRESS,
    STARTS_WINDOW_SECONDS,
    VISITOR_BURST,
    VISITOR_WINDOW_SECONDS,
    ChatMessage,
    Sender,
    SlidingWindow,
    Status,
    clean_text,
    transcript,
)
from baiying.clock import Clock
from baiying.customers.contacts import normalise
from baiying.customers.model import ContactPointKind
from baiying.errors import DomainError
from baiying.events import ContactAbandoned, ContactArrived, ContactCompleted, ContactRoutedOut
from baiying.ids import ContactId, QueueId
from baiying.routing.errors import NoSuchContact, NoSuchQueue
from baiying.routing.model import Channel
from baiying.storage.chat_tables import ChatConversationRow, ChatMessageRow
from baiying.storage.engine import switch_to_writing
from baiying.storage.repositories.customers import customer_for_contact, settings_of
from baiying.storage.tables import AgentRow, ContactRow

visitor = APIRouter(prefix="/api/chat/visitor", tags=["web chat"])
agent = APIRouter(prefix="/api/chat/contacts", tags=["web chat"])

TOKEN_HEADER = "X-Chat-Token"
TENANT_ENV = "BAIYING_CHAT_TENANT"
QUEUE_ENV = "BAIYING_CHAT_QUEUE"
ENDED = frozenset({"completed", "abandoned", "routed-out"})  # a contact's states once it left routing


class _Limits:
    """The server's rate limits, shared by its requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages = SlidingWindow(VISITOR_BURST, VISITOR_WINDOW_SECONDS)
        self.starts = SlidingWindow(STARTS_PER_ADDRESS, STARTS_WINDOW_SECONDS)


LIMITS = _Limits()


def defaults() -> dict[str, str | None]:
    """The tenant and queue `/chat` uses when its query names none (`BAIYING_CHAT_TENANT`, `..._QUEUE`)."""
    return {"tenant": os.environ.get(TENANT_ENV) or None, "queue": os.environ.get(QUEUE_ENV) or None}


# ---- schemas ------------------------------------------------------------------------------------------


class _Input(BaseModel):
    model_config = {"extra": "forbid"}


class ChatStart(_Input):
    queue: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=80, description="How the visitor wants to be called.")
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS + 200)
    language: str | None = Field(default=None, pattern=r"^(en|zh)$", description="The page's language.")


class ChatSend(_Input):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS + 200)


class MessagePublic(BaseModel):
    id: int
    sender: str
    author: str
    text: str
    at: float

    @classmethod
    def of(cls, message: ChatMessage) -> "MessagePublic":
        return cls(
            id=message.id,
            sender=message.sender.value,
            author=message.author,
            text=message.text,
            at=message.at,
        )


class ConversationPublic(BaseModel):
    id: str
    status: str = Field(description="waiting (for an agent), connected, or ended.")
    visitor: str
    agent: str | None = Field(description="The agent's name once connected.")
    messages: list[MessagePublic] = Field(description="Those after `after`, oldest first.")


class ChatStarted(ConversationPublic):
    token: str = Field(description=f"Opens this conversation: send it in the {TOKEN_HEADER} header.")
    tenant: str


# ---- storage ------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _message(row: ChatMessageRow) -> ChatMessage:
    return ChatMessage(row.id, Sender(row.sender), row.author, row.text, row.at)


def _messages(session: Session, tenant_id: str, conversation_id: str, after: int = 0) -> list[ChatMessage]:
    rows = session.scalars(
        select(ChatMessageRow)
        .where(
            ChatMessageRow.tenant_id == tenant_id,
            ChatMessageRow.conversation_id == conversation_id,
            ChatMessageRow.id > after,
        )
        .order_by(ChatMessageRow.id)
    )
    return [_message(row) for row in rows]


def _add(
    session: Session, conversation: ChatConversationRow, sender: Sender, author: str, text: str, at: float
) -> ChatMessageRow:
    count = session.scalar(
        select(func.count())
        .select_from(ChatMessageRow)
        .where(
            ChatMessageRow.tenant_id == conversation.tenant_id,
            ChatMessageRow.conversation_id == conversation.id,
        )
    )
    if (count or 0) >= MAX_MESSAGES_PER_CONVERSATION:
        raise ChatClosed(
            f"the conversation has reached {MAX_MESSAGES_PER_CONVERSATION} messages",
            {"conversation_id": conversation.id, "max_messages": MAX_MESSAGES_PER_CONVERSATION},
        )
    row = ChatMessageRow(
        tenant_id=conversation.tenant_id,
        conversation_id=conversation.id,
        sender=sender.value,
        author=author,
        text=text,
        at=at,
    )
    session.add(row)
    session.flush()
    return row


def _conversation(session: Session, tenant_id: str, conversation_id: str) -> ChatConversationRow:
    found = session.get(ChatConversationRow, (tenant_id, conversation_id))
    if found is None:
        raise UnknownConversation(f"no chat {conversation_id!r}", {"conversation_id": conversation_id})
    return found


def _contact_state(center: LiveCenter, tenant_id: str, contact_id: str) -> ContactStatus | None:
    try:
        return center.contact(tenant_id, ContactId(contact_id))
    except NoSuchContact:
        return None


def _phase(conversation: ChatConversationRow, found: ContactStatus | None) -> str:
    if conversation.status == Status.ENDED.value or found is None or found.state in ENDED:
        return "ended"
    return "connected" if found.state == "connected" else "waiting"


def close_if_ended(
    session: Session, conversation: ChatConversationRow, found: ContactStatus | None, now: float
) -> bool:
    """Close the conversation once its contact has ended, copying the transcript onto the contact; commits.
    True if it is (now) closed."""
    if conversation.status == Status.ENDED.value:
        return True
    if found is not None and found.state not in ENDED:
        return False
    switch_to_writing(session)  # the closer, or the other side's read, may be closing it too
    session.refresh(conversation)
    if conversation.status == Status.ENDED.value:  # closed meanwhile by another reader or the closer
        session.commit()
        return True
    conversation.status = Status.ENDED.value
    conversation.ended_at = now
    contact = session.get(ContactRow, (conversation.tenant_id, conversation.id))
    if contact is not None:
        messages = _messages(session, conversation.tenant_id, conversation.id)
        contact.attributes = {**contact.attributes, "transcript": transcript(messages)}
    session.commit()
    return True


def _agent_name(session: Session, tenant_id: str, found: ContactStatus | None) -> str | None:
    """The agent's display name while connected."""
    if found is None or found.agent_id is None or found.state != "connected":
        return None
    row = session.get(AgentRow, (tenant_id, found.agent_id))
    return row.display_name if row is not None else str(found.agent_id)


def _view(
    session: Session, conversation: ChatConversationRow, found: ContactStatus | None, after: int
) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "status": _phase(conversation, found),
        "visitor": conversation.visitor_name,
        "agent": _agent_name(session, conversation.tenant_id, found),
        "messages": [
            MessagePublic.of(m) for m in _messages(session, conversation.tenant_id, conversation.id, after)
        ],
    }


class ChatCloser:
    """Closes each web chat as soon as its contact ends (completed, abandoned, routed out), so that the
    transcript is on the contact even if neither side reads the chat again. Subscribes to the center's
    bus; the work (a read, perhaps a write) runs on a thread of its own, never on the publishing thread.
    Only contacts that arrived on the chat channel (seen arriving, or open conversations when it started)
    are looked up: a voice or email contact's end costs no database read. Reads close a chat too
    (`close_if_ended`), which covers an end the closer missed (a crash between the commit and the close)."""

    ENDS = (ContactCompleted, ContactAbandoned, ContactRoutedOut)

    def __init__(self, bus: EventBus, sessions: Callable[[], Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._worker = BackgroundWorker[tuple[str, str]]("chat-closer", self._close_chat)
        self._chats: set[tuple[str, str]] = set()  # (tenant, contact) of chat contacts not ended yet
        self._chats_lock = threading.Lock()  # tenants publish from their own threads
        self._unsubscribe = bus.subscribe(self._on_batch)
        # After subscribing: a chat that arrives meanwhile is in one of the two, or both.
        with sessions() as session:
            open_chats = session.execute(
                select(ChatConversationRow.tenant_id, ChatConversationRow.id).where(
                    ChatConversationRow.status == Status.OPEN.value
                )
            ).all()
        with self._chats_lock:
            self._chats.update((tenant_id, contact_id) for tenant_id, contact_id in open_chats)

    def _on_batch(self, batch: EventBatch) -> None:
        tenant_id = batch.tenant_id
        for event in batch.events:
            if isinstance(event, ContactArrived):
                if event.channel == Channel.CHAT:
                    with self._chats_lock:
                        self._chats.add((tenant_id, str(event.contact_id)))
            elif isinstance(event, self.ENDS):
                key = (tenant_id, str(event.contact_id))
                with self._chats_lock:
                    if key not in self._chats:
                        continue
                    self._chats.discard(key)
                self._worker.put(key)

    def _close_chat(self, job: tuple[str, str]) -> None:
        with self._sessions() as session:
            found = session.get(ChatConversationRow, job)
            if found is not None:
                close_if_ended(session, found, None, self._clock.now())

    def close(self) -> None:
        self._unsubscribe()
        self._worker.close()


# ---- the visitor --------------------------------------------------------------------------------------


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _open(session: Session, tenant: str, conversation_id: str, token: str | None) -> ChatConversationRow:
    found = session.get(ChatConversationRow, (tenant, conversation_id))
    if found is None or not token or not hmac.compare_digest(found.token_hash, _hash(token)):
        # The same answer for an unknown chat and a wrong token: ids cannot be probed.
        raise InvalidChatToken(
            f"this token does not open chat {conversation_id!r}", {"conversation_id": conversation_id}
        )
    return found


def _point(kind: ContactPointKind, raw: str | None, country: int) -> str | None:
    if raw is None or not raw.strip():
        return None
    return normalise(kind, raw.strip(), country)


TokenHeader = Annotated[str | None, Header(alias=TOKEN_HEADER)]
AfterQuery = Annotated[int, Query(ge=0, description="Only messages with a greater id.")]


@visitor.post("/{tenant}/conversations", status_code=status.HTTP_201_CREATED)
def start_chat(
    tenant: KeyPath,
    body: ChatStart,
    request: Request,
    session: SessionDep,
    center: CenterDep,
    clock: ClockDep,
) -> ChatStarted:
    """A visitor starts a chat: the contact is created (channel chat) and queued now."""
    name = clean_text(body.name, field="name", max_chars=80)
    text = clean_text(body.message, field="message")
    if tenant not in center.tenant_ids() or not center.inspect(
        tenant, lambda router: body.queue in router.config.queues
    ):
        raise NoSuchQueue(f"no chat queue {body.queue!r} here", {"tenant": tenant, "queue": body.queue})
    country = settings_of(session, tenant).default_country_code
    phone = _point(ContactPointKind.PHONE, body.phone, country)
    email = _point(ContactPointKind.EMAIL, body.email, country)
    now = clock.now()
    with LIMITS.lock:
        LIMITS.starts.hit(f"{tenant}|{_client(request)}", now, what="new chats")
    conversation_id = uuid.uuid4().hex
    attributes: dict[str, Any] = {"chat_id": f"web:{conversation_id}", "visitor_name": name}
    if phone is not None:
        attributes["phone"] = phone
    if email is not None:
        attributes["email"] = email
    if body.language is not None:
        # The page's language, kept apart from the contact's `language`, which routing may match on skills
        # with codes of its own (e.g. cmn, yue).
        attributes["page_language"] = body.language
    customer = customer_for_contact(session, tenant, attributes)
    token = secrets.token_urlsafe(24)
    conversation = ChatConversationRow(
        tenant_id=tenant,
        id=conversation_id,
        token_hash=_hash(token),
        visitor_name=name,
        phone=phone,
        email=email,
        queue_id=body.queue,
        customer_id=customer,
        status=Status.OPEN.value,
        created_at=now,
    )
    session.add(conversation)
    _add(session, conversation, Sender.VISITOR, name, text, now)
    session.commit()  # stored before the contact exists: an agent never gets a chat without its messages
    try:
        center.arrive(
            tenant,
            QueueId(body.queue),
            contact_id=ContactId(conversation_id),
            channel=Channel.CHAT,
            customer_id=customer,
            attributes=attributes,
        )
    except DomainError:
        session.delete(conversation)
        for row in session.scalars(
            select(ChatMessageRow).where(
                ChatMessageRow.tenant_id == tenant, ChatMessageRow.conversation_id == conversation_id
            )
        ):
            session.delete(row)
        session.commit()
        raise
    found = _contact_state(center, tenant, conversation_id)
    return ChatStarted(token=token, tenant=tenant, **_view(session, conversation, found, 0))


@visitor.get("/{tenant}/conversations/{conversation_id}")
def visitor_read(
    tenant: KeyPath,
    conversation_id: KeyPath,
    session: SessionDep,
    center: CenterDep,
    clock: ClockDep,
    token: TokenHeader = None,
    after: AfterQuery = 0,
) -> ConversationPublic:
    """Where the chat stands and the messages after `after` (the visitor polls this)."""
    conversation = _open(session, tenant, conversation_id, token)
    found = _contact_state(center, tenant, conversation_id)
    close_if_ended(session, conversation, found, clock.now())
    return ConversationPublic(**_view(session, conversation, found, after))


@visitor.post("/{tenant}/conversations/{conversation_id}/messages", status_code=status.HTTP_201_CREATED)
def visitor_send(
    tenant: KeyPath,
    conversation_id: KeyPath,
    body: ChatSend,
    session: DeferredSessionDep,
    center: CenterDep,
    clock: ClockDep,
    token: TokenHeader = None,
) -> MessagePublic:
    conversation = _open(session, tenant, conversation_id, token)
    text = clean_text(body.text)
    now = clock.now()
    if close_if_ended(session, conversation, _contact_state(center, tenant, conversation_id), now):
        raise ChatClosed("the chat has ended", {"conversation_id": conversation_id})
    with LIMITS.lock:
        LIMITS.messages.hit(f"{tenant}|{conversation_id}", now)
    switch_to_writing(session)  # it read, and asked the center, before this write
    row = _add(session, conversation, Sender.VISITOR, conversation.visitor_name, text, now)
    session.commit()
    return MessagePublic.of(_message(row))


@visitor.post("/{tenant}/conversations/{conversation_id}/leave")
def visitor_leave(
    tenant: KeyPath,
    conversation_id: KeyPath,
    session: DeferredSessionDep,
    center: CenterDep,
    clock: ClockDep,
    token: TokenHeader = None,
) -> ConversationPublic:
    """The visitor closes the chat: still waiting (or ringing), the contact is abandoned; with an agent, the
    agent is told and completes it."""
    conversation = _open(session, tenant, conversation_id, token)
    found = _contact_state(center, tenant, conversation_id)
    now = clock.now()
    if not close_if_ended(session, conversation, found, now):
        assert found is not None
        if found.state in ("waiting", "offered"):
            session.rollback()  # end the read: the center commits in a transaction of its own
            center.abandon(tenant, ContactId(conversation_id))
            found = _contact_state(center, tenant, conversation_id)
            close_if_ended(session, conversation, found, now)
        else:
            switch_to_writing(session)
            _add(session, conversation, Sender.SYSTEM, "", "visitor-left", now)
            session.commit()
    return ConversationPublic(**_view(session, conversation, found, 0))


# ---- the agent ----------------------------------------------------------------------------------------


def _readable(
    session: Session, principal: Principal, conversation: ChatConversationRow, found: ContactStatus | None
) -> None:
    """The agent the contact is with (or anyone who may read the contact), or whoever may see the customer
    it belongs to (its transcript in the customer's timeline); Forbidden otherwise."""
    tenant = principal.tenant_id
    if found is not None:
        target = resource(Kind.CONTACT, tenant, found.contact_id, sites=found.placement, agent=found.agent_id)
        if can(principal, Action.READ, target):
            return
    contact = session.get(ContactRow, (tenant, conversation.id))
    customer = contact.customer_id if contact is not None else None
    customer = customer or conversation.customer_id
    if customer is not None:
        visible(session, principal, customer)  # raises Forbidden (or UnknownCustomer)
        return
    raise Forbidden(
        f"user {principal.login!r} may not read chat {conversation.id!r}",
        {"action": Action.READ.value, "kind": Kind.CONTACT.value, "id": conversation.id},
    )


@agent.get("/{contact_id}/messages")
def agent_read(
    contact_id: KeyPath,
    session: SessionDep,
    center: CenterDep,
    clock: ClockDep,
    principal: CurrentUser,
    after: AfterQuery = 0,
) -> ConversationPublic:
    """The chat of a contact: for the agent handling it (who polls this), or later its transcript."""
    tenant = principal.tenant_id
    conversation = _conversation(session, tenant, contact_id)
    found = _contact_state(center, tenant, contact_id)
    _readable(session, principal, conversation, found)
    close_if_ended(session, conversation, found, clock.now())
    return ConversationPublic(**_view(session, conversation, found, after))


@agent.post("/{contact_id}/messages", status_code=status.HTTP_201_CREATED)
def agent_send(
    contact_id: KeyPath,
    body: ChatSend,
    session: DeferredSessionDep,
    center: CenterDep,
    clock: ClockDep,
    principal: CurrentUser,
) -> MessagePublic:
    """The agent connected to the chat writes to the visitor."""
    tenant = principal.tenant_id
    conversation = _conversation(session, tenant, contact_id)
    found = _contact_state(center, tenant, contact_id)
    text = clean_text(body.text)
    now = clock.now()
    if close_if_ended(session, conversation, found, now):
        raise ChatClosed("the chat has ended", {"conversation_id": contact_id})
    assert found is not None
    if found.state != "connected" or found.agent_id is None or found.agent_id not in principal.agent_ids:
        raise Forbidden(
            f"user {principal.login!r} is not the agent connected to chat {contact_id!r}",
            {"action": Action.WORK.value, "kind": Kind.CONTACT.value, "id": contact_id},
        )
    switch_to_writing(session)  # it read, and asked the center, before this write
    row = _add(session, conversation, Sender.AGENT, principal.display_name, text, now)
    session.commit()
    return MessagePublic.of(_message(row))
