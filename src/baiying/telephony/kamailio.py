"""The Kamailio switch: Kamailio's configuration from settings, and the evapi link that carries Baiying's
commands to Kamailio and Kamailio's call events back.

Messages from Kamailio (JSON in netstrings): `offer` (an INVITE to a queue is held; `tindex`/`tlabel` name
the suspended transaction, `ftag` and `sdp` (base64) are the caller's tag and offer), `held` (the INVITE is
held again after early media, with a new handle), `agent_failed` (the phone did not take the call; the
INVITE is held again, with a new handle), `cancel` (the caller hung up before an answer),
`answered`/`ended` (dialog start and end), `register`. Messages to Kamailio resume a held INVITE:
`{"tindex", "tlabel", "target", "ring_ms"}` rings a phone, `{"tindex", "tlabel", "code", "reason"}` ends
the call with a final reply, `{"tindex", "tlabel", "early": SDP}` sends early media (183) with rtpengine's
SDP for the caller.

Media (prompts, music, digits, recording through rtpengine) is the `RtpengineMedia` mixin (`media.py`);
supervisor monitoring (rtpengine subscriptions, call control's own SIP UA) the `RtpengineSupervision`
mixin (`supervision.py`).
"""

import asyncio
import base64
import binascii
import itertools
import json
import logging
import re
from collections.abc import Callable
from functools import partial
from importlib.resources import files
from typing import Any

from baiying.telephony import netstring
from baiying.telephony.media import Collecting, RtpengineMedia
from baiying.telephony.rtpengine import NgClient
from baiying.telephony.settings import VoiceSettings
from baiying.telephony.sipua import SipUserAgent
from baiying.telephony.supervision import RtpengineSupervision
from baiying.telephony.switch import (
    AgentAnswered,
    AgentFailed,
    CallArrived,
    CallEnded,
    CallerAbandoned,
    CallEvent,
    CallEventHandler,
    CallLost,
    PhoneRegistered,
    TelephonyError,
    TransferRequested,
    Unimplemented,
)

logger = logging.getLogger(__name__)

RPC_FAILURES = (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)
INSTANCE_RETRY_SECONDS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2)  # asking a just-linked Kamailio when it started
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
        "rtpengine_address": str(settings.rtpengine.address),
        "rtpengine_port": str(settings.rtpengine.port),
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


