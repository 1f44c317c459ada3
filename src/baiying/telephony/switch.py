"""The connector interface between Baiying's routing decisions and a telephone switch.

A switch (Kamailio + rtpengine, later Asterisk ARI or FreeSWITCH ESL, or the pure-Python `SimulatedSwitch`)
carries out what Baiying decided — hold the caller in the queue, ring the chosen agent's phone, hang up — and
reports back what the phones did, as `CallEvent`s: a call came in, the agent answered, the call ended, the
caller left while waiting, the agent's phone did not answer. The connector that joins a switch to the live
routing engine turns those into router commands (arrive, accept, complete, abandon, reject / ring-no-answer).

Commands a switch cannot do yet raise `NotSupported` naming the switch and the command, never pass silently.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Protocol, runtime_checkable


class TelephonyError(Exception):
    """A switch could not carry out a command (unknown call, wrong state, unreachable peer)."""

    def __init__(self, message: str, *, call_id: str | None = None) -> None:
        super().__init__(message)
        self.call_id = call_id


class NotSupported(TelephonyError):
    """The switch does not implement this command (yet)."""

    def __init__(self, switch: str, command: str, reason: str = "") -> None:
        because = f": {reason}" if reason else " yet"
        super().__init__(f"{switch} cannot {command}{because}")
        self.switch = switch
        self.command = command


class UnknownCall(TelephonyError):
    def __init__(self, call_id: str) -> None:
        super().__init__(f"no call {call_id!r} on this switch", call_id=call_id)


class CallState(StrEnum):
    QUEUED = "queued"  # the caller is held (ringback "180 Queued", later hold music)
    RINGING = "ringing"  # an agent's phone rings
    CONNECTED = "connected"  # caller and agent talk
    ENDED = "ended"


# ---- events the switch reports -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallEvent:
    kind: ClassVar[str] = "call-event"
    call_id: str


@dataclass(frozen=True, slots=True)
class CallArrived(CallEvent):
    """A caller dialled a queue's number; the switch holds the call until told what to do."""

    kind: ClassVar[str] = "call-arrived"
    queue: str
    caller: str
    referred_by: str = ""  # set when the caller's phone calls because it was transferred (REFER)


@dataclass(frozen=True, slots=True)
class TransferRequested(CallEvent):
    """A phone in a connected call asked to transfer the other party (a REFER) to `target`, the dialled
    name of a queue; the other party's phone calls it next."""

    kind: ClassVar[str] = "transfer-requested"
    target: str


@dataclass(frozen=True, slots=True)
class AgentAnswered(CallEvent):
    kind: ClassVar[str] = "agent-answered"
    agent: str  # the agent's phone (SIP user) that picked up


@dataclass(frozen=True, slots=True)
class AgentFailed(CallEvent):
    """The agent's phone did not take the call: no answer (`408`), busy (`486`), declined (`603`),
    not registered (`404`)..."""

    kind: ClassVar[str] = "agent-failed"
    agent: str
    code: int

    @property
    def no_answer(self) -> bool:
        return self.code in (408, 480)


@dataclass(frozen=True, slots=True)
class CallerAbandoned(CallEvent):
    """The caller hung up before an agent answered."""

    kind: ClassVar[str] = "caller-abandoned"


@dataclass(frozen=True, slots=True)
class CallEnded(CallEvent):
    """The conversation ended (either side hung up)."""

    kind: ClassVar[str] = "call-ended"


@dataclass(frozen=True, slots=True)
class DigitsCollected(CallEvent):
    """What the caller keyed in after `collect_digits`: `max_digits` keys, or fewer (maybe none) when the
    time ran out."""

    kind: ClassVar[str] = "digits-collected"
    digits: str


@dataclass(frozen=True, slots=True)
class CallRecorded(CallEvent):
    """The recording of an ended call is complete: `file` is the switch's capture of both sides (a pcap
    of the RTP), `caller_port` the media server's port that received the caller's side."""

    kind: ClassVar[str] = "call-recorded"
    file: str
    caller_port: int


