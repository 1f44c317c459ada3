"""The Kamailio switch: Kamailio's configuration from settings, and the evapi link that carries Baiying's
commands to Kamailio and Kamailio's call events back.

Messages from Kamailio (JSON in netstrings): `offer` (an INVITE to a queue is held; `tindex`/`tlabel` name
the suspended transaction), `agent_failed` (the phone did not take the call; the INVITE is held again,
with a new handle), `cancel` (the caller hung up before an answer), `answered`/`ended` (dialog start and
end), `register`. Messages to Kamailio resume a held INVITE: `{"tindex", "tlabel", "target", "ring_ms"}`
rings a phone, `{"tindex", "tlabel", "code", "reason"}` ends the call with a final reply.
"""

import asyncio
import json
import logging
from importlib.resources import files
from typing import Any

from baiying.telephony import netstring
from baiying.telephony.settings import VoiceSettings
from baiying.telephony.switch import (
    AgentAnswered,
    AgentFailed,
    CallArrived,
    CallEnded,
    CallerAbandoned,
    CallEvent,
    CallEventHandler,
    PhoneRegistered,
    TelephonyError,
    Unimplemented,
)

logger = logging.getLogger(__name__)

REASONS = {
    480: "Temporarily Unavailable",
    486: "Busy Here",
    487: "Request Terminated",
    503: "Service Unavailable",
}
DEFAULT_EXPIRES = 3600


def render_config(settings: VoiceSettings) -> str:
    """kamailio.cfg for these settings. Every `{{name}}` of the template is filled, or ValueError."""
    template = files("baiying.telephony").joinpath("kamailio.cfg.tmpl").read_text(encoding="utf-8")
    values = {
        "sip_address": str(settings.sip.address),
        "sip_port": str(settings.sip.port),
        "rpc_address": str(settings.rpc.address),
        "rpc_port": str(settings.rpc.port),
        "evapi_address": str(settings.evapi.address),
        "evapi_port": str(settings.evapi.port),
        "queue_prefix": settings.queue_prefix,
        "queue_prefix_len": str(len(settings.queue_prefix)),
        "max_inv_lifetime_ms": str(int(settings.max_queue_seconds * 1000)),
        "queued_expire_s": str(int(settings.max_queue_seconds) + 60),
        "modules_path": settings.modules_path,
    }
    text = template
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        start = text.index("{{")
        raise ValueError(f"kamailio template has an unfilled placeholder {text[start : start + 40]!r}")
    return text


class KamailioSwitch(Unimplemented):
    """A `Switch` over Kamailio's evapi link. Commands write to the link at once (no await) and must run
    on the loop that runs `serve()`; events are handed to the handlers on that loop, in order."""

    name = "kamailio"

    def __init__(self, settings: VoiceSettings) -> None:
        self.settings = settings
        self.held: dict[str, tuple[int, int]] = {}  # call id → suspended transaction (index, label)
        self._handlers: list[CallEventHandler] = []
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None

    def on_event(self, handler: CallEventHandler) -> None:
        self._handlers.append(handler)

    async def connect(self, *, timeout_seconds: float = 10.0) -> None:
        """Connect to evapi, retrying while Kamailio starts; TelephonyError after `timeout_seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        address, port = str(self.settings.evapi.address), self.settings.evapi.port
        while True:
            try:
                self._reader, self._writer = await asyncio.open_connection(address, port)
                return
            except OSError as error:
                if loop.time() >= deadline:
                    where = f"{address}:{port} after {timeout_seconds:g} s"
                    raise TelephonyError(f"cannot reach Kamailio evapi at {where}: {error}") from error
                await asyncio.sleep(0.2)

    async def serve(self) -> None:
        """Read Kamailio's messages until the link closes (TelephonyError) or the task is cancelled."""
        if self._reader is None:
            raise TelephonyError("not connected to Kamailio: call connect() first")
        while True:
            try:
                payload = await netstring.read(self._reader)
            except asyncio.IncompleteReadError as error:
                raise TelephonyError("Kamailio closed the evapi link") from error
            try:
                message = json.loads(payload)
            except ValueError:
                logger.warning("not JSON from Kamailio: %r", payload[:200])
                continue
            event = self.translate(message)
            if event is not None:
                for handler in self._handlers:
                    handler(event)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def translate(self, message: dict[str, Any]) -> CallEvent | None:
        """One Kamailio message as a call event (None for what call control need not know)."""
        kind = message.get("event")
        call_id = str(message.get("callid", ""))
        if kind in ("offer", "agent_failed"):
            self.held[call_id] = (int(message["tindex"]), int(message["tlabel"]))
        if kind == "offer":
            return CallArrived(call_id, str(message.get("queue", "")), str(message.get("from", "")))
        if kind == "agent_failed":
            return AgentFailed(call_id, str(message.get("agent", "")), int(message.get("code", 0)))
        if kind == "cancel":
            return CallerAbandoned(call_id)
        if kind == "answered":
            return AgentAnswered(call_id, str(message.get("agent", "")))
        if kind == "ended":
            self.held.pop(call_id, None)
            return CallEnded(call_id)
        if kind == "register":
            expires = str(message.get("expires", "")).strip()
            return PhoneRegistered(
                "", str(message.get("user", "")), int(expires) if expires.isdigit() else DEFAULT_EXPIRES
            )
        logger.info("unknown message from Kamailio: %s", message)
        return None

    def _resume(self, call_id: str, doing: str, **fields: Any) -> None:
        handle = self.held.pop(call_id, None)
        if handle is None:
            raise TelephonyError(
                f"cannot {doing} call {call_id}: Kamailio is not holding it", call_id=call_id
            )
        if self._writer is None:
            raise TelephonyError("not connected to Kamailio", call_id=call_id)
        message = {"tindex": handle[0], "tlabel": handle[1], **fields}
        self._writer.write(netstring.encode(json.dumps(message).encode()))

    # -- Switch commands --

    def queue(self, call_id: str) -> None:
        if call_id not in self.held:
            raise TelephonyError(f"cannot queue call {call_id}: Kamailio is not holding it", call_id=call_id)
        # Kamailio already answered "180 Queued"; hold music comes with rtpengine (next slice).

    def bridge(self, call_id: str, agent: str, *, ring_seconds: float) -> None:
        if ring_seconds <= 0:
            raise TelephonyError(f"ring time must be positive, not {ring_seconds}", call_id=call_id)
        self._resume(call_id, "ring an agent for", target=agent, ring_ms=int(ring_seconds * 1000))

    def hangup(self, call_id: str, *, code: int = 487) -> None:
        if not 400 <= code <= 699:
            raise TelephonyError(f"a held call ends with a 4xx-6xx reply, not {code}", call_id=call_id)
        self._resume(call_id, "hang up", code=code, reason=REASONS.get(code, "Call Ended"))
