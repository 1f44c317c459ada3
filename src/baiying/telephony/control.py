"""Call control: joins a `Switch` to the live routing engine (`LiveCenter`), in-process.

Each call that reaches a queue becomes a contact (`arrive`); the router's committed events, read from the
center's bus, become switch commands: `contact-offered` rings the agent's phone (`bridge`, for the queue's
offer time), `contact-routed-out` ends the call. What the phones do comes back as router commands: the
agent answered → `accept`; the conversation ended → `complete`; the caller left while held or ringing →
`abandon` (and a 487 for a caller still held); the agent's phone was busy or declined → `reject`; it rang
out → the router's own ring-no-answer deadline fires (`advance`): the agent goes to aux "missed" and the
contact back to the head of its queue, where the next free agent gets it.

Why in-process rather than over the HTTP API: the connector must see every offer the moment it is
committed, including those made by a deadline (`advance`) or by another agent becoming free, and must act
on it within milliseconds while the caller hears ringback. In-process it subscribes to the bus the server
itself publishes on, needs no credentials, polling or WebSocket reconnects, and shares the router's
single writer. `CallControl` takes the `LiveCenter`, so the same object runs in a standalone call-control
process (the lab) or inside `baiying serve` next to the HTTP API (one process owns a tenant's router).

A dialled queue with an IVR menu (`menus`) first opens the caller's media, plays the menu's prompt and
collects one key; the option chosen sets the contact's intent, language or queue, and only then does the
call arrive in routing, held with the menu's hold music. A caller who hangs up in the menu never was a
contact (nothing is routed); the switch ends the held INVITE with 487.

Blind transfer to a named agent works the same way: the target is the SIP user of the agent's phone,
dialled under the queue prefix (`queue-agent3`): routing's `transfer_to_agent` offers the contact to that
agent (or, if it stays busy, back to its queue), and the caller's new call rings the agent's phone.

Blind transfer to a queue: the agent's phone sends REFER to the caller (`TransferRequested`); the contact
is transferred in routing at once (`transfer_to_queue`: the agent is freed, the contact waits in the
target queue) and the caller's phone calls the queue; that call (from the same caller, to that queue,
with a Referred-By if the phone sets one) becomes the contact's call, held and rung at the agent the
router offers it to; call control ends the first call if the phones did not (BYE to both).

A queue whose `announcements` name `hold_music` holds its callers who came without a menu the same way:
a caller who must wait (no agent offered at once) gets early media, that music and the announcements.

Announcements (per queue, `announcements`): a caller waiting with hold music hears,
every `every_seconds` of music, their position and expected wait from the routing engine
(`routing.standing`) in their language, spoken by the `speaker` (espeak-ng, cached), then the music again
(the switch replaces what plays; call control restarts the music when the sentence is over). Nothing is
announced while an agent's phone rings or after it answered.

Recording (per queue, `recording`): a recorded queue's contact carries the attribute `recording`, the WAV
its call is written to (`<directory>/<contact id>.wav`); the switch records from the agent's answer to the
end, and its capture becomes that WAV (caller left, agent right) when the switch reports it complete.

Maximum queue time (`max_queue_seconds`, Kamailio's cap on a held INVITE): a call still held that long,
less a margin, is routed out of routing (`route_out`, destination "disconnected", the reason naming the
limit), so its contact ends `routed-out` with an event before Kamailio would drop the INVITE silently;
the `contact-routed-out` event then ends the call with 480. A contact routed out while its agent's phone
rings (from the API, or at the deadline) ends once the switch reports that phone failed or rang out: a
ringing branch cannot be ended from here. `run_timers` fires these deadlines with the router's.

Phones are agents by a mapping from SIP user to agent id (settings); a phone that registers can log its
agent in (`login_on_register`), which is what the lab does.

Threads: the switch's events and this class's state live on one thread (the switch's asyncio loop). Bus
batches arrive on whatever thread committed them (an HTTP request's, the server's timer loop); given the
`loop`, they are handed to it (`call_soon_threadsafe`, so in commit order) and applied there. Without a
loop (the simulated switch, tests) they are applied at once, on the committing thread.
"""

