"""The secret key: from the environment, else generated once into var/secret-key, owner-only."""

import stat
from pathlib import Path

import pytest

from baiying.accounts.errors import InvalidSecretKey
from baiying.accounts.secret import secret_key


def test_the_environment_wins(tmp_path: Path) -> None:
    key = "e" * 40
    assert secret_key(tmp_path, {"BAIYING_SECRET_KEY": f"  {key}\n"}) == key
    assert not (tmp_path / "secret-key").exists()


def test_a_key_is_generated_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    var = tmp_path / "var"
    first = secret_key(var, {})
    path = var / "secret-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 64
    assert secret_key(var, {}) == first
    assert secret_key(var, {"BAIYING_SECRET_KEY": ""}) == first
    assert [p.name for p in var.iterdir()] == ["secret-key"]  # no draft left behind


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidSecretKey, match=r"^the secret key in \$BAIYING_SECRET_KEY is too short \(5 "):
        secret_key(tmp_path, {"BAIYING_SECRET_KEY": "short"})


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    secret_key(tmp_path, {})
    path = tmp_path / "secret-key"
    path.chmod(0o644)
    with pytest.raises(InvalidSecretKey) as refused:
        secret_key(tmp_path, {})
    assert refused.value.message == f"{path} can be read by other users (mode 644): run `chmod 600 {path}`"
