"""Call control over the simulated switch and the real live engine (LiveCenter on each database): the
router's choices ring phones, the phones' answers, hang-ups and silences become router commands."""

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from baiying import events as ev
from baiying.application.center import LiveCenter
from baiying.clock import ManualClock
from baiying.ids import AgentId, ContactId, QueueId
from baiying.telephony.announce import Announcement, QueueAnnouncement
from baiying.telephony.control import CallControl
from baiying.telephony.lab import lab_settings, prepare_database
from baiying.telephony.lab.prompts import tone_pcap
from baiying.telephony.settings import RecordingPolicy
from baiying.telephony.switch import (
    CallRecorded,
    CallState,
    MonitorEnded,
    NotSupported,
    SimulatedSwitch,
    TelephonyError,
)

T0 = 1_795_000_000.0
A1, A2, TECH = AgentId("agent-001"), AgentId("agent-002"), AgentId("tech-001")
MENU = lab_settings().menus["menu"]  # 1 billing, 2 tech; 2 attempts, then billing


class Lab:
    def __init__(self, url: str, recordings: Path, switch: SimulatedSwitch | None = None) -> None:
        prepare_database(url, "lab", at=T0 - 60)
        self.clock = ManualClock(T0)
        self.center = LiveCenter(url, self.clock, tenants=["lab"])
        self.switch = switch or SimulatedSwitch()
        self.control = CallControl(
            self.center,
            "lab",
            self.switch,
            agents={"agent1": "agent-001", "agent2": "agent-002", "agent3": "tech-001"},
            queues={"menu": "helpdesk", "strict": "helpdesk"},
            menus={"menu": MENU, "strict": MENU.model_copy(update={"on_no_choice": None})},
            recording=RecordingPolicy(directory=str(recordings), queues=["helpdesk"]),
            login_on_register=True,
        )

    def events(self) -> list[ev.Event]:
        return [event for _, event in self.center.read_events("lab", 0)]

    def kinds(self, *kinds: type[ev.Event]) -> list[ev.Event]:
        return [e for e in self.events() if isinstance(e, kinds)]

    def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.center.advance("lab")


# Call control's own logic, the same on either database (the tests above run on both): SQLite only, to keep
# the telephony group within its time.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def lab(db_url: str, tmp_path: Path) -> Iterator[Lab]:
    (tmp_path / "recordings").mkdir()
    lab = Lab(db_url, tmp_path / "recordings")
    lab.switch.register("agent1")
    lab.clock.advance(1)
    lab.switch.register("agent2")
    yield lab
    lab.control.close()
    lab.center.close()


def offered(lab: Lab) -> list[tuple[str, str]]:
    return [(e.contact_id, e.agent_id) for e in lab.kinds(ev.ContactOffered)]  # type: ignore[attr-defined]


def test_third_caller_waits_and_reaches_the_first_agent_to_hang_up(lab: Lab) -> None:
    sw = lab.switch
    for n in (1, 2, 3):
        sw.place_call(f"c{n}", "support", f"caller{n}")
        lab.clock.advance(1)
    assert (sw.calls["c1"].state, sw.calls["c1"].agent) == (CallState.RINGING, "agent1")  # longest idle
    assert (sw.calls["c2"].state, sw.calls["c2"].agent) == (CallState.RINGING, "agent2")
    assert sw.calls["c3"].state is CallState.QUEUED
    sw.answer("c1")
    sw.answer("c2")
    lab.clock.advance(5)
    sw.agent_hangs_up("c2")  # agent2 is free first
    assert (sw.calls["c3"].state, sw.calls["c3"].agent) == (CallState.RINGING, "agent2")
    sw.answer("c3")
    sw.caller_hangs_up("c1")
    sw.caller_hangs_up("c3")
    assert lab.control.calls == {}
    answered = lab.kinds(ev.ContactAnswered)
    assert [e.agent_id for e in answered] == [A1, A2, A2]  # type: ignore[attr-defined]
    assert answered[2].wait_seconds == pytest.approx(6)  # type: ignore[attr-defined]
    assert len(lab.kinds(ev.ContactCompleted)) == 3


def test_caller_who_hangs_up_in_the_queue_is_abandoned_with_487(lab: Lab) -> None:
    sw = lab.switch
    lab.center.set_aux("lab", A1, "lunch")
    lab.center.set_aux("lab", A2, "lunch")
    sw.place_call("c1", "support", "caller1")
    lab.clock.advance(2)
    sw.caller_hangs_up("c1")
    assert (sw.calls["c1"].state, sw.calls["c1"].final_code) == (CallState.ENDED, 487)
    abandoned = lab.kinds(ev.ContactAbandoned)
    assert len(abandoned) == 1
    assert abandoned[0].wait_seconds == pytest.approx(2)
    assert lab.control.calls == {}
    lab.center.set_ready("lab", A1)  # nothing is offered any more
    assert offered(lab) == []


def contact_of(lab: Lab, call_id: str) -> ContactId:
    return lab.control.calls[call_id].contact_id