@dataclass(frozen=True, slots=True)
class PhoneRegistered(CallEvent):
    """An agent's phone registered (expires > 0) or unregistered (expires == 0); `call_id` is empty."""

    kind: ClassVar[str] = "phone-registered"
    user: str
    expires: int


@dataclass(frozen=True, slots=True)
class CallLost(CallEvent):
    """The switch no longer knows the call (Kamailio restarted): nothing more will be reported on it."""

    kind: ClassVar[str] = "call-lost"


@dataclass(frozen=True, slots=True)
class MonitorEnded(CallEvent):
    """A supervisor's phone hung up the call that let it listen to `call_id`, or that call failed."""

    kind: ClassVar[str] = "monitor-ended"
    supervisor: str  # the supervisor phone's SIP user
    reason: str = "supervisor hung up"  # or why the supervisor's call failed


CallEventHandler = Callable[[CallEvent], None]


# ---- the interface ---------------------------------------------------------------------------------------


@runtime_checkable
class Switch(Protocol):
    """What Baiying asks of a switch. Every method acts on one call by its switch call id."""

    name: str

    def on_event(self, handler: CallEventHandler) -> None:
        """Report every call event to `handler` from now on."""

    # implemented by every switch
    def queue(self, call_id: str) -> None:
        """Hold the caller: answer with ringback (or hold music where the switch has media)."""

    def bridge(self, call_id: str, agent: str, *, ring_seconds: float) -> None:
        """Ring the agent's phone for at most `ring_seconds` and connect the caller when it answers."""

    def hangup(self, call_id: str, *, code: int = 487) -> None:
        """End the call: a queued caller gets the SIP final `code` (487 once they left, 480 no agents)."""

    # media before an agent (IVR, hold music)
    def open_media(self, call_id: str) -> None:
        """Give a held caller a media path before any agent answers (early media through the media
        server), so prompts and music reach them and their key presses are heard."""

    def play(self, call_id: str, media: str, *, loop: bool = False) -> None:
        """Play a prompt or music (a WAV file) to the caller only, replacing what plays; it stops when an
        agent answers."""

    def collect_digits(self, call_id: str, *, max_digits: int, timeout_seconds: float) -> None:
        """Collect DTMF from the caller; reported as one `DigitsCollected` event."""

    def hold(self, call_id: str, music: str | None) -> None:
        """Put the caller of a connected call on hold while its agent consults a colleague: the caller
        hears `music` (looped; silence without it), the agent no longer hears the caller."""

    def resume(self, call_id: str) -> None:
        """Take the caller of a connected call off hold: caller and agent hear each other again."""

    # declared for the next slices (REFER, recording, supervision)

    def transfer(self, call_id: str, target: str) -> None:
        """Blind-transfer the caller of a connected call to the queue dialled as `target`: the caller's
        phone calls it next (reported as a `CallArrived`)."""

    def record(self, call_id: str, *, on: bool) -> None:
        """Start or stop recording the call (both sides); reported as `CallRecorded` once it ended."""

    def monitor(self, call_id: str, supervisor: str, *, mode: str) -> None:
        """Let a supervisor listen (`monitor`), talk to the agent only (`whisper`) or join (`barge`)."""

    def stop_monitor(self, call_id: str, supervisor: str) -> None:
        """Hang up the supervisor phone's call that listens to `call_id`."""


class Unimplemented:
    """Mixin: the commands of the later slices, refused with a precise `NotSupported`."""

    name: str = "switch"

    def open_media(self, call_id: str) -> None:
        raise NotSupported(self.name, "open media")

    def play(self, call_id: str, media: str, *, loop: bool = False) -> None:
        raise NotSupported(self.name, "play media")

    def collect_digits(self, call_id: str, *, max_digits: int, timeout_seconds: float) -> None:
        raise NotSupported(self.name, "collect digits")

    def transfer(self, call_id: str, target: str) -> None:
        raise NotSupported(self.name, "transfer")

    def hold(self, call_id: str, music: str | None) -> None:
        raise NotSupported(self.name, "hold")

    def resume(self, call_id: str) -> None:
        raise NotSupported(self.name, "resume")

    def record(self, call_id: str, *, on: bool) -> None:
        raise NotSupported(self.name, "record")

    def monitor(self, call_id: str, supervisor: str, *, mode: str) -> None:
        raise NotSupported(self.name, "monitor")

    def stop_monitor(self, call_id: str, supervisor: str) -> None:
        raise NotSupported(self.name, "stop a monitor")


