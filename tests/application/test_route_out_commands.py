"""Routing out through the live router's commands (what the center journals and replays): a policy step's
voicemail and an adapter's route-out both end the contact `routed-out`, keep where it went and why, and
log `contact-routed-out`; a replay makes the same calls and ends in the same router."""

from baiying import events as ev
from baiying.application.commands import ROUTED_OUT, Command, Engine, contact_data, execute, profile_data
from baiying.ids import ContactId
from baiying.routing.policy import make_step
from baiying.routing.router import Router
from tests.routing.builders import agent, config, contact

C1, C2 = ContactId("c1"), ContactId("c2")


def routed_out_events(events: list[ev.Event]) -> list[tuple[str, str, str, float]]:
    return [
        (e.contact_id, e.destination, e.reason, e.wait_seconds)
        for e in events
        if isinstance(e, ev.ContactRoutedOut)
    ]


def test_a_policy_steps_voicemail_ends_the_contact_routed_out_with_its_reason() -> None:
    routing = config(make_step("queue", {"billing": 1}, timeout_seconds=60, on_timeout="voicemail"))
    engine = Engine(Router(routing))
    execute(engine, Command.ARRIVE, {"contact": contact_data(contact("c1", 0))}, 0, record=True)
    outcome = execute(engine, Command.ADVANCE, {}, 60, record=True)
    assert routed_out_events(outcome.events) == [("c1", "voicemail", "step 'queue' timed out", 60)]
    assert outcome.contacts[C1] == {"state": ROUTED_OUT, "agent_id": None}
    assert outcome.attributes[C1] == {
        "routed_out": {"destination": "voicemail", "reason": "step 'queue' timed out", "wait_seconds": 60}
    }


def test_an_adapters_route_out_of_a_ringing_contact_frees_the_agent_and_replays_the_same() -> None:
    payloads = [
        (Command.LOGIN, {"profile": profile_data(agent("li-na")), "ready": True}, 0.0),
        (Command.ARRIVE, {"contact": contact_data(contact("c1", 1))}, 1.0),
        (Command.ARRIVE, {"contact": contact_data(contact("c2", 2))}, 2.0),
        (Command.ROUTE_OUT, {"contact_id": "c1", "destination": "disconnected", "reason": "max 90 s"}, 10.0),
    ]
    live, replayed = Engine(Router(config())), Engine(Router(config()))
    outcomes = [execute(live, command, payload, at, record=True) for command, payload, at in payloads]
    for command, payload, at in payloads:
        execute(replayed, command, payload, at, record=False)
    routed_out = outcomes[-1]
    assert routed_out_events(routed_out.events) == [("c1", "disconnected", "max 90 s", 9)]
    assert routed_out.contacts[C1]["state"] == ROUTED_OUT
    assert routed_out.contacts[C2]["state"] == "offered"  # li-na, freed, rings with c2 at once
    assert routed_out.attributes[C1]["routed_out"]["destination"] == "disconnected"
    for engine in (live, replayed):
        assert sorted(engine.router.contacts) == [C2]
        assert list(engine.router.agents[agent("li-na").id].items) == [C2]
