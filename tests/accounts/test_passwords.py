"""Argon2id hashing: verify, refuse, and say when a stored hash should be renewed."""

import pytest
from argon2 import PasswordHasher

from baiying.accounts.errors import WeakPassword
from baiying.accounts.passwords import MAX_PASSWORD_LENGTH, Passwords, generate_password


def test_a_hash_verifies_its_password_only(passwords: Passwords) -> None:
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse battery!")
    assert not passwords.verify(None, "anything at all")
    assert not passwords.verify("not a hash", "anything at all")
    assert not passwords.verify(stored, "x" * (MAX_PASSWORD_LENGTH + 1))


def test_the_same_password_hashes_differently_each_time(passwords: Passwords) -> None:
    assert passwords.hash("correct horse battery") != passwords.hash("correct horse battery")


def test_a_hash_from_weaker_parameters_needs_rehashing(passwords: Passwords) -> None:
    weak = passwords.hash("correct horse battery")
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert stronger.verify(weak, "correct horse battery")  # old hashes still work...
    assert stronger.needs_rehash(weak)  # ...and are replaced at the next login
    assert not stronger.needs_rehash(stronger.hash("correct horse battery"))
    assert stronger.needs_rehash("not a hash")


def test_the_default_is_argon2s_recommended_profile() -> None:
    default = Passwords().hasher
    recommended = PasswordHasher()
    assert (default.time_cost, default.memory_cost, default.parallelism) == (
        recommended.time_cost,
        recommended.memory_cost,
        recommended.parallelism,
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "a password needs at least 8 characters"),
        ("x" * 1025, "a password has at most 1024 characters"),
    ],
)
def test_weak_passwords_are_refused(passwords: Passwords, password: str, message: str) -> None:
    with pytest.raises(WeakPassword) as refused:
        passwords.hash(password)
    assert refused.value.message == message


def test_generated_passwords_are_long_and_distinct() -> None:
    made = {generate_password() for _ in range(50)}
    assert len(made) == 50
    assert all(len(password) == 16 for password in made)
