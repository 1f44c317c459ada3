"""Failed logins: five per login and per address in five minutes, then 429 until the window slides."""

import pytest

from baiying.accounts.errors import RateLimited
from baiying.accounts.ratelimit import LoginRateLimiter
from tests.accounts.conftest import T0


def fail(limiter: LoginRateLimiter, times: int, login: str, address: str, at: float) -> None:
    for _ in range(times):
        limiter.check(login, address, at)
        limiter.record_failure(login, address, at)


def test_the_sixth_attempt_within_the_window_is_refused_until_the_first_failure_ages_out() -> None:
    limiter = LoginRateLimiter(max_failures=5, window_seconds=300)
    for i in range(5):
        fail(limiter, 1, "li-na", "10.0.0.1", T0 + 10 * i)
    with pytest.raises(RateLimited) as limited:
        limiter.check("li-na", "10.0.0.2", T0 + 60)  # another address: the login is limited
    assert limited.value.message == "too many failed logins: try again in 240 s"
    assert limited.value.retry_after_seconds == 240.0
    assert limited.value.details == {"retry_after_seconds": 240.0}
    with pytest.raises(RateLimited):
        limiter.check("LI-NA ", "10.0.0.2", T0 + 299.5)  # the same login, however it is typed
    limiter.check("li-na", "10.0.0.2", T0 + 300)  # the first failure has left the window
    limiter.record_failure("li-na", "10.0.0.2", T0 + 300)
    with pytest.raises(RateLimited, match="try again in 10 s"):
        limiter.check("li-na", "10.0.0.3", T0 + 300)


def test_one_address_guessing_at_many_logins_is_refused() -> None:
    limiter = LoginRateLimiter()
    for i in range(5):
        fail(limiter, 1, f"user-{i}", "10.0.0.9", T0)
    with pytest.raises(RateLimited):
        limiter.check("someone-else", "10.0.0.9", T0 + 1)
    limiter.check("someone-else", "10.0.0.10", T0 + 1)


def test_success_clears_the_logins_failures_not_the_addresses() -> None:
    limiter = LoginRateLimiter(max_failures=3, window_seconds=60)
    fail(limiter, 2, "li-na", "10.0.0.1", T0)
    limiter.record_success("li-na", "10.0.0.1")
    fail(limiter, 2, "li-na", "10.0.0.2", T0)  # two more for the login: not yet three since success
    limiter.check("li-na", "10.0.0.3", T0)
    fail(limiter, 1, "chen", "10.0.0.1", T0)  # the address's third failure
    with pytest.raises(RateLimited):
        limiter.check("wang", "10.0.0.1", T0)


def test_memory_stays_bounded_by_forgetting_stale_keys() -> None:
    limiter = LoginRateLimiter(max_failures=2, window_seconds=60)
    fail(limiter, 1, "old", "10.0.0.1", T0)
    limiter._forget_stale(T0 + 61)
    assert limiter._failures == {}


def test_limits_must_make_sense() -> None:
    with pytest.raises(ValueError, match="at least one failure"):
        LoginRateLimiter(max_failures=0)