def test_a_call_held_for_its_maximum_queue_time_is_routed_out_with_an_event_and_ended_480(lab: Lab) -> None:
    sw = lab.switch
    lab.control.max_queue_seconds = 120  # routed out 30 s before the switch's cap
    lab.center.set_aux("lab", A1, "lunch")
    lab.center.set_aux("lab", A2, "lunch")
    sw.place_call("c1", "support", "caller1")
    contact = contact_of(lab, "c1")
    assert lab.control.next_queue_deadline() == T0 + 1 + 90
    lab.clock.advance(89.5)
    lab.control.expire_held_calls()
    assert sw.calls["c1"].state is CallState.QUEUED  # not yet
    lab.clock.advance(0.5)
    lab.control.expire_held_calls()
    assert (sw.calls["c1"].state, sw.calls["c1"].final_code) == (CallState.ENDED, 480)
    [routed_out] = lab.kinds(ev.ContactRoutedOut)
    assert (routed_out.contact_id, routed_out.destination, routed_out.reason, routed_out.wait_seconds) == (  # type: ignore[attr-defined]
        contact,
        "disconnected",
        "maximum queue time 120 s",
        90,
    )
    assert not lab.kinds(ev.ContactAbandoned)  # the caller did not leave: the center ended the call
    ended = lab.center.contact("lab", contact)
    assert (ended.state, ended.routed_out_to) == ("routed-out", "disconnected")
    assert (lab.control.calls, lab.control.next_queue_deadline()) == ({}, None)
    lab.center.set_ready("lab", A1)  # nothing is left to offer
    assert offered(lab) == []


def test_a_connected_call_is_never_routed_out_for_its_queue_time(lab: Lab) -> None:
    sw = lab.switch
    lab.control.max_queue_seconds = 60
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")
    lab.clock.advance(600)
    assert lab.control.next_queue_deadline() is None
    lab.control.expire_held_calls()
    assert sw.calls["c1"].state is CallState.CONNECTED
    assert not lab.kinds(ev.ContactRoutedOut)


def test_a_call_routed_out_while_its_agent_rings_ends_when_the_phone_stops_ringing(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "support", "caller1")
    assert (sw.calls["c1"].state, sw.calls["c1"].agent) == (CallState.RINGING, "agent1")
    lab.clock.advance(2)
    lab.center.route_out("lab", contact_of(lab, "c1"), "voicemail", "the caller asked for voicemail")
    assert sw.calls["c1"].state is CallState.RINGING  # a ringing branch is not ended from call control
    lab.clock.advance(2)
    sw.no_answer("c1")
    assert (sw.calls["c1"].state, sw.calls["c1"].final_code) == (CallState.ENDED, 480)
    assert lab.control.calls == {}
    [routed_out] = lab.kinds(ev.ContactRoutedOut)
    assert (routed_out.destination, routed_out.wait_seconds) == ("voicemail", 2)  # type: ignore[attr-defined]
    # The agent was freed when the contact was routed out: not declined, not set to aux "missed".
    assert not lab.kinds(ev.OfferDeclined)
    states = [e.state for e in lab.kinds(ev.AgentStateChanged) if e.agent_id == A1]  # type: ignore[attr-defined]
    assert states[-2:] == ["reserved", "ready"]


def test_the_timer_loop_routes_out_a_call_at_its_maximum_queue_time(lab: Lab) -> None:
    sw = lab.switch
    lab.control.max_queue_seconds = 40
    lab.center.set_aux("lab", A1, "lunch")
    lab.center.set_aux("lab", A2, "lunch")
    sw.place_call("c1", "support", "caller1")

    async def timers() -> None:
        task = asyncio.create_task(lab.control.run_timers(idle_seconds=0.01))
        await asyncio.sleep(0.03)
        assert sw.calls["c1"].state is CallState.QUEUED
        lab.clock.advance(20)  # 40 s less half of it
        await asyncio.sleep(0.05)
        task.cancel()

    asyncio.run(timers())
    assert (sw.calls["c1"].state, sw.calls["c1"].final_code) == (CallState.ENDED, 480)
    assert [e.reason for e in lab.kinds(ev.ContactRoutedOut)] == ["maximum queue time 40 s"]  # type: ignore[attr-defined]


def test_caller_who_hangs_up_while_the_agent_rings_frees_the_agent(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "support", "caller1")
    sw.caller_hangs_up("c1")
    assert lab.kinds(ev.ContactAbandoned)
    states = [e.state for e in lab.kinds(ev.AgentStateChanged) if e.agent_id == A1]  # type: ignore[attr-defined]
    assert states[-2:] == ["reserved", "ready"]


