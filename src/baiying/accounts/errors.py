"""What can go wrong when someone logs in or asks for something; each error's `code` is stable."""

from collections.abc import Mapping
from typing import Any

from baiying.errors import DomainError


class InvalidCredentials(DomainError):
    """Unknown login, wrong password, or a deactivated user: the message never says which."""

    code = "invalid-credentials"


class Unauthenticated(DomainError):
    """No credentials, or a token that is malformed, forged, revoked, or belongs to a changed user."""

    code = "unauthenticated"


class TokenExpired(DomainError):
    code = "token-expired"


class Forbidden(DomainError):
    code = "forbidden"


class RateLimited(DomainError):
    """Too many failed logins; `retry_after_seconds` says when the next attempt will be heard."""

    code = "rate-limited"

    def __init__(self, message: str, retry_after_seconds: float, details: Mapping[str, Any] | None = None):
        super().__init__(message, {**(details or {}), "retry_after_seconds": retry_after_seconds})
        self.retry_after_seconds = retry_after_seconds


class InvalidSecretKey(DomainError):
    code = "invalid-secret-key"


class WeakPassword(DomainError):
    code = "weak-password"
