"""The HTTP composition root: `create_app(settings)` wires the account services, the routes and the
error handlers. Nothing connects at import or in `create_app`: the app's startup checks that the
database is migrated (refusing to start otherwise, with the message of `ensure_up_to_date`) and opens
the engine; shutdown disposes of it.

Run it with `baiying serve`, or `uvicorn --factory baiying.api.app:app_from_environment`.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from baiying import __version__
from baiying.accounts.login import DEFAULT_PASSWORDS, Accounts
from baiying.accounts.passwords import Passwords
from baiying.accounts.ratelimit import LoginRateLimiter
from baiying.accounts.tokens import SessionTokens
from baiying.api import errors
from baiying.api.deps import ApiState
from baiying.api.limits import BodySizeLimit
from baiying.api.routes import ROUTERS
from baiying.api.settings import Settings
from baiying.clock import Clock, SystemClock
from baiying.storage.engine import make_engine
from baiying.storage.migrate import ensure_up_to_date

DESCRIPTION = """\
Baiying's HTTP API. Log in with `POST /api/auth/login`, then send the returned token as
`Authorization: Bearer <token>` (or let the browser send the session cookie). Every error is
`{"error": {"code", "message", "details"}}` with a stable `code`.
"""


def open_database(url: str) -> Engine:
    """The engine for a database migrated to the code's revision; raises DatabaseNotMigrated (saying
    what to run) or DatabaseUnavailable before anything is served."""
    ensure_up_to_date(url)
    return make_engine(url)


def create_app(
    settings: Settings, *, clock: Clock | None = None, passwords: Passwords | None = None
) -> FastAPI:
    """The API app. `clock` defaults to the system clock, `passwords` to Argon2id's recommended
    parameters; tests pass a manual clock and a cheaper hasher."""
    used_clock = clock if clock is not None else SystemClock()
    tokens = SessionTokens(settings.secret_key, used_clock, ttl_seconds=settings.session_ttl_seconds)
    limiter = LoginRateLimiter(settings.login_max_failures, settings.login_window_seconds)
    accounts = Accounts(
        tokens,
        used_clock,
        passwords=passwords if passwords is not None else DEFAULT_PASSWORDS,
        limiter=limiter,
    )
    state = ApiState(settings, used_clock, accounts)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        engine = open_database(settings.database_url)
        state.sessions = sessionmaker(engine, expire_on_commit=False)
        try:
            yield
        finally:
            state.sessions = None
            engine.dispose()

    app = FastAPI(
        title="Baiying",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.baiying = state
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_environment() -> FastAPI:
    """The app configured from `BAIYING_*` variables (see `Settings.from_environment`)."""
    return create_app(Settings.from_environment())