def test_ring_no_answer_sets_the_agent_aux_and_the_call_goes_to_the_other_agent(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "support", "caller1")
    assert sw.calls["c1"].agent == "agent1"
    assert sw.calls["c1"].ring_seconds == 3.75  # the queue's offer time, less the margin
    lab.clock.advance(4)
    sw.no_answer("c1")  # the phone rang for the offer time
    assert (sw.calls["c1"].state, sw.calls["c1"].agent) == (CallState.RINGING, "agent2")
    sw.answer("c1")
    declined = lab.kinds(ev.OfferDeclined)
    assert [(e.agent_id, e.missed) for e in declined] == [(A1, True)]  # type: ignore[attr-defined]
    aux = [e for e in lab.kinds(ev.AgentStateChanged) if e.agent_id == A1 and e.state == "aux"]  # type: ignore[attr-defined]
    assert [e.reason for e in aux] == ["missed"]  # type: ignore[attr-defined]
    assert [e.agent_id for e in lab.kinds(ev.ContactAnswered)] == [A2]  # type: ignore[attr-defined]


def test_ring_no_answer_reported_by_the_router_before_the_switch(lab: Lab) -> None:
    sw = lab.switch
    lab.center.set_aux("lab", A2, "lunch")
    sw.place_call("c1", "support", "caller1")
    lab.tick(4)  # the router's deadline fires first: nobody else is free, the caller stays held
    assert sw.calls["c1"].state is CallState.RINGING  # the switch still rings until its own timer
    sw.no_answer("c1")
    assert sw.calls["c1"].state is CallState.QUEUED
    lab.center.set_ready("lab", A2)
    assert (sw.calls["c1"].state, sw.calls["c1"].agent) == (CallState.RINGING, "agent2")


def test_phone_ringing_out_just_before_the_router_deadline_is_not_rung_again(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "support", "caller1")
    lab.clock.advance(3.8)
    sw.no_answer("c1")  # the switch's timer ran a little ahead of the router's
    assert sw.calls["c1"].state is CallState.QUEUED
    assert sw.calls["c1"].history == ["queued", "ring agent1", "agent1 failed 408"]
    lab.tick(0.2)  # the offer deadline: ring-no-answer
    assert (sw.calls["c1"].state, sw.calls["c1"].agent) == (CallState.RINGING, "agent2")
    assert [(e.agent_id, e.missed) for e in lab.kinds(ev.OfferDeclined)] == [(A1, True)]  # type: ignore[attr-defined]


def test_phone_timing_out_early_is_a_rejection(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "support", "caller1")
    lab.clock.advance(1)
    sw.no_answer("c1", code=408)  # the phone gave up after 1 s of the 4 s offer
    assert sw.calls["c1"].agent == "agent2"
    assert sw.calls["c1"].ring_seconds == pytest.approx(3.75)  # a new offer rings for the whole offer time
    assert [(e.agent_id, e.missed) for e in lab.kinds(ev.OfferDeclined)] == [(A1, False)]  # type: ignore[attr-defined]


def test_busy_phone_is_a_rejection_not_aux(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "support", "caller1")
    sw.no_answer("c1", code=486)
    assert sw.calls["c1"].agent == "agent2"
    declined = lab.kinds(ev.OfferDeclined)
    assert [(e.agent_id, e.missed) for e in declined] == [(A1, False)]  # type: ignore[attr-defined]


def test_unregistered_phone_is_rejected_and_the_other_agent_rings(lab: Lab) -> None:
    sw = lab.switch
    sw.registered.discard("agent1")  # the phone dropped its registration without telling
    sw.place_call("c1", "support", "caller1")
    assert sw.calls["c1"].agent == "agent2"
    assert "agent1 not registered" in sw.calls["c1"].history


def test_phone_unregistering_logs_the_agent_out(lab: Lab) -> None:
    lab.switch.register("agent2", expires=0)
    assert [a.agent_id for a in lab.center.agents("lab")] == [A1]


def test_unknown_queue_ends_the_call_with_480(lab: Lab) -> None:
    lab.switch.place_call("c1", "nosuchqueue", "caller1")
    assert (lab.switch.calls["c1"].state, lab.switch.calls["c1"].final_code) == (CallState.ENDED, 480)
    assert lab.control.calls == {}


def test_offers_committed_on_another_thread_ring_phones_on_the_switch_loop(
    db_url: str, tmp_path: Path
) -> None:
    """Hosted in `baiying serve`, an agent becoming ready over HTTP commits on a request thread: the
    offer it makes reaches the switch on the switch's own loop, never on the request thread."""
    lab = Lab(db_url, tmp_path)
    rang_on: list[str] = []
    bridge = lab.switch.bridge

    def recording_bridge(call_id: str, agent: str, *, ring_seconds: float) -> None:
        rang_on.append(threading.current_thread().name)
        bridge(call_id, agent, ring_seconds=ring_seconds)

    lab.switch.bridge = recording_bridge  # type: ignore[method-assign]

    async def scenario() -> None:
        lab.control.loop = asyncio.get_running_loop()
        lab.switch.register("agent1")
        lab.center.set_aux("lab", A1, "lunch")
        lab.switch.place_call("c1", "support", "caller1")
        await asyncio.sleep(0.01)
        assert lab.switch.calls["c1"].state is CallState.QUEUED
        await asyncio.to_thread(lab.center.set_ready, "lab", A1)  # the offer is committed off the loop
        await asyncio.sleep(0.01)

    try:
        asyncio.run(scenario())
        assert lab.switch.calls["c1"].agent == "agent1"
        assert rang_on == [threading.main_thread().name]
    finally:
        lab.control.close()
        lab.center.close()


