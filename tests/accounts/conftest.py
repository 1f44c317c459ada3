"""Account tests run on an in-memory SQLite database with the schema created directly (the API tests
cover both backends through migrations) and a cheap Argon2 hasher."""

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from baiying.accounts.passwords import Passwords
from baiying.storage.engine import make_engine
from baiying.storage.tables import Base

T0 = 1_795_000_000.0
# The lowest cost argon2 accepts: the tests check behaviour, not resistance to guessing.
FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def passwords() -> Passwords:
    return FAST_PASSWORDS


@pytest.fixture
def session() -> Iterator[Session]:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as opened:
        yield opened
    engine.dispose()
