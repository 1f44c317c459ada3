"""The HTTP composition root: `create_app(settings)` wires the account services, the routes and the
error handlers. Nothing connects at import or in `create_app`: the app's startup checks that the
database is migrated (refusing to start otherwise, with the message of `ensure_up_to_date`) and opens
the engine; shutdown disposes of it.

With the live timer it also runs, every few seconds, the notification dispatcher (`baiying.notifications`:
webhook deliveries, SMS and email) and the ticket sweep (SLA warnings and breaches, time-driven rules).

The app also holds the live engine: one `LiveCenter` on the same database (rebuilt from its journal at
startup), its `LiveStats`, and a timer task that fires routing deadlines as they fall due (waking at
least every `live_timer_max_sleep_seconds`, so deadlines set by commands meanwhile are not missed);
`Settings.live_timer=False` leaves the clock to the caller (tests drive a manual clock and call
`center.advance()`).

Once started, everything the startup made (modules, the route table, the routers rebuilt from their
journals, some 250,000 objects) is frozen out of the garbage collector's reach (`gc.freeze`), and the
youngest generation is collected every 10,000 net allocations instead of 700. A full collection walks every
object it holds (and 1,000 agent WebSockets add some 230,000 through their ASGI stacks); it stops every
thread for 100-600 ms, and it ran every 3 to 8 seconds under the benchmark's load (objects of requests in
flight promoted at each young collection): the server's worst latencies (`benchmarks/bench_server.py`).
Rarer young collections promote fewer objects, so full collections become rare too. Shutdown undoes both.

Run it with `baiying serve`, or `uvicorn --factory baiying.api.app:app_from_environment`.
"""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from baiying import __version__
from baiying.accounts.login import DEFAULT_PASSWORDS, Accounts
from baiying.accounts.passwords import Passwords
from baiying.accounts.ratelimit import LoginRateLimiter
from baiying.accounts.tokens import SessionTokens
from baiying.api import errors
from baiying.api.deps import ApiState
from baiying.api.express import ExpressContactRoutes
from baiying.api.limits import BodySizeLimit
from baiying.api.routes import ROUTERS
from baiying.api.routes.chat import ChatCloser
from baiying.api.settings import Settings
from baiying.api.websockets import StreamHub
from baiying.application.callbacks import place_due_callbacks
from baiying.application.center import LiveCenter
from baiying.application.knowledge_candidates import draft_knowledge_candidates
from baiying.application.periodic import run_periodically
from baiying.application.routed_out_tickets import RoutedOutTickets, open_missing
from baiying.application.stats import LiveStats
from baiying.application.tickets import sweep_due
from baiying.clock import Clock, SystemClock
from baiying.knowledge import text
from baiying.notifications.dispatch import Dispatcher, senders_from_environment
from baiying.storage.engine import make_engine
from baiying.storage.migrate import ensure_up_to_date
from baiying.storage.repositories.knowledge import warm_up_search
from baiying.tickets.config import TicketConfig
from baiying.web import install as install_web

if TYPE_CHECKING:
    from baiying.telephony.host import HostedVoice

