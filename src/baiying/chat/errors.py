"""The chat's errors, each with its code (and HTTP status in `baiying.api.errors.STATUS_BY_CODE`)."""

from baiying.errors import DomainError, UnknownEntity


class InvalidChatMessage(DomainError):
    """Empty, too long, or holding control characters."""

    code = "invalid-chat-message"


class ChatRateLimited(DomainError):
    """Too many messages (or new chats) too fast; `details.retry_after_seconds` says when to try again."""

    code = "chat-rate-limited"


class ChatClosed(DomainError):
    """The conversation has ended: nothing more can be written to it."""

    code = "chat-closed"


class UnknownConversation(UnknownEntity):
    code = "unknown-conversation"


class InvalidChatToken(DomainError):
    """The visitor's token does not open this conversation."""

    code = "invalid-chat-token"