def test_caller_chooses_2_in_the_menu_and_reaches_the_agent_with_that_skill(lab: Lab) -> None:
    sw = lab.switch
    sw.register("agent3")  # agent1 idles longest, but only tech-001 has the "tech" skill
    sw.place_call("c1", "menu", "caller1")
    call = sw.calls["c1"]
    assert (call.media_open, call.playing, call.collecting) == (True, "menu-en.wav", 1)
    assert lab.kinds(ev.ContactArrived) == []  # not a contact while in the menu
    lab.clock.advance(2)
    sw.press("c1", "2")
    assert call.history[-3:] == ["play music.wav (loop)", "queued", "ring agent3"]
    (arrived,) = lab.kinds(ev.ContactArrived)
    assert (arrived.queue_id, arrived.intent, arrived.language) == ("helpdesk", "tech", "en")  # type: ignore[attr-defined]
    assert offered(lab) == [(arrived.contact_id, TECH)]  # type: ignore[attr-defined]
    sw.answer("c1")
    assert call.playing is None
    sw.caller_hangs_up("c1")
    assert [e.agent_id for e in lab.kinds(ev.ContactCompleted)] == [TECH]  # type: ignore[attr-defined]


class ListSpeaker:
    """What the speaker was asked to say; each sentence is 'spoken' as a 3-second file."""

    def __init__(self) -> None:
        self.said: list[Announcement] = []

    def speak(self, said: Announcement) -> tuple[str, float]:
        self.said.append(said)
        return f"announcements/{len(self.said)}.wav", 3.0


def test_waiting_callers_hear_their_position_and_expected_wait_between_the_music(lab: Lab) -> None:
    sw, control = lab.switch, lab.control
    speaker = ListSpeaker()
    control.speaker = speaker
    control.announcements = {"helpdesk": QueueAnnouncement(every_seconds=10)}
    for n in (1, 2):  # both agents talk
        sw.place_call(f"c{n}", "support", f"caller{n}")
        sw.answer(f"c{n}")
    sw.place_call("m1", "menu", "caller3")
    sw.press("m1", "1")  # billing: agent1 and agent2 have it, and both are busy
    assert sw.calls["m1"].playing == "music.wav"
    assert control.next_announcement() == lab.clock.now() + 10
    lab.clock.advance(4)
    sw.place_call("m2", "menu", "caller4")
    sw.press("m2", "1")
    lab.clock.advance(6)
    asyncio.run(control.announce())  # m1's turn; m2's comes 4 s later
    # nobody ahead; both billing agents 10 s into their calls, 180 s per call (the queue's first estimate)
    assert [a.text for a in speaker.said] == [
        "You are number 1 in the queue. The expected wait is about 3 minutes."
    ]
    assert sw.calls["m1"].playing == "announcements/1.wav"
    assert sw.calls["m2"].playing == "music.wav"
    lab.clock.advance(3)  # the sentence is over: the music again, the next announcement 10 s later
    asyncio.run(control.announce())
    assert sw.calls["m1"].playing == "music.wav"
    assert control.calls["m1"].announce_at == lab.clock.now() + 10
    lab.clock.advance(1)
    asyncio.run(control.announce())
    assert speaker.said[1] == Announcement(
        "en", "You are number 2 in the queue. The expected wait is about 3 minutes."
    )
    assert sw.calls["m2"].history[-3:] == ["play music.wav (loop)", "queued", "play announcements/2.wav"]
    lab.clock.advance(3)  # m2's music again
    asyncio.run(control.announce())
    lab.clock.advance(4)
    sw.agent_hangs_up("c1")  # agent1 is free: m1 rings it; it hears no announcement while it rings
    assert sw.calls["m1"].state is CallState.RINGING
    lab.clock.advance(2)
    asyncio.run(control.announce())
    assert len(speaker.said) == 2
    assert control.calls["m1"].announce_at == lab.clock.now() + 10  # asked again after more music
    sw.answer("m1")
    lab.clock.advance(4)
    asyncio.run(control.announce())
    assert control.calls["m1"].announced == [speaker.said[0].text]  # connected: nothing more for m1
    assert control.calls["m1"].announce_at is None
    assert speaker.said[2].text == "You are number 1 in the queue. The expected wait is about 3 minutes."
    assert control.calls["m2"].announced == [speaker.said[1].text, speaker.said[2].text]  # m2 moved up


