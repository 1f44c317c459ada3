"""What the HTTP server is configured with; read from `BAIYING_*` environment variables by default."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from baiying.accounts.ratelimit import DEFAULT_MAX_FAILURES, DEFAULT_WINDOW_SECONDS
from baiying.accounts.secret import secret_key
from baiying.accounts.tokens import DEFAULT_SESSION_TTL_SECONDS
from baiying.errors import DomainError

DEFAULT_VAR_DIR = Path("var")
COOKIE_SECURE_ENV = "BAIYING_COOKIE_SECURE"
SESSION_TTL_ENV = "BAIYING_SESSION_TTL_SECONDS"
VOICE_SETTINGS_ENV = "BAIYING_VOICE_SETTINGS"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class InvalidSettings(DomainError):
    code = "invalid-settings"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    secret_key: str
    session_ttl_seconds: float = DEFAULT_SESSION_TTL_SECONDS
    cookie_secure: bool = False  # set behind TLS, so browsers send the session cookie over HTTPS only
    login_max_failures: int = DEFAULT_MAX_FAILURES
    login_window_seconds: float = DEFAULT_WINDOW_SECONDS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # The live engine's timer loop (fires routing deadlines as they fall due); tests that drive a manual
    # clock turn it off and call `LiveCenter.advance()` themselves.
    live_timer: bool = True
    live_timer_max_sleep_seconds: float = 1.0
    # With the live timer: how often the outbox is relayed and sent (SMS, email, webhooks).
    notifications_every_seconds: float = 2.0
    ticket_sweep_every_seconds: float = 30.0
    stats_interval_seconds: int = 900
    stats_sl_seconds: float = 20.0
    # Voice: a voice settings YAML (baiying.telephony.settings); the server then hosts call control
    voice_settings: str | None = None

    @classmethod
    def from_environment(
        cls,
        *,
        database_url: str | None = None,
        environ: Mapping[str, str] | None = None,
        var_dir: Path = DEFAULT_VAR_DIR,
    ) -> "Settings":
        """`database_url` or `BAIYING_DATABASE_URL` (else `var/baiying.db`); `BAIYING_SECRET_KEY` (else
        `var/secret-key`, made on first start); `BAIYING_COOKIE_SECURE=1`; `BAIYING_SESSION_TTL_SECONDS`;
        `BAIYING_VOICE_SETTINGS` (a voice settings YAML: the server hosts call control).
        Raises InvalidSettings or InvalidSecretKey."""
        from baiying.storage.engine import database_url as default_database_url

        env = os.environ if environ is None else environ
        return cls(
            database_url=database_url if database_url is not None else default_database_url(env),
            secret_key=secret_key(var_dir, env),
            session_ttl_seconds=_positive(env, SESSION_TTL_ENV, DEFAULT_SESSION_TTL_SECONDS),
            cookie_secure=_flag(env, COOKIE_SECURE_ENV),
            voice_settings=_existing_file(env, VOICE_SETTINGS_ENV),
        )


def _existing_file(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not Path(value).is_file():
        raise InvalidSettings(f"${name} should name a file, and {value!r} is none", {"variable": name})
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise InvalidSettings(f"${name} should be 1 or 0, not {value!r}", {"variable": name})


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0 or number == float("inf"):
        raise InvalidSettings(
            f"${name} should be a positive number of seconds, not {value!r}", {"variable": name}
        )
    return number
