"""Durations in configuration files: "90s", "30m", "2h", "1h30m", "-1h" (a sign only where allowed)."""

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_WHOLE = re.compile(r"^-?(?:\d+(?:\.\d+)?[hms])+$")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str | int | float, *, signed: bool = False) -> float:
    """Seconds in `text`; a bare number is seconds. Raises ValueError naming the expected form."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration like 30m, 2h or 1h30m")
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        compact = text.replace(" ", "")
        if not _WHOLE.match(compact):
            raise ValueError(f"{text!r} is not a duration like 30m, 2h or 1h30m")
        seconds = sum(float(number) * _SECONDS[unit] for number, unit in _PART.findall(compact))
        if compact.startswith("-"):
            seconds = -seconds
    if seconds < 0 and not signed:
        raise ValueError(f"{text!r}: a duration here cannot be negative")
    return seconds


def format_duration(seconds: float) -> str:
    """The inverse of `parse_duration` for whole seconds: 5400 -> "1h30m"."""
    sign = "-" if seconds < 0 else ""
    rest = round(abs(seconds))
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return sign + (text or "0s")
