"""Building a tenant's router from the database: the configuration its journal began with, then every
journaled command replayed at its recorded time.

An epoch of the journal starts with a `configure` entry holding the routing configuration (as the spec a
routing file would give) and the sites' statuses; the router is rebuilt from the newest such entry, so the
configuration the commands were decided under is the one they are replayed under, even if an admin has
edited the tables since. A new epoch is begun only while the router holds no contact and no agent (see
`LiveCenter.reconfigure`), which is also what makes it a checkpoint: nothing before it is needed again.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from baiying.application.commands import Command, Engine, execute
from baiying.errors import DomainError
from baiying.ids import SiteId
from baiying.routing.config import RoutingSpec, compile_spec
from baiying.routing.model import SiteStatus
from baiying.routing.router import Router
from baiying.storage.journal import JournalEntry, RouterJournal
from baiying.storage.repositories import SiteRepository, routing_spec

logger = logging.getLogger(__name__)

REPLAY_PAGE = 5_000  # journal entries read per query while replaying


@dataclass(frozen=True, slots=True)
class Replay:
    """What a rebuild did: the epoch it started from, how many commands it replayed, and how long it took."""

    epoch_sequence: int  # the journal sequence of the `configure` entry
    commands: int
    skipped: int  # commands the router refused on replay (none unless the routing code changed)
    seconds: float
    last_at: float  # the time of the newest journaled command: the clock never goes back before it


def configure_payload(session: Session, tenant_id: str) -> dict[str, Any]:
    """The tenant's routing configuration and its sites' statuses as stored now, as a `configure` payload.

    Raises UnknownEntity for an unknown tenant and ConfigError when the stored configuration is invalid.
    """
    spec = routing_spec(session, tenant_id)
    statuses = {
        row.id: row.status
        for row in SiteRepository(session, tenant_id).list()
        if row.status != SiteStatus.OPEN
    }
    return {"spec": spec.model_dump(mode="json"), "site_status": statuses}


def same_configuration(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return RoutingSpec.model_validate(a["spec"]) == RoutingSpec.model_validate(b["spec"])


def configured_router(payload: dict[str, Any], at: float) -> Router:
    router = Router(compile_spec(RoutingSpec.model_validate(payload["spec"])))
    for site_id, status in payload.get("site_status", {}).items():
        router.set_site_status(SiteId(site_id), SiteStatus(status), at)
    return router


def begin_epoch(session: Session, journal: RouterJournal, tenant_id: str, at: float) -> tuple[Engine, Replay]:
    """Journal a `configure` entry with the stored configuration (in the caller's transaction) and build
    its empty router."""
    payload = configure_payload(session, tenant_id)
    router = configured_router(payload, at)  # first: an invalid configuration journals nothing
    sequence = journal.append(session, tenant_id, at, Command.CONFIGURE, payload)
    return Engine(router), Replay(sequence, 0, 0, 0.0, at)


def replay(
    session: Session, journal: RouterJournal, tenant_id: str
) -> tuple[Engine, Replay, JournalEntry] | None:
    """Rebuild the router from the newest epoch of the tenant's journal; None when it has no journal yet.

    Nothing is written: the events of every replayed command were committed with it.
    """
    started = time.perf_counter()
    epoch = journal.last(session, tenant_id, Command.CONFIGURE)
    if epoch is None:
        return None
    engine = Engine(configured_router(dict(epoch.payload), epoch.at))
    last_at, count, skipped, after = epoch.at, 0, 0, epoch.sequence
    while True:
        page = journal.read(session, tenant_id, after, limit=REPLAY_PAGE)
        for entry in page:
            try:
                execute(engine, entry.command, entry.payload, entry.at, record=False)
            except DomainError as exc:
                # The live router accepted this command; refusing it now means the routing code changed
                # since. Carry on: the rest of the state is still the best there is.
                skipped += 1
                logger.error(
                    "tenant %s: journal entry %d (%s) refused on replay: %s",
                    tenant_id,
                    entry.sequence,
                    entry.command,
                    exc,
                )
            last_at = entry.at
        count += len(page)
        if len(page) < REPLAY_PAGE:
            break
        after = page[-1].sequence
    seconds = time.perf_counter() - started
    return engine, Replay(epoch.sequence, count, skipped, seconds, last_at), epoch
