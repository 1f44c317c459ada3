"""Messages, their limits and the transcript.

A message is plain text: surrounding blanks are dropped, line ends become "\n", and control characters
other than tab and line feed are refused (they cannot be shown and only serve to confuse). It is stored
and sent as given; every page shows it as text, never as HTML.
"""

import math
import unicodedata
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from baiying.chat.errors import ChatRateLimited, InvalidChatMessage

MAX_MESSAGE_CHARS: Final = 2000
MAX_MESSAGES_PER_CONVERSATION: Final = 500
# A visitor may send 5 messages in any 10 seconds; one address (several visitors behind one proxy, perhaps)
# may start 20 chats in 10 minutes.
VISITOR_BURST: Final = 5
VISITOR_WINDOW_SECONDS: Final = 10.0
STARTS_PER_ADDRESS: Final = 20
STARTS_WINDOW_SECONDS: Final = 600.0
ALLOWED_CONTROLS: Final = frozenset("\n\t")


class Sender(StrEnum):
    VISITOR = "visitor"
    AGENT = "agent"
    SYSTEM = "system"  # the chat's own notes: the visitor left


class Status(StrEnum):
    OPEN = "open"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    id: int  # increasing: a client asks for the messages after the last it has
    sender: Sender
    author: str
    text: str
    at: float

    def record(self) -> dict[str, Any]:
        return {"sender": self.sender.value, "author": self.author, "text": self.text, "at": self.at}


def clean_text(text: str, *, field: str = "text", max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """The message as stored, or InvalidChatMessage saying what is wrong with it."""
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise InvalidChatMessage(f"the {field} is empty", {"field": field, "reason": "empty"})
    if len(cleaned) > max_chars:
        raise InvalidChatMessage(
            f"the {field} is {len(cleaned)} characters long; at most {max_chars} are allowed",
            {"field": field, "reason": "too-long", "length": len(cleaned), "max_chars": max_chars},
        )
    for position, char in enumerate(cleaned):
        if char not in ALLOWED_CONTROLS and unicodedata.category(char) in ("Cc", "Cs"):
            raise InvalidChatMessage(
                f"the {field} holds a control character (U+{ord(char):04X}) at position {position}",
                {"field": field, "reason": "control-character", "position": position},
            )
    return cleaned


class SlidingWindow:
    """At most `limit` events per key in any `window` seconds. Pure: the caller gives the time."""

    def __init__(self, limit: int, window: float, *, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._seen: dict[str, deque[float]] = {}

    def hit(self, key: str, now: float, what: str = "messages") -> None:
        """Count one event now, or raise ChatRateLimited (counting nothing) if the key is at its limit."""
        times = self._seen.get(key)
        if times is None:
            if len(self._seen) >= self.max_keys:
                self._forget(now)
            times = self._seen[key] = deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            retry_after = max(1, math.ceil(times[0] + self.window - now))
            raise ChatRateLimited(
                f"too many {what}: at most {self.limit} in {self.window:g} s; try again in {retry_after} s",
                {"limit": self.limit, "window_seconds": self.window, "retry_after_seconds": retry_after},
            )
        times.append(now)

    def _forget(self, now: float) -> None:
        stale = [key for key, times in self._seen.items() if not times or times[-1] <= now - self.window]
        for key in stale:
            del self._seen[key]
        while len(self._seen) >= self.max_keys:  # all busy: drop the oldest key
            del self._seen[next(iter(self._seen))]


def transcript(messages: Iterable[ChatMessage]) -> list[dict[str, Any]]:
    """What is kept on the contact once it ends: every message in order."""
    return [message.record() for message in sorted(messages, key=lambda m: m.id)]


def last_id(messages: Sequence[ChatMessage], after: int) -> int:
    return messages[-1].id if messages else after
