"""Running the dispatcher: inside the server (an asyncio task) or alone (`baiying notifications dispatch`)."""

import asyncio
import logging

from baiying.notifications.dispatch import Dispatcher

log = logging.getLogger(__name__)


async def run_dispatcher(dispatcher: Dispatcher, every_seconds: float) -> None:
    """Relay events and send what is due every `every_seconds`, until cancelled. The database and the
    senders block, so each round runs in a worker thread; a failed round is logged and retried."""
    while True:
        try:
            report = await asyncio.to_thread(dispatcher.run_once)
            if report.sent or report.failed or report.retrying:
                log.info("notifications: %s", report)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the notification dispatcher failed; retrying")
        await asyncio.sleep(every_seconds)