@SQLITE_ONLY
def test_a_caller_who_must_wait_without_a_menu_hears_the_queues_hold_music_and_standing(lab: Lab) -> None:
    sw, control = lab.switch, lab.control
    speaker = ListSpeaker()
    control.speaker = speaker
    control.announcements = {"support": QueueAnnouncement(every_seconds=5, hold_music="music.wav")}
    for n in (1, 2):  # an agent is free for each: their phones ring at once, no media is opened
        sw.place_call(f"c{n}", "support", f"caller{n}")
        assert sw.calls[f"c{n}"].state is CallState.RINGING
        assert not sw.calls[f"c{n}"].media_open
        sw.answer(f"c{n}")
    lab.clock.advance(60)
    sw.place_call("c3", "support", "caller3")  # both agents talk: answered into the queue with music
    assert sw.calls["c3"].history == ["queued", "media", "play music.wav (loop)"]
    assert control.calls["c3"].music == "music.wav"
    assert control.next_announcement() == lab.clock.now() + 5
    lab.clock.advance(5)
    asyncio.run(control.announce())
    # nobody ahead, both agents 65 s into calls of about 180 s: the first is free in about 2 minutes
    assert [a.text for a in speaker.said] == [
        "You are number 1 in the queue. The expected wait is about 2 minutes."
    ]
    assert sw.calls["c3"].playing == "announcements/1.wav"
    sw.agent_hangs_up("c1")  # agent1 is free: the waiting caller rings it, then talks
    sw.answer("c3")
    assert control.calls["c3"].announce_at is None
    assert [e.agent_id for e in lab.kinds(ev.ContactAnswered)][-1] == AgentId("agent-001")  # type: ignore[attr-defined]


@SQLITE_ONLY
def test_a_queue_without_hold_music_keeps_its_waiting_callers_on_ringback(lab: Lab) -> None:
    lab.control.speaker = ListSpeaker()
    lab.control.announcements = {"support": QueueAnnouncement(every_seconds=5)}
    for n in (1, 2, 3):
        lab.switch.place_call(f"c{n}", "support", f"caller{n}")
    assert lab.switch.calls["c3"].history == ["queued"]
    assert lab.control.next_announcement() is None


def test_a_wrong_key_replays_the_prompt_then_the_default_option_is_taken(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "menu", "caller1")
    sw.press("c1", "7")
    assert sw.calls["c1"].history == ["media", "play menu-en.wav", "play menu-en.wav"]
    sw.digits_time_out("c1")  # the second and last attempt: billing, the menu's on_no_choice
    (arrived,) = lab.kinds(ev.ContactArrived)
    assert arrived.intent == "billing"  # type: ignore[attr-defined]
    assert sw.calls["c1"].agent == "agent1"  # agent-001 has billing and idles longest
    log = lab.control.calls["c1"].log
    assert log[:6] == [
        "prompt 1",
        "digits-collected",
        "pressed 7",
        "prompt 2",
        "digits-collected",
        "pressed nothing",
    ]


def test_no_choice_without_a_default_ends_the_call_with_480(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "strict", "caller1")
    sw.digits_time_out("c1")
    sw.digits_time_out("c1")
    assert (sw.calls["c1"].state, sw.calls["c1"].final_code) == (CallState.ENDED, 480)
    assert lab.kinds(ev.ContactArrived) == []
    assert lab.control.calls == {}


def test_caller_who_hangs_up_in_the_menu_was_never_a_contact(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "menu", "caller1")
    sw.caller_hangs_up("c1")
    assert (sw.calls["c1"].state, sw.calls["c1"].final_code) == (CallState.ENDED, 487)
    assert lab.kinds(ev.ContactArrived, ev.ContactAbandoned) == []
    assert lab.control.calls == {}


def test_a_recorded_queue_records_from_the_answer_and_writes_the_contacts_wav(
    lab: Lab, tmp_path: Path
) -> None:
    sw = lab.switch
    recordings = tmp_path / "recordings"
    sw.register("agent3")
    sw.place_call("c1", "support", "caller1")  # support is not recorded
    sw.answer("c1")
    assert "recording" not in sw.calls["c1"].history
    sw.place_call("c2", "menu", "caller2")  # the menu leads to helpdesk, which is recorded
    sw.press("c2", "2")
    (_, arrived) = lab.kinds(ev.ContactArrived)
    target = recordings / f"{arrived.contact_id}.wav"  # type: ignore[attr-defined]
    assert lab.control.calls["c2"].recording == target
    sw.answer("c2")
    assert sw.calls["c2"].history[-2:] == ["answered by agent3", "recording"]
    sw.agent_hangs_up("c2")
    tone_pcap(recordings / "c2.pcap", 1000, 0.5)  # what the switch captured: here the caller's side only
    sw._emit(CallRecorded("c2", str(recordings / "c2.pcap"), 6002))
    assert target.exists()
    assert not (recordings / "c2.pcap").exists()
    sw._emit(CallRecorded("c1", str(recordings / "c1.pcap"), 6002))  # not recorded by call control: ignored
    assert sorted(path.name for path in recordings.iterdir()) == [target.name]


