"""The customers context's user-facing text in English and Chinese."""

from baiying.customers.model import Resolution

LANGUAGES = ("en", "zh")

_RESOLUTION = {
    "en": {Resolution.RESOLVED: "resolved", Resolution.UNRESOLVED: "unresolved", None: "open"},
    "zh": {Resolution.RESOLVED: "已解决", Resolution.UNRESOLVED: "未解决", None: "处理中"},
}


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def banner_text(
    language: str, number: int, last_time: str, topic: str | None, resolution: Resolution | None
) -> str:
    """The repeat-contact banner: "3rd contact today, last at 10:42 (billing, unresolved)", or in Chinese
    "今天第3次联系，上次 10:42（billing，未解决）". Languages other than zh* read English."""
    if language.startswith("zh"):
        state = _RESOLUTION["zh"][resolution]
        detail = f"{topic}，{state}" if topic else state
        return f"今天第{number}次联系，上次 {last_time}（{detail}）"
    state = _RESOLUTION["en"][resolution]
    detail = f"{topic}, {state}" if topic else state
    return f"{ordinal(number)} contact today, last at {last_time} ({detail})"
