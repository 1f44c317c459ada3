"""When to try a failed delivery again: exponential back-off with a cap and deterministic jitter.

The jitter comes from the delivery's id, not a random generator, so the schedule is reproducible (and
testable) while deliveries that failed together still spread out instead of retrying in a herd.
"""

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    first_delay_seconds: float = 30.0
    factor: float = 2.0
    max_delay_seconds: float = 3600.0
    jitter_fraction: float = 0.2  # the delay varies by up to ±20%

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if (
            self.first_delay_seconds <= 0
            or self.factor < 1
            or self.max_delay_seconds < self.first_delay_seconds
        ):
            raise ValueError("delays must be positive, growing and capped above the first delay")
        if not 0 <= self.jitter_fraction < 1:
            raise ValueError("jitter_fraction must be in [0, 1)")

    def delay_after(self, attempts: int, key: str) -> float | None:
        """Seconds to wait after `attempts` failed attempts of the delivery `key`; None: give up."""
        if attempts >= self.max_attempts:
            return None
        base = min(self.first_delay_seconds * self.factor ** (attempts - 1), self.max_delay_seconds)
        return base * (1.0 + self.jitter_fraction * (2.0 * _unit(f"{key}/{attempts}") - 1.0))


def _unit(text: str) -> float:
    """A number in [0, 1) fixed by `text`."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