def test_blind_transfer_to_a_queue_moves_the_caller_to_an_agent_of_that_queue(lab: Lab) -> None:
    sw = lab.switch
    sw.register("agent3")
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")  # agent1, the longest idle
    lab.clock.advance(3)
    sw.refer("c1", "tech")  # agent1's phone transfers the caller to the tech queue
    (transferred,) = lab.kinds(ev.ContactTransferred)
    assert (transferred.from_queue_id, transferred.to_queue_id) == ("support", "tech")  # type: ignore[attr-defined]
    assert offered(lab)[-1][1] == TECH  # the router offers it at once; the phone rings once the caller calls
    completed = [e.agent_id for e in lab.kinds(ev.ContactCompleted)]  # type: ignore[attr-defined]
    assert completed == [A1]  # agent1's part, completed by the router's transfer
    sw.agent_hangs_up("c1")  # the first call ends: nothing more
    assert len(lab.kinds(ev.ContactCompleted)) == 1
    sw.place_call("c1b", "tech", "caller1", referred_by="<sip:agent1@127.0.0.1>")
    assert (sw.calls["c1b"].state, sw.calls["c1b"].agent) == (CallState.RINGING, "agent3")
    sw.answer("c1b")
    sw.caller_hangs_up("c1b")
    completed = [e.agent_id for e in lab.kinds(ev.ContactCompleted)]  # type: ignore[attr-defined]
    assert completed == [A1, TECH]
    assert [e.agent_id for e in lab.kinds(ev.ContactAnswered)] == [A1, TECH]  # type: ignore[attr-defined]
    assert lab.control.calls == {}


def test_a_transfer_made_in_baiying_moves_the_caller_on_the_switch(lab: Lab) -> None:
    sw = lab.switch
    sw.register("agent3")
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")
    contact = lab.control.calls["c1"].contact_id
    lab.center.transfer_to_queue("lab", contact, QueueId("tech"))  # what POST .../transfer runs
    assert sw.calls["c1"].history[-1] == "transfer to tech"  # the switch REFERs the caller's phone
    sw.place_call("c1b", "tech", "caller1")
    assert (sw.calls["c1b"].state, sw.calls["c1b"].agent) == (CallState.RINGING, "agent3")
    assert (sw.calls["c1"].state, sw.calls["c1"].final_code) == (CallState.ENDED, 487)  # the first call ended
    sw.answer("c1b")
    sw.agent_hangs_up("c1b")
    assert [e.agent_id for e in lab.kinds(ev.ContactCompleted)] == [A1, TECH]  # type: ignore[attr-defined]
    assert lab.control.calls == {}


def test_a_phone_transfers_the_caller_to_a_named_agent_who_is_not_the_longest_idle(lab: Lab) -> None:
    sw = lab.switch
    lab.clock.advance(1)
    sw.register("agent3")  # idle the shortest, and without the support skill
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")  # agent1
    lab.clock.advance(3)
    sw.refer("c1", "agent2")  # agent1's phone transfers the caller to agent2's phone user
    (transferred,) = lab.kinds(ev.ContactTransferred)
    assert (transferred.to_queue_id, transferred.agent_id) == ("support", A2)  # type: ignore[attr-defined]
    assert offered(lab)[-1][1] == A2
    sw.place_call("c1b", "agent2", "caller1")  # the caller's phone dials queue-agent2, as the REFER said
    assert (sw.calls["c1b"].state, sw.calls["c1b"].agent) == (CallState.RINGING, "agent2")
    sw.answer("c1b")
    lab.center.transfer_to_agent("lab", contact_of(lab, "c1b"), TECH)  # then in Baiying (the API's transfer)
    assert sw.calls["c1b"].history[-1] == "transfer to agent3"  # REFER to queue-agent3
    sw.place_call("c1c", "agent3", "caller1")
    assert (sw.calls["c1c"].state, sw.calls["c1c"].agent) == (CallState.RINGING, "agent3")
    sw.answer("c1c")
    sw.caller_hangs_up("c1c")
    assert [e.agent_id for e in lab.kinds(ev.ContactAnswered)] == [A1, A2, TECH]  # type: ignore[attr-defined]
    assert [e.agent_id for e in lab.kinds(ev.ContactCompleted)] == [A1, A2, TECH]  # type: ignore[attr-defined]
    assert lab.control.calls == {}


def test_a_call_to_an_agents_phone_user_that_is_no_transfer_ends_with_480(lab: Lab) -> None:
    lab.switch.place_call("c1", "agent2", "caller1")
    assert (lab.switch.calls["c1"].state, lab.switch.calls["c1"].final_code) == (CallState.ENDED, 480)
    assert lab.kinds(ev.ContactArrived) == []


def test_a_supervisor_may_monitor_only_a_connected_call_on_a_switch_that_can(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "support", "caller1")  # rings agent1
    contact = contact_of(lab, "c1")
    with pytest.raises(TelephonyError, match=f"contact {contact} has no connected call to monitor"):
        lab.control.monitor(contact, "super1")
    sw.answer("c1")
    with pytest.raises(NotSupported, match="simulated cannot monitor yet"):  # the switch decides
        lab.control.monitor(contact, "super1")
    assert "monitor by super1" not in lab.control.calls["c1"].log
    assert lab.kinds(ev.MonitorStarted) == []  # nothing is recorded for a refused monitor


