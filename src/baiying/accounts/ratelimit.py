"""Failed-login limits: per login and per client address, in a sliding window, on a Clock passed in.

Only failures count. Once a login or an address has `max_failures` failures within `window_seconds`,
further attempts for it are refused without checking the password until the oldest failure leaves the
window; a successful login clears its login's failures (not its address's, so one good account does
not unlock guessing at others from the same address). State is per process and in memory.
"""

import math
import threading
from collections import deque

from baiying.accounts.errors import RateLimited
from baiying.clock import Timestamp

DEFAULT_MAX_FAILURES = 5
DEFAULT_WINDOW_SECONDS = 300.0
MAX_TRACKED_KEYS = 100_000  # a flood of made-up logins costs bounded memory


class LoginRateLimiter:
    def __init__(
        self, max_failures: int = DEFAULT_MAX_FAILURES, window_seconds: float = DEFAULT_WINDOW_SECONDS
    ) -> None:
        if max_failures < 1 or window_seconds <= 0:
            raise ValueError("a login limit needs at least one failure in a positive window")
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._failures: dict[str, deque[Timestamp]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(login: str, address: str) -> tuple[str, str]:
        return f"login:{login.strip().casefold()}", f"address:{address}"

    def check(self, login: str, address: str, now: Timestamp) -> None:
        """Raise RateLimited if the login or the address has used up its failures."""
        with self._lock:
            waits = [self._wait(key, now) for key in self._keys(login, address)]
        wait = max(waits)
        if wait > 0:
            raise RateLimited(
                f"too many failed logins: try again in {math.ceil(wait)} s",
                retry_after_seconds=float(math.ceil(wait)),
            )

    def record_failure(self, login: str, address: str, now: Timestamp) -> None:
        with self._lock:
            if len(self._failures) >= MAX_TRACKED_KEYS:
                self._forget_stale(now)
            for key in self._keys(login, address):
                failures = self._failures.setdefault(key, deque())
                failures.append(now)
                while len(failures) > self.max_failures:
                    failures.popleft()

    def record_success(self, login: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(login, address)[0], None)

    def _wait(self, key: str, now: Timestamp) -> float:
        failures = self._failures.get(key)
        if failures is None:
            return 0.0
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0.0
        if len(failures) < self.max_failures:
            return 0.0
        return failures[0] + self.window_seconds - now

    def _forget_stale(self, now: Timestamp) -> None:
        for key in list(self._failures):
            self._wait(key, now)
        if len(self._failures) >= MAX_TRACKED_KEYS:  # still full of fresh failures: drop the oldest half
            oldest = sorted(self._failures, key=lambda key: self._failures[key][-1])
            for key in oldest[: len(oldest) // 2]:
                del self._failures[key]
