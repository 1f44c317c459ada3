"""Signed, expiring session tokens for the API (bearer) and the browser (cookie).

A login opens one session with a random id; it is carried by a bearer token and by a cookie value,
signed with different salts so one cannot stand in for the other. A token is an itsdangerous
`URLSafeTimedSerializer` payload signed with the server's secret key; its age is measured on the
`Clock` passed in (not the wall clock itsdangerous would read), so tests move time instead of sleeping.

The payload names the user, the tenant and a fingerprint of the user's password hash: changing a
password (or an admin resetting it) ends every session of that user, in every process, at once.

Logging out revokes the session id in an in-memory list kept until the session would have expired
anyway. That list is per process and forgotten on restart: behind several processes, or after a restart,
a logged-out token stays valid until it expires (12 hours by default). A shared table or Redis set
would close that gap; deactivating the user or changing the password closes it today.

Checking a signature costs two HMACs, a base64 and a JSON decode: a token whose signature checked out is
remembered (the last `VERIFIED_LIMIT` of them), so the requests after its first cost a dict lookup, its
age and the revocation list, both checked on every request as before.
"""

import functools
import hashlib
import hmac
import math
import secrets
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from baiying.accounts.errors import TokenExpired, Unauthenticated
from baiying.clock import Clock, Timestamp

DEFAULT_SESSION_TTL_SECONDS = 12 * 3600.0
SESSION_ID_BYTES = 16
VERIFIED_LIMIT = 20_000  # tokens remembered with their claims once their signature checked out


class TokenKind(StrEnum):
    BEARER = "bearer"
    COOKIE = "cookie"


@dataclass(frozen=True, slots=True)
class SessionClaims:
    session_id: str
    user_id: str
    tenant_id: str
    credential: str  # fingerprint of the password hash the session was opened with
    issued_at: Timestamp
    expires_at: Timestamp


@dataclass(frozen=True, slots=True)
class IssuedSession:
    claims: SessionClaims
    bearer_token: str
    cookie_value: str


class RevokedSessions:
    """Session ids logged out before they expire, each forgotten once past its expiry. Thread-safe."""

    def __init__(self) -> None:
        self._until: dict[str, Timestamp] = {}
        self._lock = threading.Lock()

    def revoke(self, session_id: str, expires_at: Timestamp, now: Timestamp) -> None:
        with self._lock:
            self._until = {sid: until for sid, until in self._until.items() if until > now}
            if expires_at > now:
                self._until[session_id] = expires_at

    def is_revoked(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._until

    def __len__(self) -> int:
        with self._lock:
            return len(self._until)


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer reading time from a Clock."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock.now())


@functools.lru_cache(maxsize=4096)  # every request compares its session's fingerprint
def credential_fingerprint(secret_key: str, password_hash: str | None) -> str:
    digest = hmac.new(secret_key.encode(), (password_hash or "").encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


class SessionTokens:
    def __init__(
        self,
        secret_key: str,
        clock: Clock,
        *,
        ttl_seconds: float = DEFAULT_SESSION_TTL_SECONDS,
        revoked: RevokedSessions | None = None,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError(f"a session must last some time, not {ttl_seconds} s")
        self.secret_key = secret_key
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self.revoked = revoked if revoked is not None else RevokedSessions()
        self._serializers = {kind: self._serializer(kind) for kind in TokenKind}
        self._max_age = math.ceil(ttl_seconds)  # itsdangerous counts whole seconds
        self._verified: dict[tuple[TokenKind, str], SessionClaims] = {}
        self._verified_lock = threading.Lock()

    def _serializer(self, kind: TokenKind) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self.secret_key,
            salt=f"baiying.session.{kind.value}",
            signer=_ClockSigner,
            signer_kwargs={"clock": self.clock},
        )

    def open(self, user_id: str, tenant_id: str, password_hash: str | None) -> IssuedSession:
        """A new session for the user, as a bearer token and a cookie value."""
        issued_at = float(int(self.clock.now()))  # itsdangerous signs whole seconds
        claims = SessionClaims(
            session_id=secrets.token_urlsafe(SESSION_ID_BYTES),
            user_id=user_id,
            tenant_id=tenant_id,
            credential=credential_fingerprint(self.secret_key, password_hash),
            issued_at=issued_at,
            expires_at=issued_at + self.ttl_seconds,
        )
        payload = {"s": claims.session_id, "u": user_id, "t": tenant_id, "c": claims.credential}
        return IssuedSession(
            claims,
            bearer_token=self._serializers[TokenKind.BEARER].dumps(payload),
            cookie_value=self._serializers[TokenKind.COOKIE].dumps(payload),
        )

    def verify(self, token: str, kind: TokenKind) -> SessionClaims:
        """The claims of a valid token. Raises TokenExpired, or Unauthenticated for anything else wrong
        (malformed, forged, the other kind's token, revoked). The caller still checks the user is active
        and the credential fingerprint matches (`matches_credential`)."""
        claims = self._verified.get((kind, token))
        if claims is None:
            claims = self._checked_signature(token, kind)
        else:
            # itsdangerous' own test, in whole seconds: no older than the TTL, not from the future
            age = int(self.clock.now()) - int(claims.issued_at)
            if age > self._max_age or age < 0:
                raise TokenExpired("the session has expired: log in again")
        if self.revoked.is_revoked(claims.session_id):
            raise Unauthenticated("the session was logged out: log in again")
        return claims

    def _checked_signature(self, token: str, kind: TokenKind) -> SessionClaims:
        try:
            payload, signed_at = self._serializers[kind].loads(
                token, max_age=self._max_age, return_timestamp=True
            )
        except SignatureExpired:
            raise TokenExpired("the session has expired: log in again") from None
        except BadSignature:
            raise Unauthenticated(f"the {kind.value} token is not valid: log in again") from None
        claims = _claims(payload, signed_at.timestamp(), self.ttl_seconds)
        if claims is None:
            raise Unauthenticated(f"the {kind.value} token is not valid: log in again")
        with self._verified_lock:
            if len(self._verified) >= VERIFIED_LIMIT:
                self._verified.clear()  # the busy sessions are back after one signature check each
            self._verified[(kind, token)] = claims
        return claims

    def matches_credential(self, claims: SessionClaims, password_hash: str | None) -> bool:
        expected = credential_fingerprint(self.secret_key, password_hash)
        return hmac.compare_digest(claims.credential, expected)

    def close(self, claims: SessionClaims) -> None:
        """Log the session out: its tokens are refused from now on (in this process; see the module)."""
        self.revoked.revoke(claims.session_id, claims.expires_at, self.clock.now())


def _claims(payload: Any, issued_at: float, ttl_seconds: float) -> SessionClaims | None:
    if not isinstance(payload, dict):
        return None
    values = [payload.get(key) for key in ("s", "u", "t", "c")]
    if not all(isinstance(value, str) and value for value in values):
        return None
    session_id, user_id, tenant_id, credential = (str(value) for value in values)
    return SessionClaims(session_id, user_id, tenant_id, credential, issued_at, issued_at + ttl_seconds)