def test_a_phone_transfer_to_an_agent_who_is_not_logged_in_leaves_the_call_with_its_agent(lab: Lab) -> None:
    sw = lab.switch
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")  # agent1
    sw.refer("c1", "agent3")  # tech-001's phone never registered: not logged in, routing refuses
    assert lab.kinds(ev.ContactTransferred) == []
    call = lab.control.calls["c1"]
    assert (call.connected, call.transferred, call.transfer_to) == (A1, False, "")
    sw.place_call("c1b", "agent3", "caller1")  # the caller's phone followed the REFER anyway
    assert (sw.calls["c1b"].state, sw.calls["c1b"].final_code) == (CallState.ENDED, 480)
    sw.agent_hangs_up("c1")
    assert [e.agent_id for e in lab.kinds(ev.ContactCompleted)] == [A1]  # type: ignore[attr-defined]


def answered_by(lab: Lab, contact: ContactId) -> list[str]:
    return [e.agent_id for e in lab.kinds(ev.ContactAnswered) if e.contact_id == contact]  # type: ignore[attr-defined]


@SQLITE_ONLY
def test_attended_transfer_holds_the_caller_consults_then_hands_it_to_the_agent_consulted(lab: Lab) -> None:
    sw, control = lab.switch, lab.control
    control.hold_music = "music.wav"
    sw.register("agent3")  # tech-001
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")  # agent1, the longest idle
    contact = control.calls["c1"].contact_id
    # agent1's phone calls agent3 by name while connected: a consultation, the caller on hold with music
    sw.place_call("k1", "agent3", "agent1")
    assert sw.calls["c1"].history[-1] == "hold music.wav"
    assert (sw.calls["k1"].state, sw.calls["k1"].agent) == (CallState.RINGING, "agent3")
    first = control.calls["k1"].contact_id
    sw.answer("k1")
    sw.agent_hangs_up("k1")  # agent1 hangs up on agent3: the caller is back with agent1
    assert sw.calls["c1"].history[-1] == "resumed"
    assert control.calls["c1"].consulting is None
    # a consultation of a queue: routing chooses the agent (agent3 has the tech skill; agent2 idles)
    sw.place_call("k2", "tech", "agent1")
    assert sw.calls["k2"].agent == "agent3"
    second = control.calls["k2"].contact_id
    sw.answer("k2")
    assert control.complete_consultation(contact) == AgentId("tech-001")
    assert sw.calls["k2"].state is CallState.ENDED  # the consultation call ended, agent3 is free
    assert sw.calls["c1"].history[-1] == "transfer to agent3"  # the caller's phone is REFERred to agent3
    sw.place_call("c2", "agent3", "caller1", referred_by="agent1")
    assert sw.calls["c2"].agent == "agent3"
    sw.answer("c2")
    sw.caller_hangs_up("c2")
    assert answered_by(lab, contact) == ["agent-001", "tech-001"]  # one contact, its history kept
    assert answered_by(lab, first) == answered_by(lab, second) == ["tech-001"]
    [moved] = lab.kinds(ev.ContactTransferred)
    assert (moved.contact_id, moved.agent_id) == (contact, "tech-001")  # type: ignore[attr-defined]
    completed = [(e.contact_id, e.agent_id) for e in lab.kinds(ev.ContactCompleted)]  # type: ignore[attr-defined]
    # agent1's leg ends at the transfer; the consultation completes after it, freeing agent3 for the caller
    assert completed == [
        (first, "tech-001"), (contact, "agent-001"), (second, "tech-001"), (contact, "tech-001"),
    ]  # fmt: skip
    assert control.calls == {}


@SQLITE_ONLY
def test_a_consultation_is_cancelled_from_baiying_or_completed_by_the_phones_transfer(lab: Lab) -> None:
    sw, control = lab.switch, lab.control
    sw.register("agent3")
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")
    contact = control.calls["c1"].contact_id
    with pytest.raises(TelephonyError, match="no consultation under way"):
        control.complete_consultation(contact)
    sw.place_call("c2", "support", "caller2")
    sw.answer("c2")  # agent2 talks too: a consultation of the support queue waits
    sw.place_call("k1", "support", "agent1")
    assert sw.calls["c1"].history[-1] == "hold"  # no hold music configured: silence
    with pytest.raises(TelephonyError, match="not answered yet"):
        control.complete_consultation(contact)
    control.cancel_consultation(contact)
    assert sw.calls["k1"].final_code == 487
    assert sw.calls["c1"].history[-1] == "resumed"
    assert len(lab.kinds(ev.ContactAbandoned)) == 1
    sw.place_call("k2", "agent3", "agent1")
    with pytest.raises(TelephonyError, match="ringing at tech-001"):
        control.cancel_consultation(contact)
    sw.answer("k2")
    sw.refer("c1", "agent3")  # agent1's phone transfers the held caller to agent3: completes it
    assert sw.calls["k2"].state is CallState.ENDED
    sw.place_call("c3", "agent3", "caller1", referred_by="agent1")
    sw.answer("c3")
    assert answered_by(lab, contact) == ["agent-001", "tech-001"]


