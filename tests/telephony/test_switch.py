"""The simulated switch checks each command against the call's state, as a real switch would."""

import pytest

from baiying.telephony.switch import (
    AgentAnswered,
    AgentFailed,
    CallArrived,
    CallEnded,
    CallerAbandoned,
    CallEvent,
    CallState,
    DigitsCollected,
    NotSupported,
    PhoneRegistered,
    SimulatedSwitch,
    Switch,
    TelephonyError,
    UnknownCall,
)


@pytest.fixture
def switch() -> tuple[SimulatedSwitch, list[CallEvent]]:
    sw = SimulatedSwitch()
    seen: list[CallEvent] = []
    sw.on_event(seen.append)
    return sw, seen


def test_is_a_switch() -> None:
    assert isinstance(SimulatedSwitch(), Switch)


def test_a_call_rings_an_agent_is_answered_and_ends(switch: tuple[SimulatedSwitch, list[CallEvent]]) -> None:
    sw, seen = switch
    sw.register("agent1")
    sw.place_call("c1", "support", "alice")
    sw.queue("c1")
    sw.bridge("c1", "agent1", ring_seconds=10)
    assert sw.calls["c1"].state is CallState.RINGING
    sw.answer("c1")
    sw.agent_hangs_up("c1")
    assert seen == [
        PhoneRegistered("", "agent1", 300),
        CallArrived("c1", "support", "alice"),
        AgentAnswered("c1", "agent1"),
        CallEnded("c1"),
    ]
    assert sw.calls["c1"].history == ["queued", "ring agent1", "answered by agent1", "agent hung up"]


def test_no_answer_holds_the_caller_again(switch: tuple[SimulatedSwitch, list[CallEvent]]) -> None:
    sw, seen = switch
    sw.register("agent1")
    sw.place_call("c1", "support", "alice")
    sw.bridge("c1", "agent1", ring_seconds=4)
    sw.no_answer("c1")
    assert seen[-1] == AgentFailed("c1", "agent1", 408)
    assert seen[-1].no_answer
    assert not AgentFailed("c1", "agent1", 486).no_answer
    assert sw.calls["c1"].state is CallState.QUEUED


def test_unregistered_phone_fails_with_404(switch: tuple[SimulatedSwitch, list[CallEvent]]) -> None:
    sw, seen = switch
    sw.place_call("c1", "support", "alice")
    sw.bridge("c1", "ghost", ring_seconds=4)
    assert seen[-1] == AgentFailed("c1", "ghost", 404)
    assert sw.calls["c1"].state is CallState.QUEUED


def test_caller_hanging_up_while_queued_is_an_abandon(
    switch: tuple[SimulatedSwitch, list[CallEvent]],
) -> None:
    sw, seen = switch
    sw.place_call("c1", "support", "alice")
    sw.caller_hangs_up("c1")
    assert seen[-1] == CallerAbandoned("c1")
    assert sw.calls["c1"].state is CallState.QUEUED  # held until call control gives the final reply
    sw.hangup("c1", code=487)
    assert (sw.calls["c1"].state, sw.calls["c1"].final_code) == (CallState.ENDED, 487)


def test_caller_hanging_up_while_an_agent_rings(switch: tuple[SimulatedSwitch, list[CallEvent]]) -> None:
    sw, seen = switch
    sw.register("agent1")
    sw.place_call("c1", "support", "alice")
    sw.bridge("c1", "agent1", ring_seconds=4)
    sw.caller_hangs_up("c1")
    assert seen[-1] == CallerAbandoned("c1")
    assert (sw.calls["c1"].state, sw.calls["c1"].final_code) == (CallState.ENDED, 487)


def test_commands_out_of_order_are_refused(switch: tuple[SimulatedSwitch, list[CallEvent]]) -> None:
    sw, _ = switch
    with pytest.raises(UnknownCall, match="no call 'nope'"):
        sw.bridge("nope", "agent1", ring_seconds=4)
    sw.register("agent1")
    sw.place_call("c1", "support", "alice")
    with pytest.raises(TelephonyError, match="already exists"):
        sw.place_call("c1", "support", "alice")
    with pytest.raises(TelephonyError, match="cannot answer call c1: it is queued"):
        sw.answer("c1")
    with pytest.raises(TelephonyError, match="ring time must be positive"):
        sw.bridge("c1", "agent1", ring_seconds=0)
    sw.bridge("c1", "agent1", ring_seconds=4)
    with pytest.raises(TelephonyError, match="cannot bridge call c1: it is ringing"):
        sw.bridge("c1", "agent1", ring_seconds=4)
    sw.hangup("c1", code=480)
    with pytest.raises(TelephonyError, match="it is ended"):
        sw.hangup("c1")


def test_media_before_an_agent_prompt_digits_and_music(
    switch: tuple[SimulatedSwitch, list[CallEvent]],
) -> None:
    sw, seen = switch
    sw.place_call("c1", "menu", "alice")
    with pytest.raises(TelephonyError, match="cannot play to call c1: its media is not open"):
        sw.play("c1", "menu.wav")
    sw.open_media("c1")
    sw.play("c1", "menu.wav")
    sw.press("c1", "5")  # nobody listens yet
    sw.collect_digits("c1", max_digits=1, timeout_seconds=5)
    sw.press("c1", "23")
    assert seen[-1] == DigitsCollected("c1", "2")
    sw.collect_digits("c1", max_digits=2, timeout_seconds=5)
    sw.digits_time_out("c1")
    assert seen[-1] == DigitsCollected("c1", "")
    sw.play("c1", "music.wav", loop=True)
    assert sw.calls["c1"].playing == "music.wav"
    sw.register("agent1")
    sw.bridge("c1", "agent1", ring_seconds=4)
    sw.answer("c1")
    assert sw.calls["c1"].playing is None  # the music stops when the agent answers
    assert sw.calls["c1"].history == [
        "media", "play menu.wav", "ignored 5", "play music.wav (loop)", "ring agent1", "answered by agent1"
    ]  # fmt: skip
    with pytest.raises(TelephonyError, match="cannot collect digits of call c1: it is connected"):
        sw.collect_digits("c1", max_digits=1, timeout_seconds=5)


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (lambda sw: sw.monitor("c1", "boss", mode="whisper"), "monitor"),
    ],
)
def test_later_commands_are_refused_by_name(command: object, words: str) -> None:
    with pytest.raises(NotSupported, match=f"simulated cannot {words} yet"):
        command(SimulatedSwitch())  # type: ignore[operator]
