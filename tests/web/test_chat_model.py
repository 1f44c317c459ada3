"""The chat's pure rules: what a message may hold, the sliding-window pace, the transcript."""

import pytest

from baiying.chat.errors import ChatRateLimited, InvalidChatMessage
from baiying.chat.model import ChatMessage, Sender, SlidingWindow, clean_text, transcript


def test_text_is_trimmed_and_line_ends_normalised() -> None:
    assert clean_text("  hello\r\nworld\r  ") == "hello\nworld"
    assert clean_text("tab\there") == "tab\there"
    assert clean_text("<b>bold</b> 你好") == "<b>bold</b> 你好"  # kept as given: pages show text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" \n ", "empty"),
        ("x" * 2001, "too-long"),
        ("a\x00b", "control-character"),
        ("\x1b[31m", "control-character"),
    ],
)
def test_bad_text_is_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidChatMessage) as refused:
        clean_text(text)
    assert refused.value.details["reason"] == reason


def test_exactly_the_limit_is_allowed() -> None:
    assert len(clean_text("y" * 2000)) == 2000
    with pytest.raises(InvalidChatMessage) as refused:
        clean_text("a\x07", field="name")
    assert refused.value.details == {"field": "name", "reason": "control-character", "position": 1}


def test_the_window_slides() -> None:
    window = SlidingWindow(3, 10.0)
    for at in (0.0, 1.0, 2.0):
        window.hit("v", at)
    with pytest.raises(ChatRateLimited) as limited:
        window.hit("v", 5.0)
    assert limited.value.details["retry_after_seconds"] == 5
    window.hit("other", 5.0)  # keys are separate
    window.hit("v", 10.0)  # the first hit (at 0) left the window
    with pytest.raises(ChatRateLimited):
        window.hit("v", 10.5)


def test_the_window_forgets_idle_keys_when_full() -> None:
    window = SlidingWindow(1, 10.0, max_keys=2)
    window.hit("a", 0.0)
    window.hit("b", 1.0)
    window.hit("c", 20.0)  # a and b are idle: forgotten
    window.hit("a", 20.0)


def test_the_transcript_is_in_message_order() -> None:
    messages = [
        ChatMessage(7, Sender.AGENT, "Agent Wu", "Hello", 10.0),
        ChatMessage(3, Sender.VISITOR, "Li", "Hi", 5.0),
    ]
    assert transcript(messages) == [
        {"sender": "visitor", "author": "Li", "text": "Hi", "at": 5.0},
        {"sender": "agent", "author": "Agent Wu", "text": "Hello", "at": 10.0},
    ]
