"""Background work the server repeats: the notification dispatcher, the ticket sweep."""

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


async def run_periodically(name: str, step: Callable[[], object], every_seconds: float) -> None:
    """Call `step` every `every_seconds` until cancelled. Steps block (database, network), so each runs
    in a worker thread; a failed step is logged and the next one runs on time."""
    while True:
        try:
            await asyncio.to_thread(step)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; trying again in %g s", name, every_seconds)
        await asyncio.sleep(every_seconds)