import asyncio
import concurrent.futures
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from baiying.application.bus import EventBatch
from baiying.application.center import LiveCenter
from baiying.errors import DomainError
from baiying.events import ContactOffered, ContactRoutedOut, ContactTransferred, Event, OfferDeclined
from baiying.ids import AgentId, ContactId, QueueId
from baiying.routing.decisions import RouteOutDestination
from baiying.routing.router import Router
from baiying.routing.standing import queue_standing
from baiying.telephony.announce import Announcement, QueueAnnouncement, Speaker, announcement
from baiying.telephony.ivr import Menu, MenuOption
from baiying.telephony.recording import RecordingError, pcap_to_wav
from baiying.telephony.settings import RecordingPolicy
from baiying.telephony.switch import (
    AgentAnswered,
    AgentFailed,
    CallArrived,
    CallEnded,
    CallerAbandoned,
    CallEvent,
    CallLost,
    CallRecorded,
    DigitsCollected,
    MonitorEnded,
    PhoneRegistered,
    Switch,
    TelephonyError,
    TransferRequested,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

SIP_NO_AGENT = 480
SIP_TERMINATED = 487
MIN_RING_SECONDS = 1.0
# The phone stops ringing this much before the router's offer deadline, so its answer cannot cross the
# router's ring-no-answer: the switch reports the no-answer first, and the router's deadline follows.
RING_MARGIN_SECONDS = 0.25
RING_SLACK_SECONDS = 1.0  # a phone that "rang out" sooner than this before the offer deadline declined it
# A held call is routed out this long before Kamailio's cap on its INVITE (at most half the cap): room for a
# phone ringing at the deadline to ring out (an offer rings for at most its queue's offer time).
MAX_QUEUE_MARGIN_SECONDS = 30.0


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@dataclass(slots=True)
class Monitoring:
    """A supervisor listening to a call: whom (the contact, its agent), who asked, on which phone."""

    contact_id: ContactId
    agent_id: AgentId
    by: str  # the supervisor's user id (or the phone's user)
    phone: str


@dataclass(slots=True)
class VoiceCall:
    """One call on the switch and the contact it is in routing."""

    call_id: str
    contact_id: ContactId
    queue_id: QueueId
    caller: str = ""
    menu: Menu | None = None  # the caller is in this IVR menu, not yet in routing
    tries: int = 0  # times the menu's prompt was played
    routed: bool = False  # the contact arrived in routing
    recording: Path | None = None  # where its recording goes (a recorded queue)
    transferred: bool = False  # blind-transferred: waiting for the caller's phone to call the target
    transfer_to: str = ""  # the name the caller's phone dials for it: a queue's, or an agent phone's user
    offered_to: AgentId | None = None  # the router's view: the agent the offer rings at
    offered_at: float = 0.0
    ringing: AgentId | None = None  # the switch's view: the phone ringing now
    connected: AgentId | None = None
    failed: AgentId | None = None  # its phone failed this offer: not rung again while the router moves it on
    ring_until: float = 0.0  # when the current ringing ends at the latest (the offer's deadline)
    ended: bool = False
    routed_out: bool = False  # routed out while a phone rang: ended once the phone stops ringing
    held_since: float = 0.0  # when the switch began holding this INVITE (its maximum queue time runs from it)
    language: str | None = None  # the contact's, for its announcements
    music: str | None = None  # the hold music looping for it (its media is open)
    announce_at: float | None = None  # when it next hears its position and expected wait
    music_resumes_at: float | None = None  # an announcement plays until then
    announced: list[str] = field(default_factory=list)  # the sentences it heard, in order
    consulting: ContactId | None = None  # on hold while its agent consults: the consultation contact
    consult_of: ContactId | None = None  # this call is a consultation about that (held) contact
    log: list[str] = field(default_factory=list)


class CallControl:
    def __init__(
        self,
        center: LiveCenter,
        tenant_id: str,
        switch: Switch,
        *,
        agents: Mapping[str, str],
        queues: Mapping[str, str] | None = None,
        menus: Mapping[str, Menu] | None = None,
        recording: RecordingPolicy | None = None,
        login_on_register: bool = False,
        max_queue_seconds: float | None = None,
        announcements: Mapping[str, QueueAnnouncement] | None = None,
        speaker: Speaker | None = None,
        hold_music: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """`agents` maps SIP user → agent id; `queues` maps the dialled queue name → queue id (a name not
        listed is taken as the queue id itself); `max_queue_seconds`, the switch's cap on a held call (None:
        no cap, calls are held until routing moves them); `announcements` maps queue id → how often its
        callers with hold music hear their standing, which `speaker` turns into a media file; `hold_music`,
        what a caller on hold hears while its agent consults a colleague."""
        self.center = center
        self.tenant_id = tenant_id
        self.switch = switch
        self.phone_of = {AgentId(agent): user for user, agent in agents.items()}
        self.agent_of = {user: AgentId(agent) for user, agent in agents.items()}
        self.queues = dict(queues or {})
        self.menus = dict(menus or {})
        self.recording = recording
        self.recordings: dict[str, Path] = {}  # call id → its WAV, from the answer until the file is written
        self.login_on_register = login_on_register
        self.max_queue_seconds = max_queue_seconds
        self.announcements = dict(announcements or {})
        self.speaker = speaker
        self.hold_music = hold_music
        self.calls: dict[str, VoiceCall] = {}
        self.by_contact: dict[ContactId, VoiceCall] = {}
        self.monitoring: dict[str, list[Monitoring]] = {}  # call id → who listens to it
        switch.on_event(self.handle)
        self.loop = loop
        self._unsubscribe = center.bus.subscribe(self._on_batch)

    def close(self) -> None:
        self._unsubscribe()

    def on_loop(self, command: Callable[[], T], *, timeout_seconds: float = 10.0) -> T:
        """Run `command` (a method of this call control) on the switch's event loop, where its state and
        the switch live, and return its result or raise its error: for callers on other threads (an HTTP
        request's). Without a loop, or on it, the command runs at once."""
        loop = self.loop
        if loop is None or _running_loop() is loop:
            return command()
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(command())
            except BaseException as error:  # handed to the caller's thread
                done.set_exception(error)

        loop.call_soon_threadsafe(run)
        return done.result(timeout=timeout_seconds)

    # ---- switch → router -----------------------------------------------------------------------------

    def handle(self, event: CallEvent) -> None:
        """One event from the switch; a command the router refuses is logged, never raised to the switch."""
        try:
            self._handle(event)
        except DomainError as error:
            logger.warning("router refused %s for call %s: %s", event, event.call_id, error)
        except TelephonyError as error:
            logger.warning("switch refused a command after %s: %s", event, error)

    def _handle(self, event: CallEvent) -> None:
        if isinstance(event, PhoneRegistered):
            self._registered(event)
            return
        if isinstance(event, CallArrived):
            self._arrived(event)
            return
        if isinstance(event, CallRecorded):
            self._recorded(event)
            return
        if event.call_id in self.monitoring:
            self._monitors_end(event)
            if isinstance(event, MonitorEnded):
                return
        call = self.calls.get(event.call_id)
        if call is None or call.ended:
            logger.info("%s for a call not in routing: %s", event.kind, event.call_id)
            return
        call.log.append(event.kind)
        if isinstance(event, DigitsCollected):
            self._menu_choice(call, event.digits)
        elif isinstance(event, TransferRequested):
            self._transfer(call, event.target)
        elif isinstance(event, CallLost):
            self._lost(call)
        elif call.routed_out:
            self._routed_out_call(call, event)
        elif call.transferred:
            call.log.append(f"{event.kind} of the call before the transfer")  # its end completes nothing
        elif isinstance(event, AgentAnswered):
            agent = self.agent_of.get(event.agent)
            call.ringing = None
            if agent is None or agent != call.offered_to:
                logger.warning(
                    "call %s answered by %s, offered to %s", call.call_id, event.agent, call.offered_to
                )
                return
            call.connected = agent
            call.announce_at = call.music_resumes_at = None  # the switch stopped the caller's media
            self.center.accept(self.tenant_id, call.contact_id, agent)
            if call.recording is not None:
                self.recordings[call.call_id] = call.recording
                self.switch.record(call.call_id, on=True)
        elif isinstance(event, AgentFailed):
            self._agent_failed(call, event)
        elif isinstance(event, CallerAbandoned):
            if call.connected is not None:
                self._finish(call)
                return
            call.ended = True
            self._forget(call)
            if call.routed:
                self.center.abandon(self.tenant_id, call.contact_id)
            if call.ringing is None:
                self.switch.hangup(call.call_id, code=SIP_TERMINATED)
        elif isinstance(event, CallEnded):
            self._finish(call)

    def _lost(self, call: VoiceCall) -> None:
        """The switch lost the call (Kamailio restarted): its contact is closed in routing as if the
        caller hung up, a connected one completed with its agent, one waiting (or ringing, or between a
        transfer's two calls) abandoned; a caller still in the IVR menu was never a contact. The switch
        has nothing left to end."""
        call.log.append("lost by the switch")
        if call.connected is not None and not call.transferred:
            self._finish(call)
            return
        call.ended = True
        self._forget(call)
        if call.routed and not call.routed_out:
            self.center.abandon(self.tenant_id, call.contact_id)

    def _registered(self, event: PhoneRegistered) -> None:
        agent = self.agent_of.get(event.user)
        if agent is None or not self.login_on_register:
            return
        logged_in = self.center.inspect(self.tenant_id, lambda router: agent in router.agents)
        if event.expires > 0 and not logged_in:
            self.center.login(self.tenant_id, agent)
        elif event.expires == 0 and logged_in:
            self.center.logout(self.tenant_id, agent)

    def _arrived(self, event: CallArrived) -> None:
        if event.call_id in self.calls:
            return  # a retransmitted INVITE
        # The transferred caller's phone calls the target (with a Referred-By, when the phone sets one):
        # the same caller, dialling the queue the contact was transferred to, or the agent's phone user.
        target = QueueId(self.queues.get(event.queue, event.queue))
        for waiting in self.calls.values():
            if not waiting.transferred or waiting.caller != event.caller:
                continue
            if waiting.transfer_to == event.queue or (not waiting.transfer_to and waiting.queue_id == target):
                self._transferred_call_arrives(waiting, event.call_id)
                return
        held = self._consulting_from(event.caller)
        if held is not None:
            self._consult(held, event)
            return
        if event.queue in self.agent_of:
            # an agent's phone user dialled under the queue prefix is only a transfer target
            logger.warning("call %s dials agent %s but no transfer waits for it", event.call_id, event.queue)
            self.switch.hangup(event.call_id, code=SIP_NO_AGENT)
            return
        contact_id = ContactId(uuid.uuid4().hex)
        queue_id = QueueId(self.queues.get(event.queue, event.queue))
        call = VoiceCall(event.call_id, contact_id, queue_id, caller=event.caller)
        call.held_since = self.center.clock.now()
        self.calls[event.call_id] = call
        self.by_contact[contact_id] = call
        menu = self.menus.get(event.queue)
        if menu is None:
            self._route(call)
            self._hold_with_music(call)
            return
        call.menu = menu
        self.switch.open_media(call.call_id)
        self._prompt(call, menu)

    def _prompt(self, call: VoiceCall, menu: Menu) -> None:
        call.tries += 1
        call.log.append(f"prompt {call.tries}")
        self.switch.play(call.call_id, menu.prompt)
        self.switch.collect_digits(call.call_id, max_digits=1, timeout_seconds=menu.timeout_seconds)

    def _menu_choice(self, call: VoiceCall, digits: str) -> None:
        menu = call.menu
        if menu is None:
            return
        option = menu.choose(digits)
        call.log.append(f"pressed {digits or 'nothing'}")
        if option is None and call.tries < menu.attempts:
            self._prompt(call, menu)
            return
        if option is None and menu.on_no_choice is not None:
            option = menu.options[menu.on_no_choice]
        call.menu = None
        if option is None:
            call.ended = True
            self._forget(call)
            self.switch.hangup(call.call_id, code=SIP_NO_AGENT)
            return
        self.switch.play(call.call_id, menu.hold_music, loop=True)
        call.music = menu.hold_music
        self._route(call, option, menu.language)
        self._schedule_announcement(call)

    def _route(self, call: VoiceCall, option: MenuOption | None = None, language: str | None = None) -> None:
        """The call enters routing as a contact and is held until the router offers it to an agent."""
        if option is not None and option.queue is not None:
            call.queue_id = QueueId(option.queue)
        call.language = (option.language if option is not None else None) or language
        self.switch.queue(call.call_id)
        call.routed = True
        attributes = {"sip_call_id": call.call_id}
        if self.recording is not None and self.recording.covers(call.queue_id):
            call.recording = Path(self.recording.directory, f"{call.contact_id}.wav")
            attributes["recording"] = str(call.recording)
        try:
            self.center.arrive(
                self.tenant_id,
                call.queue_id,
                contact_id=call.contact_id,
                customer_id=call.caller or None,
                intent=option.intent if option is not None else None,
                language=call.language,
                attributes=attributes,
            )
        except DomainError:
            call.ended = True
            self._forget(call)
            self.switch.hangup(call.call_id, code=SIP_NO_AGENT)
            raise

    def _hold_with_music(self, call: VoiceCall) -> None:
        """A caller who dialled a queue without a menu and must wait (no agent was offered it at once)
        hears its queue's `hold_music` and announcements, as a menu's callers do: the switch opens its
        media first (early media). A queue without hold music keeps its callers on ringback."""
        every = self.announcements.get(call.queue_id)
        if every is None or every.hold_music is None or call.music is not None or not self._waiting(call):
            return
        read = partial(queue_standing, contact_id=call.contact_id, now=self.center.clock.now())
        if self.center.inspect(self.tenant_id, read) is None:
            return  # offered to an agent already: its phone rings at once
        self.switch.open_media(call.call_id)
        self.switch.play(call.call_id, every.hold_music, loop=True)
        call.music = every.hold_music
        call.log.append(f"hold music {every.hold_music}")
        self._schedule_announcement(call)

    def _transfer(self, call: VoiceCall, target: str) -> None:
        """The connected agent's phone transfers the caller to `target`: the dialled name of a queue, or
        the SIP user of an agent's phone (a transfer to that agent by name, `transfer_to_agent`)."""
        if call.connected is None:
            logger.warning("call %s asks for a transfer but is not connected", call.call_id)
            return
        consultation = self.by_contact.get(call.consulting) if call.consulting is not None else None
        if consultation is not None and consultation.connected is not None:
            # the phone transfers its held caller while consulting: to the colleague it consulted
            consulted = consultation.connected
            call.consulting = None
            call.log.append(f"consultation completed: transferred to {consulted}")
            self._transfer(call, self.phone_of.get(consulted, target))
            self._end_consultation(consultation)
            return
        named = self.agent_of.get(target)
        queue_id = QueueId(self.queues.get(target, target))
        call.log.append(f"transfer to {named or queue_id}")
        agent, call.connected, call.offered_to, call.failed = call.connected, None, None, None
        call.transferred = True  # set first: the router's new offer may come back within the command
        call.transfer_to = target
        try:
            if named is not None:
                self.center.transfer_to_agent(self.tenant_id, call.contact_id, named)
            else:
                self.center.transfer_to_queue(self.tenant_id, call.contact_id, queue_id)
        except DomainError:
            call.transferred, call.connected, call.transfer_to = False, agent, ""
            raise
        if named is None:
            call.queue_id = queue_id

    def _dialled(self, queue_id: QueueId) -> str:
        """The name a phone dials for a queue: the first the settings map to it, else its id."""
        names = [name for name, queue in self.queues.items() if queue == queue_id]
        return names[0] if names else str(queue_id)

    def _transferred_call_arrives(self, call: VoiceCall, call_id: str) -> None:
        """The caller's phone calls the transfer target: this call is the contact's from now on."""
        self.calls.pop(call.call_id, None)
        call.log.append(f"transferred as call {call_id}")
        first, call.call_id, call.transferred, call.transfer_to = call.call_id, call_id, False, ""
        call.held_since = self.center.clock.now()  # a new INVITE, held anew
        self.calls[call_id] = call
        self.switch.queue(call_id)
        call.music = call.announce_at = call.music_resumes_at = None  # a new call: its media is not open
        self._ring_if_offered(call)
        try:  # the caller's phone moved on: the first call must not stay up (not every phone ends it)
            self.switch.hangup(first)
        except TelephonyError as error:
            logger.info("the call before the transfer, %s, is over already: %s", first, error)
        # A call the switch ends itself is reported by no dialog end: its monitors (whose phones the
        # switch hung up with it) stop here.
        for monitoring in list(self.monitoring.get(first, [])):
            self._monitor_stopped(first, monitoring, "call ended")
        self._hold_with_music(call)

    def _recorded(self, event: CallRecorded) -> None:
        target = self.recordings.pop(event.call_id, None)
        if target is None:
            return
        legs = 1
        while target.exists():  # a transferred contact's later legs
            legs += 1
            target = target.with_name(f"{target.stem.split('.')[0]}.{legs}.wav")
        try:
            seconds = pcap_to_wav(Path(event.file), target, event.caller_port)
        except (OSError, RecordingError) as error:
            logger.warning(
                "the recording of call %s is in %s, not in %s: %s", event.call_id, event.file, target, error
            )
            return
        Path(event.file).unlink(missing_ok=True)
        logger.info("call %s recorded: %s (%.1f s)", event.call_id, target, seconds)

    def _agent_failed(self, call: VoiceCall, event: AgentFailed) -> None:
        agent = self.agent_of.get(event.agent)
        if call.ringing == agent:
            call.ringing = None
        if agent is not None and agent == call.offered_to:
            call.failed = agent
            early = self.center.clock.now() < call.ring_until - RING_SLACK_SECONDS
            if event.no_answer and not early:
                # Ring-no-answer: the phone rang for the offer time, so the router's offer deadline is due
                # now, or within moments (the timer loop fires it): agent to aux "missed", contact back to
                # the head of its place. Until then the caller is held and this phone is not rung again.
                self.center.advance(self.tenant_id)
            else:
                self.center.reject(self.tenant_id, call.contact_id, agent)
        self._ring_if_offered(call)

    def _routed_out_call(self, call: VoiceCall, event: CallEvent) -> None:
        """What the switch reports about a call routing has already ended (routed out while ringing)."""
        call.ringing = None
        call.ended = True
        self._forget(call)
        if isinstance(event, AgentFailed):
            self.switch.hangup(call.call_id, code=SIP_NO_AGENT)  # the caller is held again: end it
        elif isinstance(event, AgentAnswered):
            logger.warning(
                "call %s was answered by %s after it was routed out: ended", call.call_id, event.agent
            )
            self.switch.hangup(call.call_id)

    def _finish(self, call: VoiceCall) -> None:
        call.ended = True
        self._forget(call)
        if call.connected is not None:
            # a consultation is no customer's contact: no wrap-up after it
            wrap_up = 0.0 if call.consult_of is not None else None
            self.center.complete(
                self.tenant_id, call.contact_id, agent_id=call.connected, wrap_up_seconds=wrap_up
            )

    def _forget(self, call: VoiceCall) -> None:
        self.calls.pop(call.call_id, None)
        self.by_contact.pop(call.contact_id, None)
        if call.consult_of is not None:
            self._consultation_over(call)

    # ---- router → switch -----------------------------------------------------------------------------

    def _on_batch(self, batch: EventBatch) -> None:
        if batch.tenant_id != self.tenant_id:
            return
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._apply, batch)
        else:
            self._apply(batch)

    def _apply(self, batch: EventBatch) -> None:
        for event in batch.events:
            try:
                self._on_event(event)
            except (DomainError, TelephonyError) as error:
                logger.warning("could not carry out %s on the switch: %s", event, error)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ContactOffered):
            call = self.by_contact.get(event.contact_id)
            if call is not None:
                call.offered_to, call.offered_at = event.agent_id, event.at
                call.log.append(f"offered to {event.agent_id}")
                self._ring_if_offered(call)
        elif isinstance(event, OfferDeclined):
            call = self.by_contact.get(event.contact_id)
            if call is not None and call.offered_to == event.agent_id:
                call.offered_to = call.failed = None
                call.log.append(f"offer to {event.agent_id} {'missed' if event.missed else 'rejected'}")
        elif isinstance(event, ContactTransferred):
            call = self.by_contact.get(event.contact_id)
            if call is not None and call.connected is not None and not call.transferred:
                # transferred in Baiying (the agent desktop, the API): the switch moves the caller
                self._transferred_in_routing(call, event)
        elif isinstance(event, ContactRoutedOut):
            call = self.by_contact.get(event.contact_id)
            if call is None:
                return
            call.log.append(f"routed out to {event.destination}")
            call.offered_to = None
            if call.ringing is not None:
                call.routed_out = True  # a ringing branch cannot be ended: the phone's failure ends it
                return
            call.ended = True
            self._forget(call)
            if not call.transferred:  # (a transferred call's own INVITE has not come yet)
                self.switch.hangup(call.call_id, code=SIP_NO_AGENT)

    def _transferred_in_routing(self, call: VoiceCall, event: ContactTransferred) -> None:
        """Move the caller on the switch: its phone is asked to call the target queue, or, for a
        transfer to a named agent, that agent's phone user under the queue prefix (Kamailio holds that
        call like any queue call, and it rings the agent the router offers the contact to)."""
        if event.agent_id is not None:
            target = self.phone_of.get(event.agent_id)
            if target is None:
                logger.warning(
                    "contact %s was transferred to agent %s, who has no phone: the call stays where it is",
                    call.contact_id,
                    event.agent_id,
                )
                return
        else:
            target = self._dialled(event.to_queue_id)
        call.log.append(f"transferred to {event.agent_id or event.to_queue_id} in routing")
        call.transferred, call.connected, call.offered_to, call.failed = True, None, None, None
        call.transfer_to = target
        call.queue_id = event.to_queue_id
        self.switch.transfer(call.call_id, target)

    def _ring_if_offered(self, call: VoiceCall) -> None:
        """Ring the agent the router offered the call to, once the switch holds the caller (a phone that
        rang out is reported by the switch at about the time the router moves the offer on)."""
        agent = call.offered_to
        if agent is None or call.ringing is not None or call.connected is not None or call.ended:
            return
        if call.transferred:
            return  # rung once the caller's phone calls the transfer target
        if agent == call.failed:
            return
        phone = self.phone_of.get(agent)
        if phone is None:
            logger.warning("agent %s has no phone: the offer of call %s is rejected", agent, call.call_id)
            self.center.reject(self.tenant_id, call.contact_id, agent)
            return
        call.ringing, call.failed = agent, None
        call.ring_until = call.offered_at + self._offer_seconds(call)
        left = call.ring_until - self.center.clock.now() - RING_MARGIN_SECONDS
        ring_seconds = max(MIN_RING_SECONDS, left)
        self.switch.bridge(call.call_id, phone, ring_seconds=ring_seconds)

    def _offer_seconds(self, call: VoiceCall) -> float:
        """How long the router lets an offer of this contact ring (its queue's offer time)."""

        def read(router: Router) -> float:
            record = router.contacts.get(call.contact_id)
            return record.queue.offer_timeout_seconds if record is not None else MIN_RING_SECONDS

        return self.center.inspect(self.tenant_id, read)

    # ---- attended transfer (consultation) --------------------------------------------------------------

    def _consulting_from(self, user: str) -> VoiceCall | None:
        """The connected call of the agent whose phone is `user`, if that agent is not consulting yet: a
        call its phone places now is a consultation about it."""
        agent = self.agent_of.get(user)
        if agent is None:
            return None
        for call in self.calls.values():
            if (
                call.connected == agent
                and not call.ended
                and not call.transferred
                and call.consulting is None
            ):
                return call
        return None

    def _consult(self, held: VoiceCall, event: CallArrived) -> None:
        """The agent's phone calls a colleague (`queue-agent3`) or a queue (`queue-tech`) while connected:
        the caller goes on hold (music), and the call is a consultation contact in routing, for that agent
        (`arrive` with `agent_id`) or the queue's agents, rung like any contact."""
        named = self.agent_of.get(event.queue)
        queue_id = held.queue_id if named is not None else QueueId(self.queues.get(event.queue, event.queue))
        contact_id = ContactId(uuid.uuid4().hex)
        consultation = VoiceCall(
            event.call_id, contact_id, queue_id, caller=event.caller, consult_of=held.contact_id
        )
        consultation.held_since = self.center.clock.now()
        self.calls[event.call_id] = consultation
        self.by_contact[contact_id] = consultation
        held.consulting = contact_id
        held.log.append(f"consulting {named or queue_id} (contact {contact_id})")
        try:
            self.switch.hold(held.call_id, self.hold_music)
        except TelephonyError as error:
            logger.warning("call %s: the caller is not on hold: %s", held.call_id, error)
        self.switch.queue(event.call_id)
        consultation.routed = True
        attributes = {
            "sip_call_id": event.call_id,
            "consultation_of": str(held.contact_id),
            "consulted_by": str(held.connected),
        }
        try:
            self.center.arrive(
                self.tenant_id, queue_id, contact_id=contact_id, attributes=attributes, agent_id=named
            )
        except DomainError:
            consultation.ended = True
            self._forget(consultation)  # the caller is taken off hold
            self.switch.hangup(event.call_id, code=SIP_NO_AGENT)
            raise

    def _consultation_over(self, consultation: VoiceCall) -> None:
        """The consultation ended without a transfer (either phone hung up, or it was cancelled): the held
        caller is back with its agent."""
        held = self.by_contact.get(consultation.consult_of) if consultation.consult_of else None
        if held is None or held.consulting != consultation.contact_id:
            return
        held.consulting = None
        held.log.append("consultation over: back with the caller")
        if held.connected is not None and not held.ended and not held.transferred:
            self.switch.resume(held.call_id)

    def _end_consultation(self, consultation: VoiceCall) -> None:
        """End the answered consultation call (BYE to both phones) and complete its contact, which frees
        the consulted agent for the caller transferred to it."""
        consultation.ended = True
        self._forget(consultation)
        try:
            self.switch.hangup(consultation.call_id)
        except TelephonyError as error:
            logger.info("the consultation %s is over already: %s", consultation.call_id, error)
        if consultation.connected is not None:
            self.center.complete(
                self.tenant_id, consultation.contact_id, agent_id=consultation.connected, wrap_up_seconds=0.0
            )

    def _consultation(self, contact_id: ContactId) -> tuple[VoiceCall, VoiceCall]:
        call = self.by_contact.get(contact_id)
        if call is None or call.ended or call.connected is None:
            raise TelephonyError(f"contact {contact_id} has no connected call")
        consultation = self.by_contact.get(call.consulting) if call.consulting is not None else None
        if consultation is None:
            raise TelephonyError(f"contact {contact_id} has no consultation under way")
        return call, consultation

    def complete_consultation(self, contact_id: ContactId) -> AgentId:
        """Attended transfer, completed in Baiying: the caller of `contact_id` (on hold) goes to the agent
        its agent consulted. Routing transfers the contact to that agent (the first agent is released to
        wrap-up; the contact keeps its history), the consultation call ends and its contact completes, so
        the agent is free for the caller, whose phone is REFERred to it. Returns that agent."""
        call, consultation = self._consultation(contact_id)
        consulted = consultation.connected
        if consulted is None:
            raise TelephonyError(f"the consultation of contact {contact_id} is not answered yet")
        call.consulting = None
        call.log.append(f"consultation completed: transferred to {consulted}")
        # ContactTransferred (to that agent) has the switch REFER the caller (`_transferred_in_routing`)
        self.center.transfer_to_agent(self.tenant_id, contact_id, consulted)
        self._end_consultation(consultation)
        return consulted

    def cancel_consultation(self, contact_id: ContactId) -> None:
        """The consultation ends, the caller of `contact_id` is back with its agent. A consultation still
        held in routing is abandoned; an answered one is completed (BYE to both phones); one whose phone
        rings cannot be ended from here (hang up the consulting phone)."""
        call, consultation = self._consultation(contact_id)
        if consultation.ringing is not None:
            raise TelephonyError(
                f"the consultation of contact {contact_id} is ringing at {consultation.ringing}: "
                "hang it up on the phone"
            )
        call.log.append("consultation cancelled")
        if consultation.connected is not None:
            self._finish(consultation)
            self.switch.hangup(consultation.call_id)
            return
        consultation.ended = True
        self._forget(consultation)
        self.center.abandon(self.tenant_id, consultation.contact_id)
        self.switch.hangup(consultation.call_id, code=SIP_TERMINATED)

    # ---- supervision -----------------------------------------------------------------------------------

    def monitor(
        self, contact_id: ContactId, supervisor: str, *, mode: str = "monitor", by: str | None = None
    ) -> AgentId:
        """A supervisor's phone (SIP user `supervisor`) listens to the connected call of `contact_id`
        (`mode` monitor), or talks to the agent (whisper) or joins (barge) where the switch can; a switch
        that cannot refuses with `NotSupported`, a contact without a connected call with TelephonyError.
        `by` is who asked (the supervisor's user id; the phone's user if not given): the event log gets
        `monitor-started` with who monitors whom, and `monitor-stopped` when it ends. Returns the agent."""
        call = self.by_contact.get(contact_id)
        if call is None or call.ended or call.connected is None:
            raise TelephonyError(f"contact {contact_id} has no connected call to {mode}")
        listening = self.monitoring.setdefault(call.call_id, [])
        if any(m.phone == supervisor for m in listening):
            raise TelephonyError(f"{supervisor} already monitors contact {contact_id}")
        self.switch.monitor(call.call_id, supervisor, mode=mode)
        call.log.append(f"{mode} by {supervisor}")
        started = Monitoring(contact_id, call.connected, by or supervisor, supervisor)
        listening.append(started)
        self.center.record_monitor(
            self.tenant_id, contact_id, call.connected, supervisor=started.by, phone=supervisor, mode=mode
        )
        return call.connected

    def stop_monitor(self, contact_id: ContactId, supervisor: str) -> None:
        """Hang up the supervisor phone `supervisor` that listens to the call of `contact_id`."""
        call = self.by_contact.get(contact_id)
        listening = self.monitoring.get(call.call_id, []) if call is not None else []
        found = next((m for m in listening if m.phone == supervisor), None)
        if call is None or found is None:
            raise TelephonyError(f"{supervisor} does not monitor contact {contact_id}")
        self.switch.stop_monitor(call.call_id, supervisor)
        self._monitor_stopped(call.call_id, found, "stopped")

    def _monitor_stopped(self, call_id: str, monitoring: "Monitoring", reason: str) -> None:
        listening = self.monitoring.get(call_id, [])
        if monitoring in listening:
            listening.remove(monitoring)
        if not listening:
            self.monitoring.pop(call_id, None)
        self.center.record_monitor(
            self.tenant_id,
            monitoring.contact_id,
            monitoring.agent_id,
            supervisor=monitoring.by,
            phone=monitoring.phone,
            stopped=reason,
        )

    def _monitors_end(self, event: CallEvent) -> None:
        """The switch reports a supervisor hung up, or a monitored call ended: its monitors stopped."""
        if isinstance(event, MonitorEnded):
            for monitoring in list(self.monitoring.get(event.call_id, [])):
                if monitoring.phone == event.supervisor:
                    self._monitor_stopped(event.call_id, monitoring, event.reason)
        elif isinstance(event, CallEnded | CallerAbandoned | CallLost):
            for monitoring in list(self.monitoring.get(event.call_id, [])):
                self._monitor_stopped(event.call_id, monitoring, "call ended")

    # ---- announcements ---------------------------------------------------------------------------------

    def _schedule_announcement(self, call: VoiceCall) -> None:
        """The call's next announcement, after its queue's `every_seconds` of music (none without a
        speaker, music, or announcements for its queue)."""
        every = self.announcements.get(call.queue_id)
        if every is None or self.speaker is None or call.music is None or not self._waiting(call):
            call.announce_at = None
            return
        call.announce_at = self.center.clock.now() + every.every_seconds

    @staticmethod
    def _waiting(call: VoiceCall) -> bool:
        """Held in the queue by the switch (an agent's phone may ring for it)."""
        return call.routed and not (call.ended or call.transferred or call.routed_out or call.connected)

    def next_announcement(self) -> float | None:
        """When an announcement is due or one ends (the music restarts), whichever is first."""
        times = [
            at
            for call in self.calls.values()
            for at in (call.announce_at, call.music_resumes_at)
            if at is not None
        ]
        return min(times, default=None)

    def due_announcements(self) -> list[tuple[VoiceCall, Announcement]]:
        """Restart the music of the calls whose announcement is over, and return the sentences due now:
        each waiting caller's position and expected wait, as routing has them now. A caller whose agent's
        phone rings is skipped (asked again after another round of music)."""
        now = self.center.clock.now()
        due: list[tuple[VoiceCall, Announcement]] = []
        for call in list(self.calls.values()):
            if call.music_resumes_at is not None and call.music_resumes_at <= now:
                call.music_resumes_at = None
                if self._waiting(call) and call.music is not None:
                    self.switch.play(call.call_id, call.music, loop=True)
                    call.log.append("music again")
                    self._schedule_announcement(call)
            if call.announce_at is None or call.announce_at > now:
                continue
            call.announce_at = None
            if not self._waiting(call) or call.ringing is not None:
                self._schedule_announcement(call)
                continue
            try:
                read = partial(queue_standing, contact_id=call.contact_id, now=now)
                standing = self.center.inspect(self.tenant_id, read)
            except DomainError as error:  # the contact left routing a moment ago
                logger.info("no standing for call %s: %s", call.call_id, error)
                continue
            if standing is None:  # offered to an agent: its phone is about to ring
                self._schedule_announcement(call)
                continue
            due.append((call, announcement(standing, call.language)))
        return due

    def start_announcement(self, call: VoiceCall, said: Announcement, media: str, seconds: float) -> None:
        """Play the spoken `media` to a caller still waiting; the music restarts after `seconds`."""
        if self.calls.get(call.call_id) is not call or not self._waiting(call) or call.ringing is not None:
            self._schedule_announcement(call)
            return
        self.switch.play(call.call_id, media)
        call.announced.append(said.text)
        call.log.append(f"announced {media} ({seconds:.1f} s)")
        call.music_resumes_at = self.center.clock.now() + seconds

    async def announce(self) -> None:
        """Carry out the announcements due: each sentence is spoken (or found in the speaker's cache) off
        the event loop, then played."""
        speaker = self.speaker
        for call, said in self.due_announcements():
            if speaker is None:
                break
            try:
                media, seconds = await asyncio.to_thread(speaker.speak, said)
                self.start_announcement(call, said, media, seconds)
            except TelephonyError as error:
                logger.warning("call %s: no announcement: %s", call.call_id, error)
                self._schedule_announcement(call)

    # ---- deadlines -------------------------------------------------------------------------------------

    def _queue_deadline(self, call: VoiceCall) -> float | None:
        """When the held call is routed out for its maximum queue time; None while it is not held by the
        switch (connected, ended, routed out, or transferred and not called in yet) or without a cap."""
        limit = self.max_queue_seconds
        if limit is None or call.ended or call.routed_out or call.transferred or call.connected is not None:
            return None
        return call.held_since + limit - min(MAX_QUEUE_MARGIN_SECONDS, limit / 2)

    def next_queue_deadline(self) -> float | None:
        """The earliest maximum-queue-time deadline of the calls held now, if any."""
        deadlines = [d for d in map(self._queue_deadline, self.calls.values()) if d is not None]
        return min(deadlines, default=None)

    def expire_held_calls(self) -> None:
        """Route out every call held up to its maximum queue time. Its contact ends `routed-out`
        ("disconnected", the reason naming the limit) and the event ends the call with 480; a caller still
        in the IVR menu was never a contact, and is ended with 480 alone."""
        now = self.center.clock.now()
        for call in list(self.calls.values()):
            deadline = self._queue_deadline(call)
            if deadline is None or deadline > now:
                continue
            call.log.append("maximum queue time")
            if not call.routed:
                call.ended = True
                self._forget(call)
                self.switch.hangup(call.call_id, code=SIP_NO_AGENT)
                continue
            reason = f"maximum queue time {self.max_queue_seconds:g} s"
            try:
                self.center.route_out(
                    self.tenant_id, call.contact_id, RouteOutDestination.DISCONNECTED, reason
                )
            except DomainError as error:
                logger.warning("call %s: routing refused to route it out: %s", call.call_id, error)

    async def run_timers(self, *, idle_seconds: float = 1.0) -> None:
        """Fire the router's deadlines when due (ring-no-answer, wrap-up); until cancelled. Not needed
        when `baiying serve` hosts the center: its own timer loop advances it."""
        while True:
            due = self.center.next_due(self.tenant_id)
            held = self.next_queue_deadline()
            spoken = self.next_announcement()
            soonest = min((d for d in (due, held, spoken) if d is not None), default=None)
            now = self.center.clock.now()
            wait = idle_seconds if soonest is None else min(idle_seconds, max(0.0, soonest - now))
            await asyncio.sleep(wait)
            if due is not None and self.center.clock.now() >= due:
                try:
                    self.center.advance(self.tenant_id)
                except DomainError as error:  # pragma: no cover - advance refuses nothing today
                    logger.warning("advance refused: %s", error)
            if held is not None and self.center.clock.now() >= held:
                self.expire_held_calls()
            if spoken is not None and self.center.clock.now() >= spoken:
                await self.announce()
