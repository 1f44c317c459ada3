"""The media side of the Kamailio switch: rtpengine over its NG protocol, and its DTMF log.

`open_media` has rtpengine answer the caller's offer with a placeholder far end (port 9, discard), so the
caller has a media path before any agent (Kamailio sends it as early media); Kamailio's own
rtpengine_offer / rtpengine_answer later point the far end at the agent's phone. Prompts and music are
rtpengine's `play media` to the caller's tag; the caller's digits come from rtpengine's DTMF log socket
(JSON over UDP); recordings are rtpengine's pcaps, reported once the call is deleted. Media commands run
as tasks, in order per call; a failure is logged and kept in `media_errors`, never raised to the caller.
"""

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from baiying.telephony.rtpengine import NgClient, NgError, NgProtocolError, NgTimeout
from baiying.telephony.settings import VoiceSettings
from baiying.telephony.switch import (
    CallEvent,
    CallRecorded,
    DigitsCollected,
    NotSupported,
    TelephonyError,
)

logger = logging.getLogger(__name__)

DTMF_KEYS = "0123456789*#"  # RFC 4733 events 0-11
LOOP_TIMES = 1000  # "loop" hold music: rtpengine repeats a file a given number of times
# The far end of a call whose caller is in the IVR or the queue: nobody yet (the discard port).
PLACEHOLDER_SDP = (
    "v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"
)
PLACEHOLDER_TAG = "baiying-hold"


@dataclass(slots=True)
class Collecting:
    wanted: int
    digits: str
    timer: asyncio.TimerHandle


class _DtmfLog(asyncio.DatagramProtocol):
    def __init__(self, switch: "RtpengineMedia") -> None:
        self.switch = switch

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            logger.warning("not JSON on the DTMF log socket: %r", data[:200])
            return
        if isinstance(message, dict):
            self.switch.dtmf(message)


class RtpengineMedia(ABC):
    """Mixin of `KamailioSwitch`: the Switch's media commands over rtpengine. The switch provides the
    state below and `_resume` (continue a held INVITE) and `_emit` (report an event)."""

    name: str
    settings: VoiceSettings
    media: NgClient | None
    held: dict[str, tuple[int, int]]
    offers: dict[str, tuple[str, str]]  # call id → the caller's (tag, SDP)
    playing: set[str]
    collecting: dict[str, Collecting]
    opening: dict[str, list[Callable[[], None]]]  # call id → commands waiting for its early media
    recording: dict[str, int]  # call id → rtpengine's port facing its caller
    dialogs: dict[str, tuple[str, str]]  # connected call id → its (from tag, to tag)
    media_errors: list[str]
    _chains: dict[str, asyncio.Future[None]]
    _dtmf_transport: asyncio.DatagramTransport | None

    @abstractmethod
    def _resume(self, call_id: str, doing: str, **fields: Any) -> None:
        """Resume the held call (the switch's own message), with what it is `doing` for errors."""

    @abstractmethod
    def _emit(self, event: CallEvent) -> None:
        """Hand a call event to call control."""

    def _close_media(self) -> None:
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
            try:
                await client.offer(call_id, tag, sdp)
                placeholder = PLACEHOLDER_SDP.format(address=self.settings.rtpengine.address)
                answer = await client.answer(call_id, tag, PLACEHOLDER_TAG, placeholder)
                self._resume(call_id, "open media for", early=answer)
            except BaseException:
                self._opened(call_id)  # no early media: what waited for it runs on the INVITE as held
                raise

        self.opening[call_id] = []
        self._media_task(call_id, "open media for", work())

    def _opened(self, call_id: str) -> None:
        """The caller's media is open and Kamailio holds the INVITE again (or the opening failed): the
        commands on the INVITE that came meanwhile (ring an agent, end the call) run now, in order."""
        for command in self.opening.pop(call_id, []):
            try:
                command()
            except TelephonyError as error:
                self.media_errors.append(f"after opening the media of {call_id}: {error}")
                logger.warning("call %s: %s", call_id, error)

    def _after_opening(self, call_id: str, command: Callable[[], None]) -> bool:
        """Defer `command` on the held INVITE while its media is being opened (Kamailio answers 183 and
        holds it again under a new handle); False when nothing is being opened."""
        waiting = self.opening.get(call_id)
        if waiting is None:
            return False
        waiting.append(command)
        return True

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
            duration = await client.play_media(call_id, tag, str(path), repeat=LOOP_TIMES if loop else 1)
            self._played(call_id, media, duration)

        self._media_task(call_id, "play to", work())

    def hold(self, call_id: str, music: str | None) -> None:
        """The caller of a connected call on hold: rtpengine blocks what the caller sends (the agent hears
        nothing) and plays `music` to the caller, looped."""
        client = self._ng("hold")
        tag = self._caller_tag(call_id, "hold")
        path = None if music is None else Path(self.settings.media_dir, music).resolve()
        if path is not None and not path.is_file():
            raise TelephonyError(f"cannot hold call {call_id} with {path}: no such file", call_id=call_id)

        agent_tag = self._agent_tag(call_id)

        async def work() -> None:
            for sender in (tag, agent_tag):
                await client.command("block media", call_id=call_id, from_tag=sender)
            if path is not None and music is not None:
                duration = await client.play_media(call_id, tag, str(path), repeat=LOOP_TIMES)
                self._played(call_id, music, duration)

        self._media_task(call_id, "hold", work())

    def resume(self, call_id: str) -> None:
        client = self._ng("resume")
        tag = self._caller_tag(call_id, "resume")

        agent_tag = self._agent_tag(call_id)

        async def work() -> None:
            with contextlib.suppress(NgError):  # no music was playing
                await client.stop_media(call_id, tag)
            for sender in (tag, agent_tag):
                await client.command("unblock media", call_id=call_id, from_tag=sender)

        self._media_task(call_id, "resume", work())

    def _played(self, call_id: str, media: str, duration_ms: int) -> None:
        """rtpengine began playing `media` to the caller of `call_id`, for `duration_ms` (one pass)."""
        logger.debug("call %s: playing %s (%d ms)", call_id, media, duration_ms)

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

    def _agent_tag(self, call_id: str) -> str:
        """The tag of the connected agent's side of the call (its dialog's to-tag)."""
        dialog = self.dialogs.get(call_id)
        if dialog is None or not dialog[1]:
            raise TelephonyError(f"call {call_id} is not connected to an agent", call_id=call_id)
        return dialog[1]

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
