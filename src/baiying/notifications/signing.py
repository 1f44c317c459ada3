"""Webhook signatures: HMAC-SHA256 over the timestamp and the exact body, so a receiver can check that a
call came from Baiying, was not altered and is not a replay of an old one.

Header `Baiying-Signature: t=<unix seconds>,v1=<hex digest>`; the signed text is `"<t>.<body>"`.
"""

import hashlib
import hmac

from baiying.clock import Timestamp

SIGNATURE_HEADER = "Baiying-Signature"
DEFAULT_TOLERANCE_SECONDS = 300.0


def sign(secret: str, body: bytes, at: Timestamp) -> str:
    stamp = str(int(at))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    now: Timestamp,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Whether `header` signs `body` with `secret` and was made within `tolerance_seconds` of `now`."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance_seconds:
        return False
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)