class KamailioSwitch(RtpengineMedia, RtpengineSupervision, Unimplemented):
    """A `Switch` over Kamailio's evapi link (and rtpengine's NG socket for media, when given). Commands
    write to the link at once (no await) and must run on the loop that runs `serve()`; media commands run
    as tasks, in order per call; events are handed to the handlers on that loop, in order."""

    name = "kamailio"

    def __init__(
        self, settings: VoiceSettings, media: NgClient | None = None, user_agent: SipUserAgent | None = None
    ) -> None:
        """`user_agent`: call control's own SIP UA, which calls supervisors' phones (`monitor`)."""
        self.settings = settings
        self.media = media
        self.user_agent = user_agent
        self.monitors: dict[str, dict[str, str]] = {}
        self.supervisor_of: dict[str, str] = {}
        if user_agent is not None:
            user_agent.on_ended = self._supervisor_left
        self.held: dict[str, tuple[int, int]] = {}  # call id → suspended transaction (index, label)
        self.offers: dict[str, tuple[str, str]] = {}  # call id → the caller's (tag, SDP)
        self.playing: set[str] = set()
        self.collecting: dict[str, Collecting] = {}
        self.opening: dict[str, list[Callable[[], None]]] = {}  # call id → commands until it is held again
        self.recording: dict[str, int] = {}  # call id → rtpengine's port facing its caller
        self.dialogs: dict[str, tuple[str, str]] = {}  # connected call id → its (from tag, to tag)
        self.parties: dict[str, tuple[str, str, str]] = {}  # call id → caller's (Contact, From, To URI)
        self.referred: set[str] = set()  # calls whose caller Kamailio sent a REFER on Baiying's behalf
        self.media_errors: list[str] = []
        self.reconnects = 0
        self.instance: str | None = None  # which run of Kamailio the link is to (when it started)
        self._cseq = itertools.count(1000)  # requests Kamailio sends inside a call, as its callee side
        self._chains: dict[str, asyncio.Future[None]] = {}
        self._handlers: list[CallEventHandler] = []
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None
        self._dtmf_transport: asyncio.DatagramTransport | None = None
        self._instance_retry: asyncio.Task[None] | None = None  # asking a just-started Kamailio again

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
            except ConnectionError as error:  # reset: Kamailio was killed, or the TCP link broke
                raise TelephonyError(f"the evapi link broke: {error}") from error
            try:
                message = json.loads(payload)
            except ValueError:
                logger.warning("not JSON from Kamailio: %r", payload[:200])
                continue
            event = self.translate(message)
            if event is not None:
                self._emit(event)

    async def serve_forever(self, *, retry_seconds: float = 1.0) -> None:
        """`serve()`, reconnecting whenever the link drops (Kamailio restarted, or the TCP link broke),
        until cancelled. `reconnects` counts the links re-established. Calls Kamailio still holds keep their
        handles across a reconnect; after a restart of Kamailio they are gone: on each link the switch asks
        Kamailio when it started (`_check_instance`) and reports the calls of an earlier run `CallLost`."""
        while True:
            linked = self._reader is not None  # (not yet connected: connect first)
            if linked:
                try:
                    await self.serve()
                except TelephonyError as error:
                    logger.warning("%s: reconnecting", error)
                self._drop_link()
            while True:
                try:
                    await self.connect(timeout_seconds=retry_seconds)
                    break
                except TelephonyError as error:
                    logger.warning("%s", error)
            if linked:
                self.reconnects += 1
            await self._check_instance()

    def _drop_link(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._writer = self._reader = None

    def close(self) -> None:
        self._stop_asking_instance()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._close_media()

    def _emit(self, event: CallEvent) -> None:
        for handler in self._handlers:
            handler(event)

    def translate(self, message: dict[str, Any]) -> CallEvent | None:
        """One Kamailio message as a call event (None for what call control need not know)."""
        kind = message.get("event")
        call_id = str(message.get("callid", ""))
        if kind in ("offer", "agent_failed"):
            self.held[call_id] = (int(message["tindex"]), int(message["tlabel"]))
        if kind == "held":
            self.held[call_id] = (int(message["tindex"]), int(message["tlabel"]))
            self._opened(call_id)
            return None
        if kind == "offer":
            contact = re.search(r"<?(sips?:[^>;\s]+)", str(message.get("contact", "")))
            if contact is not None:
                uris = (str(message.get("from_uri", "")), str(message.get("to_uri", "")))
                self.parties[call_id] = (contact.group(1), *uris)
            self.offers[call_id] = (str(message.get("ftag", "")), _base64(message.get("sdp", "")))
            return CallArrived(
                call_id,
                str(message.get("queue", "")),
                str(message.get("from", "")),
                str(message.get("referred_by", "")),
            )
        if kind == "refer":
            target = re.search(r"sips?:([^@;>]+)@", str(message.get("target", "")))
            prefix = self.settings.queue_prefix
            if target is None or not target.group(1).startswith(prefix):
                logger.info("a transfer to %s is not to a queue: left to the phones", message.get("target"))
                return None
            return TransferRequested(call_id, target.group(1)[len(prefix) :])
        if kind == "agent_failed":
            return AgentFailed(call_id, str(message.get("agent", "")), int(message.get("code", 0)))
        if kind == "cancel":
            self._release_media(call_id)
            return CallerAbandoned(call_id)
        if kind == "answered":
            self.dialogs[call_id] = (str(message.get("ftag", "")), str(message.get("ttag", "")))
            if call_id in self.playing:
                self.playing.discard(call_id)
                tag, _ = self.offers.get(call_id, ("", ""))
                self._media_task(call_id, "stop the music of", self._stop(call_id, tag))
            return AgentAnswered(call_id, str(message.get("agent", "")))
        if kind == "ended":
            self.held.pop(call_id, None)
            self.dialogs.pop(call_id, None)
            self.parties.pop(call_id, None)
            self._end_monitors(call_id)
            self._release_media(call_id)
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
        if self._after_opening(call_id, partial(self.bridge, call_id, agent, ring_seconds=ring_seconds)):
            return
        self._resume(call_id, "ring an agent for", target=agent, ring_ms=int(ring_seconds * 1000))

    def transfer(self, call_id: str, target: str) -> None:
        """Transfer the caller of a connected call to the queue dialled as `target`: a REFER to the
        caller's phone inside its dialog, sent by Kamailio (JSON-RPC `tm.t_uac_start`), as if from the
        agent's side; the phone then calls the queue (a `CallArrived`)."""
        if call_id not in self.dialogs or call_id not in self.parties:
            raise TelephonyError(f"cannot transfer call {call_id}: it is not connected", call_id=call_id)
        sip = self.settings.sip
        self.referred.add(call_id)
        self._request_caller(
            call_id, "REFER", f"Refer-To: <sip:{self.settings.queue_prefix}{target}@{sip.address}>\r\n"
        )

    def _request_caller(self, call_id: str, method: str, extra_headers: str) -> None:
        """A request to the caller's phone inside its call, as from the callee's side (JSON-RPC)."""
        (caller_tag, callee_tag), (contact, caller_uri, dialled_uri) = (
            self.dialogs[call_id],
            self.parties[call_id],
        )
        sip = self.settings.sip
        headers = (
            f"From: <{dialled_uri}>;tag={callee_tag}\r\nTo: <{caller_uri}>;tag={caller_tag}\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {next(self._cseq)} {method}\r\n{extra_headers}"
            f"Contact: <sip:baiying@{sip.address}:{sip.port}>\r\nMax-Forwards: 70\r\n"
        )
        request = {"jsonrpc": "2.0", "id": 1, "method": "tm.t_uac_start",
                   "params": [method, contact, ".", ".", headers, ""]}  # fmt: skip
        self._media_task(call_id, f"send {method} to the caller of", self._rpc(call_id, request))

    async def _rpc(self, call_id: str, request: dict[str, Any]) -> None:
        """One JSON-RPC request to Kamailio; a failure is logged and kept."""
        try:
            reply = await self._rpc_exchange(request)
        except RPC_FAILURES as error:
            self.media_errors.append(f"{request['method']} for {call_id}: {error!r}")
            return
        if b'"error"' in reply:
            self.media_errors.append(f"{request['method']} for {call_id}: {reply[-300:]!r}")

    async def _rpc_exchange(self, request: dict[str, Any]) -> bytes:
        """One JSON-RPC request to Kamailio over HTTP (xhttp + jsonrpcs), its reply's body. The reply is
        read by its Content-Length: Kamailio keeps the connection open."""
        body = json.dumps(request).encode()
        address, port = str(self.settings.rpc.address), self.settings.rpc.port
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), 5)
        try:
            head = b"POST /RPC HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n" % address.encode()
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            headers = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            length = re.search(rb"(?i)content-length:\s*(\d+)", headers)
            return await asyncio.wait_for(reader.readexactly(int(length.group(1)) if length else 0), 5)
        finally:
            writer.close()

    async def kamailio_instance(self) -> str | None:
        """Which run of Kamailio answers: when it started (JSON-RPC `core.uptime`'s `up_since`); None when
        its JSON-RPC does not answer (or answers something else)."""
        try:
            reply = json.loads(await self._rpc_exchange({"jsonrpc": "2.0", "id": 1, "method": "core.uptime"}))
        except (*RPC_FAILURES, ValueError) as error:
            logger.warning("Kamailio's JSON-RPC did not say when it started: %r", error)
            return None
        result = reply.get("result") if isinstance(reply, dict) else None
        started = result.get("up_since") if isinstance(result, dict) else None
        return str(started) if started is not None else None

    async def _check_instance(self) -> None:
        """After (re)connecting: a Kamailio that restarted since the last link knows none of the calls it
        held or connected before. Each is reported `CallLost` and forgotten here, so call control closes
        its contact; nothing is left waiting for a Kamailio that will never report on it.

        A Kamailio that has just started may link to us before its JSON-RPC listens (its children start one
        by one; slower on a busy machine): then it is asked again in the background, at growing intervals
        for some 6 s, while the link is served, about the calls known when the link was made."""
        self._stop_asking_instance()  # a retry for an earlier link: its question is this link's now
        known = set(self.offers) | set(self.held) | set(self.dialogs)
        instance = await self.kamailio_instance()
        if instance is not None:
            self._settle_instance(instance, known)
            return
        self._instance_retry = asyncio.create_task(self._ask_instance_again(known), name="kamailio-instance")

    def _stop_asking_instance(self) -> None:
        if self._instance_retry is not None:
            self._instance_retry.cancel()
            self._instance_retry = None

    async def _ask_instance_again(self, known: set[str]) -> None:
        for delay in INSTANCE_RETRY_SECONDS:
            await asyncio.sleep(delay)
            instance = await self.kamailio_instance()
            if instance is not None:
                self._settle_instance(instance, known)
                return

    def _settle_instance(self, instance: str, known: set[str]) -> None:
        previous, self.instance = self.instance, instance
        if previous is None or previous == instance:
            return
        lost = sorted(c for c in known if c in self.offers or c in self.held or c in self.dialogs)
        if lost:
            logger.warning("Kamailio restarted (up since %s): %d calls are gone", instance, len(lost))
        for call_id in lost:
            self.held.pop(call_id, None)
            self.dialogs.pop(call_id, None)
            self.parties.pop(call_id, None)
            self.opening.pop(call_id, None)
            self._end_monitors(call_id)
            self._release_media(call_id)  # rtpengine still has the call: deleted (and its recording kept)
            self._emit(CallLost(call_id))

    def hangup(self, call_id: str, *, code: int = 487) -> None:
        """A held call ends with the final reply `code`; a connected one with a BYE to both phones."""
        if self._after_opening(call_id, partial(self.hangup, call_id, code=code)):
            return
        dialog = self.dialogs.get(call_id)
        if call_id not in self.held and dialog is not None:
            if self._writer is None:
                raise TelephonyError("not connected to Kamailio", call_id=call_id)
            message = {"bye": call_id, "ftag": dialog[0], "ttag": dialog[1]}
            if call_id in self.referred:
                # the caller's phone counts our REFER's CSeq: its BYE follows on, from us too
                message["side"] = "callee"
                self._request_caller(call_id, "BYE", "")
            self._writer.write(netstring.encode(json.dumps(message).encode()))
            del self.dialogs[call_id]
            self._end_monitors(call_id)
            self._release_media(call_id)  # Kamailio reports no dialog end for the dialogs it ends itself
            return
        if not 400 <= code <= 699:
            raise TelephonyError(f"a held call ends with a 4xx-6xx reply, not {code}", call_id=call_id)
        self._resume(call_id, "hang up", code=code, reason=REASONS.get(code, "Call Ended"))


def _base64(text: object) -> str:
    try:
        return base64.b64decode(str(text), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""