# ---- the simulated switch -------------------------------------------------------------------------------


@dataclass(slots=True)
class SimCall:
    call_id: str
    queue: str
    caller: str
    state: CallState = CallState.QUEUED
    agent: str | None = None
    ring_seconds: float = 0.0
    final_code: int | None = None
    media_open: bool = False
    playing: str | None = None
    on_hold: bool = False
    collecting: int = 0  # digits still wanted by `collect_digits`; 0: key presses are not reported
    history: list[str] = field(default_factory=list)


class SimulatedSwitch(Unimplemented):
    """A switch in pure Python: calls and phones are records, and the test or the demo plays the phones
    (`place_call`, `answer`, `no_answer`, `caller_hangs_up`, `agent_hangs_up`). It checks every command
    against the call's state as a real switch would, so code driving it is checked too."""

    name = "simulated"

    def __init__(self) -> None:
        self.calls: dict[str, SimCall] = {}
        self.registered: set[str] = set()
        self._handlers: list[CallEventHandler] = []

    def on_event(self, handler: CallEventHandler) -> None:
        self._handlers.append(handler)

    def _emit(self, event: CallEvent) -> None:
        for handler in self._handlers:
            handler(event)

    def _call(self, call_id: str) -> SimCall:
        call = self.calls.get(call_id)
        if call is None:
            raise UnknownCall(call_id)
        return call

    def _expect(self, call: SimCall, *states: CallState, doing: str) -> None:
        if call.state not in states:
            raise TelephonyError(
                f"cannot {doing} call {call.call_id}: it is {call.state}", call_id=call.call_id
            )

    # -- commands (Switch) --

    def queue(self, call_id: str) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.QUEUED, CallState.RINGING, doing="queue")
        call.state, call.agent = CallState.QUEUED, None
        call.history.append("queued")

    def bridge(self, call_id: str, agent: str, *, ring_seconds: float) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.QUEUED, doing="bridge")
        if ring_seconds <= 0:
            raise TelephonyError(f"ring time must be positive, not {ring_seconds}", call_id=call_id)
        call.history.append(f"ring {agent}")
        if agent not in self.registered:
            call.history.append(f"{agent} not registered")
            self._emit(AgentFailed(call_id, agent, 404))
            return
        call.state, call.agent, call.ring_seconds = CallState.RINGING, agent, ring_seconds

    def hangup(self, call_id: str, *, code: int = 487) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.QUEUED, CallState.RINGING, CallState.CONNECTED, doing="hang up")
        call.state, call.final_code, call.playing = CallState.ENDED, code, None
        call.history.append(f"hangup {code}")

    def open_media(self, call_id: str) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.QUEUED, doing="open media for")
        call.media_open = True
        call.history.append("media")

    def play(self, call_id: str, media: str, *, loop: bool = False) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.QUEUED, CallState.RINGING, doing="play to")
        if not call.media_open:
            raise TelephonyError(f"cannot play to call {call_id}: its media is not open", call_id=call_id)
        call.playing = media
        call.history.append(f"play {media}{' (loop)' if loop else ''}")

    def hold(self, call_id: str, music: str | None) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.CONNECTED, doing="hold")
        if call.on_hold:
            raise TelephonyError(f"call {call_id} is on hold already", call_id=call_id)
        call.on_hold, call.playing = True, music
        call.history.append(f"hold {music}" if music else "hold")

    def resume(self, call_id: str) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.CONNECTED, doing="resume")
        if not call.on_hold:
            raise TelephonyError(f"call {call_id} is not on hold", call_id=call_id)
        call.on_hold, call.playing = False, None
        call.history.append("resumed")

    def transfer(self, call_id: str, target: str) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.CONNECTED, doing="transfer")
        call.history.append(f"transfer to {target}")  # the test places the caller's new call

    def record(self, call_id: str, *, on: bool) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.CONNECTED, doing="record")
        call.history.append("recording" if on else "recording stopped")

    def collect_digits(self, call_id: str, *, max_digits: int, timeout_seconds: float) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.QUEUED, doing="collect digits of")
        if not call.media_open or max_digits < 1 or timeout_seconds <= 0:
            raise TelephonyError(f"cannot collect digits of call {call_id} so", call_id=call_id)
        call.collecting = max_digits

    # -- the phones (test and demo side) --

    def register(self, user: str, expires: int = 300) -> None:
        if expires > 0:
            self.registered.add(user)
        else:
            self.registered.discard(user)
        self._emit(PhoneRegistered("", user, expires))

    def place_call(self, call_id: str, queue: str, caller: str, *, referred_by: str = "") -> None:
        if call_id in self.calls:
            raise TelephonyError(f"call {call_id} already exists", call_id=call_id)
        self.calls[call_id] = SimCall(call_id, queue, caller)
        self._emit(CallArrived(call_id, queue, caller, referred_by))

    def refer(self, call_id: str, target: str) -> None:
        """The agent's phone transfers the caller to the queue dialled as `target` (a REFER); the test
        then places the caller's new call (`place_call(..., referred_by=...)`)."""
        call = self._call(call_id)
        self._expect(call, CallState.CONNECTED, doing="transfer")
        call.history.append(f"refer to {target}")
        self._emit(TransferRequested(call_id, target))

    def press(self, call_id: str, digits: str) -> None:
        """The caller keys in `digits`; reported once `collect_digits` has what it wanted."""
        call = self._call(call_id)
        if not call.collecting:
            call.history.append(f"ignored {digits}")
            return
        wanted = digits[: call.collecting]
        call.collecting = 0
        self._emit(DigitsCollected(call_id, wanted))

    def digits_time_out(self, call_id: str) -> None:
        call = self._call(call_id)
        if call.collecting:
            call.collecting = 0
            self._emit(DigitsCollected(call_id, ""))

    def answer(self, call_id: str) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.RINGING, doing="answer")
        assert call.agent is not None
        call.state, call.playing = CallState.CONNECTED, None
        call.history.append(f"answered by {call.agent}")
        self._emit(AgentAnswered(call_id, call.agent))

    def no_answer(self, call_id: str, code: int = 408) -> None:
        """The agent's phone rang out (408) or was declined (486, 603): the caller is held again."""
        call = self._call(call_id)
        self._expect(call, CallState.RINGING, doing="time out the ringing of")
        agent = call.agent
        assert agent is not None
        call.state, call.agent = CallState.QUEUED, None
        call.history.append(f"{agent} failed {code}")
        self._emit(AgentFailed(call_id, agent, code))

    def restart(self) -> None:
        """The switch restarted (as Kamailio may): every call it had is gone, reported `CallLost`."""
        for call in list(self.calls.values()):
            if call.state is not CallState.ENDED:
                call.state, call.agent, call.playing = CallState.ENDED, None, None
                call.history.append("lost")
                self._emit(CallLost(call.call_id))

    def caller_hangs_up(self, call_id: str) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.QUEUED, CallState.RINGING, CallState.CONNECTED, doing="hang up")
        if call.state is CallState.CONNECTED:
            call.state = CallState.ENDED
            call.history.append("caller hung up")
            self._emit(CallEnded(call_id))
            return
        if call.state is CallState.RINGING:  # the switch cancels the agent's ringing phone itself
            call.state, call.final_code, call.agent = CallState.ENDED, 487, None
        # A held caller's INVITE waits for call control's final reply (`hangup`, 487), as in Kamailio.
        call.history.append("caller abandoned")
        self._emit(CallerAbandoned(call_id))

    def agent_hangs_up(self, call_id: str) -> None:
        call = self._call(call_id)
        self._expect(call, CallState.CONNECTED, doing="hang up (agent)")
        call.state = CallState.ENDED
        call.history.append("agent hung up")
        self._emit(CallEnded(call_id))
