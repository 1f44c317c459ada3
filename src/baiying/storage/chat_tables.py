"""Tables of the customer web chat (`baiying.chat`): one conversation per chat contact (the visitor who
opened it and the hash of their token) and every message, kept as they are written so that a restart
loses none."""

from sqlalchemy import CheckConstraint, Double, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from baiying.chat.model import Sender, Status
from baiying.storage.tables import ID, NAME, SEQUENCE, Base, one_of


class ChatConversationRow(Base):
    """A visitor's conversation; its id is the contact's."""

    __tablename__ = "chat_conversations"
    __table_args__ = (CheckConstraint(one_of("status", Status), name="status"),)

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the visitor's token, hex
    visitor_name: Mapped[str] = mapped_column(NAME)
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(200))
    queue_id: Mapped[str] = mapped_column(ID)
    customer_id: Mapped[str | None] = mapped_column(ID)
    status: Mapped[str] = mapped_column(String(16), default=Status.OPEN.value)
    created_at: Mapped[float] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)


class ChatMessageRow(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        CheckConstraint(one_of("sender", Sender), name="sender"),
        Index(None, "tenant_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"))
    conversation_id: Mapped[str] = mapped_column(ID)
    sender: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(NAME)
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Double)
