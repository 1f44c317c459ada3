"""Parallel first logins that each replace a weak password hash all succeed, on a SQLite file (where a
read transaction that then writes used to fail with "database is locked" as soon as another login had
committed) and on PostgreSQL; each user ends with a strong hash and a working token."""

import threading

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from baiying.accounts.login import Accounts
from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.accounts.tokens import SessionTokens, TokenKind
from baiying.accounts.users import create_user
from baiying.clock import ManualClock
from baiying.storage.engine import make_engine
from baiying.storage.repositories import SiteRepository, Tenants, UserRepository
from baiying.storage.tables import Role, SiteRow
from tests.accounts.conftest import FAST_PASSWORDS, T0

USERS = 8
# Stronger than the hash the users were made with, so every first login rehashes (a write after a read).
STRONGER = Passwords(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))


def test_parallel_logins_that_rehash_all_succeed(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            Tenants(session).add("acme", "Acme", at=T0)
            SiteRepository(session, "acme").add(SiteRow(id="guangzhou", name="Guangzhou"))
            for n in range(USERS):
                create_user(
                    session,
                    "acme",
                    user_id=f"u{n}",
                    login=f"user-{n}",
                    display_name=f"User {n}",
                    password=f"password {n}",
                    grants=[Grant(Role.SUPERVISOR, site_id="guangzhou")],
                    actor="test",
                    at=T0,
                    passwords=FAST_PASSWORDS,
                )
            session.commit()
        clock = ManualClock(T0)
        accounts = Accounts(SessionTokens("s" * 40, clock), clock, passwords=STRONGER)
        start = threading.Barrier(USERS)
        errors: list[BaseException] = []
        tokens: dict[int, str] = {}

        def log_in(n: int) -> None:
            try:
                start.wait(timeout=30)
                with Session(engine) as session:
                    tokens[n] = accounts.log_in(
                        session, f"user-{n}", f"password {n}", "10.0.0.1"
                    ).session.bearer_token
            except BaseException as exc:  # reported in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=log_in, args=(n,)) for n in range(USERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        with Session(engine) as session:
            for n in range(USERS):
                stored = UserRepository(session, "acme").get(f"u{n}").password_hash
                assert stored is not None
                assert not STRONGER.needs_rehash(stored)
                principal, _ = accounts.principal(session, tokens[n], TokenKind.BEARER)
                assert principal.user_id == f"u{n}"
    finally:
        engine.dispose()