class MonitoringSwitch(SimulatedSwitch):
    """The simulated switch with a silent monitor: who listens to which call (the phones are the test's)."""

    def __init__(self) -> None:
        super().__init__()
        self.listening: dict[str, set[str]] = {}

    def monitor(self, call_id: str, supervisor: str, *, mode: str) -> None:
        if mode != "monitor":
            raise NotSupported(self.name, mode, "it only listens")
        self._expect(self._call(call_id), CallState.CONNECTED, doing="monitor")
        self.listening.setdefault(call_id, set()).add(supervisor)

    def stop_monitor(self, call_id: str, supervisor: str) -> None:
        self.listening[call_id].remove(supervisor)

    def supervisor_hangs_up(self, call_id: str, supervisor: str) -> None:
        self.listening[call_id].remove(supervisor)
        self._emit(MonitorEnded(call_id, supervisor))


@SQLITE_ONLY
def test_monitors_are_logged_with_who_listened_to_whom_until_they_stop(db_url: str, tmp_path: Path) -> None:
    lab = Lab(db_url, tmp_path, MonitoringSwitch())
    sw, control = lab.switch, lab.control
    assert isinstance(sw, MonitoringSwitch)
    sw.register("agent1")
    for n in (1, 2, 3):
        sw.place_call(f"c{n}", "support", f"caller{n}")
    sw.answer("c1")
    contact = control.calls["c1"].contact_id
    assert control.monitor(contact, "super1", by="chen") == AgentId("agent-001")
    with pytest.raises(TelephonyError, match="super1 already monitors"):
        control.monitor(contact, "super1", by="chen")
    control.monitor(contact, "super2", by="zhou")
    assert sw.listening["c1"] == {"super1", "super2"}
    control.stop_monitor(contact, "super1")  # asked for (the API's DELETE)
    assert sw.listening["c1"] == {"super2"}
    with pytest.raises(TelephonyError, match="super1 does not monitor"):
        control.stop_monitor(contact, "super1")
    sw.supervisor_hangs_up("c1", "super2")
    control.monitor(contact, "super1", by="chen")
    sw.caller_hangs_up("c1")  # the call ends: so does its monitor
    assert control.monitoring == {}
    started = [(e.supervisor, e.phone, e.agent_id, e.mode) for e in lab.kinds(ev.MonitorStarted)]  # type: ignore[attr-defined]
    assert started == [
        ("chen", "super1", "agent-001", "monitor"),
        ("zhou", "super2", "agent-001", "monitor"),
        ("chen", "super1", "agent-001", "monitor"),
    ]
    stopped = [(e.supervisor, e.phone, e.reason) for e in lab.kinds(ev.MonitorStopped)]  # type: ignore[attr-defined]
    assert stopped == [("chen", "super1", "stopped"), ("zhou", "super2", "supervisor hung up"),
                       ("chen", "super1", "call ended")]  # fmt: skip
    assert {e.contact_id for e in lab.kinds(ev.MonitorStarted, ev.MonitorStopped)} == {contact}  # type: ignore[attr-defined]
    lab.control.close()
    lab.center.close()


@SQLITE_ONLY
def test_calls_the_switch_lost_close_their_contacts_and_nothing_dangles(lab: Lab) -> None:
    sw, control = lab.switch, lab.control
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")  # agent1 talks
    sw.place_call("c2", "support", "caller2")  # rings agent2
    sw.place_call("c3", "support", "caller3")  # waits
    sw.place_call("m1", "menu", "caller4")  # in the IVR menu: not a contact yet
    talking, ringing, waiting = (control.calls[c].contact_id for c in ("c1", "c2", "c3"))
    sw.restart()  # Kamailio restarted: it knows none of these calls
    assert control.calls == {}
    assert control.by_contact == {}
    completed = [(e.contact_id, e.agent_id) for e in lab.kinds(ev.ContactCompleted)]  # type: ignore[attr-defined]
    assert completed == [(talking, "agent-001")]
    assert {e.contact_id for e in lab.kinds(ev.ContactAbandoned)} == {ringing, waiting}  # type: ignore[attr-defined]
    assert {a.state for a in lab.center.agents("lab")} == {"ready"}  # both agents free again
    assert lab.center.waiting("lab") == []
    assert all(call.final_code is None for call in sw.calls.values())  # nothing was sent to the switch


@SQLITE_ONLY
def test_a_monitor_stops_once_when_its_call_is_transferred_away(db_url: str, tmp_path: Path) -> None:
    """The caller's phone follows a transfer: call control ends the first call itself, which Kamailio
    reports with no dialog end, so the monitor's end is logged then, once."""
    lab = Lab(db_url, tmp_path, MonitoringSwitch())
    sw, control = lab.switch, lab.control
    assert isinstance(sw, MonitoringSwitch)
    sw.register("agent1")
    sw.register("agent2")
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")
    contact = control.calls["c1"].contact_id
    control.monitor(contact, "super1", by="chen")
    sw.refer("c1", "agent2")
    sw.place_call("c1b", "agent2", "caller1")  # the caller's phone dials queue-agent2, as the REFER said
    assert control.monitoring == {}
    stopped = [(e.phone, e.reason) for e in lab.kinds(ev.MonitorStopped)]  # type: ignore[attr-defined]
    assert stopped == [("super1", "call ended")]
    lab.control.close()
    lab.center.close()
