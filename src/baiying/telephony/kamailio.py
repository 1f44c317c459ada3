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

Media (with an rtpengine NG client): `open_media` has rtpengine answer the caller's offer with a placeholder
far end (port 9, discard) so the caller has a media path before any agent; Kamailio's own rtpengine_offer /
rtpengine_answer later point the far end at the agent's phone. Prompts and music are rtpengine's `play
media` to the caller's tag; the caller's digits come from rtpengine's DTMF log socket (JSON over UDP).
"""

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from baiying.telephony import netstring
from baiying.telephony.rtpengine import NgClient, NgError, NgProtocolError, NgTimeout
from baiying.telephony.settings import VoiceSettings
from baiying.telephony.switch import (
    AgentAnswered,
    AgentFailed,
    CallArrived,
    CallEnded,
    CallerAbandoned,
    CallEvent,
    CallEventHandler,
    CallRecorded,
    DigitsCollected,
    NotSupported,
    PhoneRegistered,
    TelephonyError,
    TransferRequested,
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
DTMF_KEYS = "0123456789*#"  # RFC 4733 events 0-11
LOOP_TIMES = 1000  # "loop" hold music: rtpengine repeats a file a given number of times
# The far end of a call whose caller is in the IVR or the queue: nobody yet (the discard port).
PLACEHOLDER_SDP = (
    "v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"
)
PLACEHOLDER_TAG = "baiying-hold"


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


@dataclass(slots=True)
class Collecting:
    wanted: int
    digits: str
    timer: asyncio.TimerHandle


class _DtmfLog(asyncio.DatagramProtocol):
    def __init__(self, switch: "KamailioSwitch") -> None:
        self.switch = switch

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            logger.warning("not JSON on the DTMF log socket: %r", data[:200])
            return
        if isinstance(message, dict):
            self.switch.dtmf(message)


class KamailioSwitch(Unimplemented):
    """A `Switch` over Kamailio's evapi link (and rtpengine's NG socket for media, when given). Commands
    write to the link at once (no await) and must run on the loop that runs `serve()`; media commands run
    as tasks, in order per call; events are handed to the handlers on that loop, in order."""

    name = "kamailio"

    def __init__(self, settings: VoiceSettings, media: NgClient | None = None) -> None:
        self.settings = settings
        self.media = media
        self.held: dict[str, tuple[int, int]] = {}  # call id → suspended transaction (index, label)
        self.offers: dict[str, tuple[str, str]] = {}  # call id → the caller's (tag, SDP)
        self.playing: set[str] = set()
        self.collecting: dict[str, Collecting] = {}
        self.recording: dict[str, int] = {}  # call id → rtpengine's port facing its caller
        self.dialogs: dict[str, tuple[str, str]] = {}  # connected call id → its (from tag, to tag)
        self.media_errors: list[str] = []
        self.reconnects = 0
        self._chains: dict[str, asyncio.Future[None]] = {}
        self._handlers: list[CallEventHandler] = []
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None
        self._dtmf_transport: asyncio.DatagramTransport | None = None

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
                self._emit(event)

    async def serve_forever(self, *, retry_seconds: float = 1.0) -> None:
        """`serve()`, reconnecting whenever the link drops (Kamailio restarted, or the TCP link broke),
        until cancelled. `reconnects` counts the links re-established. Calls Kamailio still holds keep their
        handles across a reconnect; after a restart of Kamailio they are gone (a resume is refused)."""
        while True:
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
            self.reconnects += 1

    def _drop_link(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._writer = self._reader = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._dtmf_transport is not None:
            self._dtmf_transport.close()
            self._dtmf_transport = None
        for collecting in self.collecting.values():
            collecting.timer.cancel()
        self.collecting.clear()

    async def listen_dtmf(self) -> None:
        """Receive rtpengine's DTMF reports (its --dtmf-log-dest) from now on."""
        loop = asyncio.get_running_loop()
        address = (str(self.settings.dtmf_log.address), self.settings.dtmf_log.port)
        transport, _ = await loop.create_datagram_endpoint(lambda: _DtmfLog(self), local_addr=address)
        self._dtmf_transport = transport

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
            return None
        if kind == "offer":
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
        self._resume(call_id, "ring an agent for", target=agent, ring_ms=int(ring_seconds * 1000))

    def hangup(self, call_id: str, *, code: int = 487) -> None:
        """A held call ends with the final reply `code`; a connected one with a BYE to both phones."""
        dialog = self.dialogs.get(call_id)
        if call_id not in self.held and dialog is not None:
            if self._writer is None:
                raise TelephonyError("not connected to Kamailio", call_id=call_id)
            message = {"bye": call_id, "ftag": dialog[0], "ttag": dialog[1]}
            self._writer.write(netstring.encode(json.dumps(message).encode()))
            del self.dialogs[call_id]
            self._release_media(call_id)  # Kamailio reports no dialog end for the dialogs it ends itself
            return
        if not 400 <= code <= 699:
            raise TelephonyError(f"a held call ends with a 4xx-6xx reply, not {code}", call_id=call_id)
        self._resume(call_id, "hang up", code=code, reason=REASONS.get(code, "Call Ended"))

    # -- media (rtpengine) --

    def _ng(self, doing: str) -> NgClient:
        if self.media is None:
            raise NotSupported(self.name, f"{doing} (no rtpengine configured)")
        return self.media

    def _media_task(self, call_id: str, doing: str, work: Awaitable[None]) -> None:
        """Run `work` after the call's earlier media commands; a failure is logged and kept, not raised."""
        previous = self._chains.get(call_id)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            try:
                await work
            except (NgError, NgTimeout, NgProtocolError, TelephonyError) as error:
                self.media_errors.append(f"{doing} {call_id}: {error}")
                logger.warning("could not %s call %s: %s", doing, call_id, error)

        task = asyncio.ensure_future(run())
        self._chains[call_id] = task
        task.add_done_callback(
            lambda done: self._chains.pop(call_id, None) if self._chains.get(call_id) is done else None
        )

    def open_media(self, call_id: str) -> None:
        client = self._ng("open media")
        if call_id not in self.held or call_id not in self.offers:
            raise TelephonyError(
                f"cannot open media for call {call_id}: Kamailio is not holding it", call_id=call_id
            )
        tag, sdp = self.offers[call_id]
        if not tag or "m=audio" not in sdp:
            raise TelephonyError(f"call {call_id} offered no audio: no early media", call_id=call_id)

        async def work() -> None:
            await client.offer(call_id, tag, sdp)
            placeholder = PLACEHOLDER_SDP.format(address=self.settings.rtpengine.address)
            answer = await client.answer(call_id, tag, PLACEHOLDER_TAG, placeholder)
            self._resume(call_id, "open media for", early=answer)

        self._media_task(call_id, "open media for", work())

    def play(self, call_id: str, media: str, *, loop: bool = False) -> None:
        client = self._ng("play media")
        tag = self._caller_tag(call_id, "play to")
        path = Path(self.settings.media_dir, media).resolve()
        if not path.is_file():
            raise TelephonyError(f"cannot play {path} to call {call_id}: no such file", call_id=call_id)
        self.playing.add(call_id)

        async def work() -> None:
            with contextlib.suppress(NgError):  # nothing was playing
                await client.stop_media(call_id, tag)
            await client.play_media(call_id, tag, str(path), repeat=LOOP_TIMES if loop else 1)

        self._media_task(call_id, "play to", work())

    async def _stop(self, call_id: str, tag: str) -> None:
        await self._ng("stop media").stop_media(call_id, tag)

    def collect_digits(self, call_id: str, *, max_digits: int, timeout_seconds: float) -> None:
        self._ng("collect digits")
        self._caller_tag(call_id, "collect digits of")
        if max_digits < 1 or timeout_seconds <= 0:
            raise TelephonyError(
                f"cannot collect {max_digits} digits in {timeout_seconds} s", call_id=call_id
            )
        previous = self.collecting.pop(call_id, None)
        if previous is not None:
            previous.timer.cancel()
        timer = asyncio.get_running_loop().call_later(timeout_seconds, self._collected, call_id)
        self.collecting[call_id] = Collecting(max_digits, "", timer)

    def dtmf(self, message: dict[str, Any]) -> None:
        """One report from rtpengine's DTMF log: a digit counts when it comes from the caller's leg of a
        call whose digits are being collected."""
        call_id = str(message.get("callid", ""))
        collecting = self.collecting.get(call_id)
        tag, _ = self.offers.get(call_id, ("", ""))
        if collecting is None or message.get("type") != "DTMF" or message.get("source_tag") != tag:
            return
        event = message.get("event")
        if not isinstance(event, int) or not 0 <= event < len(DTMF_KEYS):
            return
        collecting.digits += DTMF_KEYS[event]
        if len(collecting.digits) >= collecting.wanted:
            self._collected(call_id)

    def _collected(self, call_id: str) -> None:
        collecting = self.collecting.pop(call_id, None)
        if collecting is not None:
            collecting.timer.cancel()
            self._emit(DigitsCollected(call_id, collecting.digits))

    def record(self, call_id: str, *, on: bool) -> None:
        client = self._ng("record")
        if self.settings.recording is None:
            raise NotSupported(self.name, "record (no recording directory in the settings)")
        tag = self._caller_tag(call_id, "record")

        async def start() -> None:
            await client.command("start recording", call_id=call_id)
            self.recording[call_id] = caller_port(await client.query(call_id), tag)

        async def stop() -> None:
            await client.command("stop recording", call_id=call_id)

        self._media_task(call_id, "record" if on else "stop recording", start() if on else stop())

    def _recorded(self, call_id: str) -> None:
        """After the call's delete: rtpengine closed its pcap (`pcaps/<call id, %-escaped>-<random>.pcap`)."""
        port = self.recording.pop(call_id, None)
        if port is None or self.settings.recording is None:
            return
        pcaps = Path(self.settings.recording.directory, "pcaps")
        found = sorted(path for path in pcaps.glob("*.pcap") if unquote(path.name).startswith(f"{call_id}-"))
        if not found:
            self.media_errors.append(f"no recording of {call_id} in {pcaps}")
            return
        self._emit(CallRecorded(call_id, str(found[-1]), port))

    def _caller_tag(self, call_id: str, doing: str) -> str:
        tag, _ = self.offers.get(call_id, ("", ""))
        if not tag:
            raise TelephonyError(f"cannot {doing} call {call_id}: no such call", call_id=call_id)
        return tag

    def _release_media(self, call_id: str) -> None:
        self.playing.discard(call_id)
        collecting = self.collecting.pop(call_id, None)
        if collecting is not None:
            collecting.timer.cancel()
        if self.offers.pop(call_id, None) is None or self.media is None:
            return
        client = self.media

        async def work() -> None:
            with contextlib.suppress(NgError):  # the call never reached rtpengine (no media anchored)
                await client.delete(call_id)
            self._recorded(call_id)

        self._media_task(call_id, "release the media of", work())


def caller_port(query: dict[str, Any], tag: str) -> int:
    """rtpengine's local port that receives the caller's (`tag`) RTP, from a `query` reply."""
    try:
        return int(query["tags"][tag]["medias"][0]["streams"][0]["local port"])
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise TelephonyError(f"rtpengine's query names no port for the caller's tag {tag!r}") from error


def _base64(text: object) -> str:
    try:
        return base64.b64decode(str(text), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""
