"""The server's secret key, which signs session tokens and cookies.

`BAIYING_SECRET_KEY` when set (at least 32 characters); otherwise a random key made on first start and
kept in `var/secret-key`, readable by its owner only. Every process sharing a database must share the
key (set the variable, or share the file), or sessions opened by one are refused by the others.
"""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from baiying.accounts.errors import InvalidSecretKey

SECRET_KEY_ENV = "BAIYING_SECRET_KEY"
SECRET_KEY_FILE = "secret-key"
MIN_SECRET_KEY_LENGTH = 32
GENERATED_KEY_BYTES = 48
OWNER_ONLY = 0o600


def secret_key(var_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """The key from the environment, else from (or newly written to) `var_dir/secret-key`.

    Raises InvalidSecretKey for a key shorter than 32 characters, or a key file others may read.
    """
    env = os.environ if environ is None else environ
    configured = env.get(SECRET_KEY_ENV, "").strip()
    if configured:
        return _checked(configured, f"${SECRET_KEY_ENV}")
    path = var_dir / SECRET_KEY_FILE
    if not path.exists():
        _create(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise InvalidSecretKey(
            f"{path} can be read by other users (mode {mode:o}): run `chmod 600 {path}`",
            {"path": str(path), "mode": f"{mode:o}"},
        )
    return _checked(path.read_text(encoding="utf-8").strip(), str(path))


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(GENERATED_KEY_BYTES) + "\n")
        # A hard link appears whole or not at all, and fails if another server made the key first.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)


def _checked(key: str, source: str) -> str:
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise InvalidSecretKey(
            f"the secret key in {source} is too short ({len(key)} characters; at least "
            f"{MIN_SECRET_KEY_LENGTH}): generate one with `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`",
            {"source": source, "min_length": MIN_SECRET_KEY_LENGTH},
        )
    return key