log = logging.getLogger(__name__)

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
        center = LiveCenter(settings.database_url, used_clock)
        stats = LiveStats(
            center, interval_seconds=settings.stats_interval_seconds, sl_seconds=settings.stats_sl_seconds
        )
        sessions = state.open(engine, center, stats)
        hub = _app.state.streams = StreamHub(center)  # the WebSocket streams' bus subscriber
        chats = ChatCloser(center.bus, sessions, used_clock)  # web chats close as their contacts end
        # Contacts routed out to "ticket" get one: those missed before a restart now, new ones as they go.
        ticket_config = getattr(_app.state, "ticket_config", None)  # None: each tenant's own
        open_missing(sessions, used_clock, ticket_config)
        routed_out = RoutedOutTickets(center.bus, sessions, used_clock, ticket_config)
        timer = (
            asyncio.create_task(run_timer(center, settings.live_timer_max_sleep_seconds), name="live-timer")
            if settings.live_timer
            else None
        )
        background: list[asyncio.Task[None]] = []
        warm_up: asyncio.Task[None] | None = None
        if settings.live_timer:
            warm_up, background = _start_background_work(settings, sessions, center, ticket_config)
        voice = await _host_voice(settings, state, center)
        collector = _GarbageCollectorTuning.start()
        try:
            yield
        finally:
            collector.stop()  # a test process starts many apps: let each one's objects go
            await _stop_voice(state, voice)
            if warm_up is not None:
                await warm_up
            for task in (timer, *background):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            state.close()
            hub.close()
            chats.close()
            routed_out.close()
            stats.close()
            center.close()
            engine.dispose()

    app = FastAPI(
        title="Baiying",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.add_middleware(ExpressContactRoutes, state=state)  # inside the body limit: added first
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.baiying = state
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    install_web(app)  # the browser's pages and their static files (baiying.web)
    return app


class _GarbageCollectorTuning:
    """The collector's settings for a server that holds many long-lived objects (see the module's doc)."""

    YOUNGEST_THRESHOLD = 10_000  # net allocations between young collections (CPython's default: 700)

    def __init__(self, thresholds: tuple[int, int, int], froze: bool) -> None:
        self._thresholds = thresholds
        self._froze = froze

    @classmethod
    def start(cls) -> "_GarbageCollectorTuning":
        """Collect the startup's garbage, freeze what is left and make young collections rarer; nothing
        if objects are frozen already (another app of this process tuned the collector: its to undo)."""
        thresholds = gc.get_threshold()
        if gc.get_freeze_count():
            return cls(thresholds, froze=False)
        gc.collect()
        gc.freeze()
        gc.set_threshold(max(thresholds[0], cls.YOUNGEST_THRESHOLD), thresholds[1], thresholds[2])
        return cls(thresholds, froze=True)

    def stop(self) -> None:
        if self._froze:
            gc.set_threshold(*self._thresholds)
            gc.unfreeze()


def _start_background_work(
    settings: Settings,
    sessions: "sessionmaker[Session]",
    center: LiveCenter,
    ticket_config: TicketConfig | None,
) -> tuple[asyncio.Task[None], list[asyncio.Task[None]]]:
    """The server's own work beside the requests: loading the knowledge-base search indexes once, and
    dispatching notifications, sweeping tickets and placing their due callbacks periodically."""
    clock = center.clock
    dispatcher = Dispatcher(sessions, senders_from_environment(), clock)

    def sweep_tickets() -> None:
        with sessions() as session:
            sweep_due(session, ticket_config, clock.now())
            if draft_knowledge_candidates(session, clock.now()):
                session.commit()
        place_due_callbacks(sessions, center, clock.now())

    def warm_up_knowledge() -> None:
        try:
            text.warm_up()
            with sessions() as session:
                warm_up_search(session)
        except Exception:  # a search loads what it needs anyway
            log.exception("could not load the knowledge-base search indexes ahead")

    # Awaited, not cancelled, at shutdown: its thread would go on using the engine.
    warm_up = asyncio.create_task(asyncio.to_thread(warm_up_knowledge), name="knowledge-warm-up")
    periodic = [
        asyncio.create_task(
            run_periodically("notifications", dispatcher.run_once, settings.notifications_every_seconds),
            name="notifications",
        ),
        asyncio.create_task(
            run_periodically("ticket sweep", sweep_tickets, settings.ticket_sweep_every_seconds),
            name="ticket-sweep",
        ),
    ]
    return warm_up, periodic


async def _host_voice(settings: Settings, state: ApiState, center: LiveCenter) -> "HostedVoice | None":
    """Call control, when the settings name voice settings (imported only then: numpy, the SIP stack),
    handed to the API's voice routes."""
    if settings.voice_settings is None:
        return None
    from baiying.telephony.host import host_call_control, read_voice_settings

    voice = await host_call_control(read_voice_settings(Path(settings.voice_settings)), center)
    state.call_control = voice.control
    return voice


async def _stop_voice(state: ApiState, voice: "HostedVoice | None") -> None:
    state.call_control = None
    if voice is not None:
        await voice.close()


async def run_timer(center: LiveCenter, max_sleep_seconds: float) -> None:
    """Fire the center's deadlines as they fall due, until cancelled. The center's calls block (they
    commit to the database), so they run in a worker thread; a failure is logged and retried."""
    while True:
        try:
            due = await asyncio.to_thread(center.next_due)
            wait = (
                max_sleep_seconds
                if due is None
                else min(max(0.0, due - center.clock.now()), max_sleep_seconds)
            )
            if wait > 0:
                await asyncio.sleep(wait)
            due = await asyncio.to_thread(center.next_due)
            if due is not None and due <= center.clock.now():
                await asyncio.to_thread(center.advance)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the live timer failed to advance the center; retrying")
            await asyncio.sleep(max_sleep_seconds)


def app_from_environment() -> FastAPI:
    """The app configured from `BAIYING_*` variables (see `Settings.from_environment`)."""
    return create_app(Settings.from_environment())
