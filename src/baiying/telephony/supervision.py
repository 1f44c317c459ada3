"""Supervisor silent monitor on the Kamailio switch: rtpengine forks both legs of a connected call to a
supervisor's phone, which call control calls itself.

`monitor(call_id, supervisor, mode="monitor")`: NG `subscribe request` for the caller's and the agent's
tags (rtpengine 10.5 answers with an SDP offer of two send-only audio streams, one per leg, and a new
to-tag for the subscriber); call control's SIP user agent calls the supervisor's registered phone through
Kamailio with that SDP; the phone's answer goes back to rtpengine as `subscribe answer`. The supervisor
hears both parties; nothing flows back, so the parties hear nothing. When the monitored call ends, call
control hangs up the supervisor's call; when the supervisor hangs up, NG `unsubscribe` ends the fork.

Whisper (the supervisor heard by the agent only) and barge (heard by both) are refused with
`NotSupported`: they need the supervisor's audio mixed into a leg, and rtpengine 10.5 has no mixing
command (docs/telephony.md says what they would take).
"""

import contextlib
import logging
from abc import ABC, abstractmethod
from typing import Any

from baiying.telephony.rtpengine import NgClient, NgError, NgProtocolError, NgTimeout
from baiying.telephony.sipua import SipUserAgent
from baiying.telephony.switch import CallEvent, MonitorEnded, NotSupported, TelephonyError

logger = logging.getLogger(__name__)

MIXING_MISSING = (
    "rtpengine 10.5 cannot mix a third party's audio into a call leg (its 'subscribe' forks media out "
    "only; it has no conference or mixing command), see docs/telephony.md"
)
MONITOR_MODES = ("monitor", "whisper", "barge")


class RtpengineSupervision(ABC):
    """Mixin of `KamailioSwitch`: the Switch's `monitor`. The switch provides the state below."""

    name: str
    media: NgClient | None
    user_agent: SipUserAgent | None
    dialogs: dict[str, tuple[str, str]]  # connected call id → (caller's tag, agent's tag)
    monitors: dict[str, dict[str, str]]  # call id → {the supervisor call's SIP Call-ID: its rtpengine to-tag}
    supervisor_of: dict[str, str]  # the supervisor call's SIP Call-ID → the supervisor phone's SIP user
    media_errors: list[str]

    @abstractmethod
    def _media_task(self, call_id: str, doing: str, work: Any) -> None:
        """Run `work` (a coroutine) for the call in order with its other media work."""

    @abstractmethod
    def _emit(self, event: CallEvent) -> None:
        """Hand a call event to call control."""

    def monitor(self, call_id: str, supervisor: str, *, mode: str) -> None:
        if mode not in MONITOR_MODES:
            raise TelephonyError(f"unknown monitor mode {mode!r} (one of {', '.join(MONITOR_MODES)})")
        if mode != "monitor":
            raise NotSupported(self.name, mode, MIXING_MISSING)
        if self.media is None or self.user_agent is None:
            raise NotSupported(self.name, "monitor", "it needs rtpengine and call control's SIP user agent")
        dialog = self.dialogs.get(call_id)
        if dialog is None:
            raise TelephonyError(f"cannot monitor call {call_id}: it is not connected", call_id=call_id)
        client, agent = self.media, self.user_agent

        async def work() -> None:
            try:
                await listen()
            except (TelephonyError, NgError, NgTimeout, NgProtocolError) as error:
                self._emit(MonitorEnded(call_id, supervisor, f"failed: {error}"))  # never listened
                raise

        async def listen() -> None:
            reply = await client.command("subscribe request", call_id=call_id, from_tags=list(dialog))
            offer, to_tag = reply.get("sdp"), reply.get("to-tag")
            if not isinstance(offer, str) or not isinstance(to_tag, str):
                raise TelephonyError(f"rtpengine's subscription of {call_id} has no SDP or to-tag: {reply}")
            try:
                leg = await agent.invite(supervisor, offer)
            except TelephonyError:
                with contextlib.suppress(NgError):  # (the call may be gone, and its subscriptions with it)
                    await client.command("unsubscribe", call_id=call_id, to_tag=to_tag)
                raise
            if call_id not in self.dialogs:  # the call ended while the supervisor's phone rang
                await agent.bye(leg.call_id)
                return
            self.monitors.setdefault(call_id, {})[leg.call_id] = to_tag
            self.supervisor_of[leg.call_id] = supervisor
            # rtpengine 10.5 refuses an answer that does not accept every codec of the subscribed streams
            # (telephone-event included) unless it may transcode; a phone answers with what it plays.
            await client.command(
                "subscribe answer",
                call_id=call_id,
                to_tag=to_tag,
                sdp=leg.answer,
                flags=["allow transcoding"],
            )
            logger.info("call %s: %s listens (call %s)", call_id, supervisor, leg.call_id)

        # its own chain: the supervisor's phone may ring a while, the call's media commands go on meanwhile
        self._media_task(f"{call_id} monitor", f"monitor ({supervisor})", work())

    def _end_monitors(self, call_id: str) -> None:
        """The monitored call is over: hang up its supervisors' phones."""
        agent = self.user_agent
        legs = self.monitors.pop(call_id, {})
        if agent is None:
            return
        for leg in legs:
            self.supervisor_of.pop(leg, None)
            self._media_task(f"{call_id} monitor", "hang up the supervisor of", agent.bye(leg))

    def stop_monitor(self, call_id: str, supervisor: str) -> None:
        """Hang up `supervisor`'s phone (BYE) and stop rtpengine forking the call to it."""
        legs = self.monitors.get(call_id, {})
        found = [leg for leg in legs if self.supervisor_of.get(leg) == supervisor]
        if not found or self.user_agent is None:
            raise TelephonyError(f"{supervisor} does not monitor call {call_id}", call_id=call_id)
        for leg in found:
            to_tag = legs.pop(leg)
            self.supervisor_of.pop(leg, None)
            self._media_task(f"{call_id} monitor", "hang up the supervisor of", self.user_agent.bye(leg))
            self._media_task(f"{call_id} monitor", "stop monitoring", self._unsubscribe(call_id, to_tag))
        if not legs:
            self.monitors.pop(call_id, None)

    def _supervisor_left(self, leg: str) -> None:
        """A supervisor hung up: rtpengine stops forking that call to it (reported as `MonitorEnded`)."""
        for call_id, legs in list(self.monitors.items()):
            to_tag = legs.pop(leg, None)
            if to_tag is None:
                continue
            if not legs:
                del self.monitors[call_id]
            if self.media is not None:
                self._media_task(f"{call_id} monitor", "stop monitoring", self._unsubscribe(call_id, to_tag))
            supervisor = self.supervisor_of.pop(leg, None)
            if supervisor is not None:
                self._emit(MonitorEnded(call_id, supervisor))

    async def _unsubscribe(self, call_id: str, to_tag: str) -> None:
        if self.media is not None:
            await self.media.command("unsubscribe", call_id=call_id, to_tag=to_tag)
