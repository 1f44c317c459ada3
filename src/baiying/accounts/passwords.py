"""Password hashing with Argon2id (argon2-cffi's `PasswordHasher`, RFC 9106 low-memory profile)."""

import contextlib
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from baiying.accounts.errors import WeakPassword

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # hashing is deliberately slow; a megabyte "password" should not be heard
GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters, 96 bits


class Passwords:
    """Hash and verify passwords. The hasher's parameters can be lowered for tests; a stored hash made
    with other parameters still verifies, and `needs_rehash` says when to store a new one."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher if hasher is not None else PasswordHasher()
        self._dummy_hash: str | None = None
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        """Raises WeakPassword for a password shorter than 8 or longer than 1024 characters."""
        check_strength(password)
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; False for a mismatch, a missing or unreadable hash."""
        if password_hash is None or len(password) > MAX_PASSWORD_LENGTH:
            self.waste_time()
            return False
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def waste_time(self) -> None:
        """Verify against a dummy hash, so an unknown login takes as long to refuse as a wrong password."""
        with self._lock:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
            dummy = self._dummy_hash
        with contextlib.suppress(VerificationError):
            self.hasher.verify(dummy, "not the password")


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", {"min_length": MIN_PASSWORD_LENGTH}
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            f"a password has at most {MAX_PASSWORD_LENGTH} characters", {"max_length": MAX_PASSWORD_LENGTH}
        )


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
