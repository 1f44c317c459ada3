"""The simulator through its scenario files: traffic, shifts, drills, night rules, replay, and accounting."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from baiying import events as ev
from baiying.analytics import compute_kpis
from baiying.errors import ConfigError
from baiying.ids import QueueId
from baiying.scenarios import bundled
from baiying.simulation.engine import ScheduledContact, Simulation
from baiying.simulation.runner import simulate
from baiying.simulation.scenario import Scenario, load_scenario

SHANGHAI = ZoneInfo("Asia/Shanghai")

SMALL = """\
name: small
start_date: 2026-11-23
days: 1
seed: 3
sites:
  - {id: hq, hq: true}
  - {id: branch, languages: [yue]}
placement:
  time_rules: [{start: "22:00", end: "07:00", to_site: hq, share: 0.67}]
queues:
  - {id: q, policy: p, wrap_up_seconds: 10}
policies:
  - id: p
    steps: [{target: {skills: {s: 1}}}]
traffic:
  - {name: t, queue: q, site: branch, daily_volume: 2400, handle: {kind: exponential, mean: 120},
     patience: {kind: exponential, mean: 300}}
agents:
  - {group: hq, site: hq, count: 8, skills: {s: 5}}
  - group: branch
    site: branch
    count: 3
    skills: {s: 5}
    shifts: [{start: "08:00", end: "20:00", breaks: [{start: "12:00", minutes: 30, stagger_minutes: 60}]}]
  - {group: branch-night, site: branch, count: 3, skills: {s: 5}, shifts: [{start: "20:00", end: "08:00"}]}
"""


def local(hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, 23, hour, minute, tzinfo=SHANGHAI).timestamp()


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ConfigError) as caught:
        load_scenario(text, "s.yaml")
    return [(p.line, p.field) for p in caught.value.problems]


def test_scenario_errors_name_field_and_line() -> None:
    bad = SMALL.replace("daily_volume: 2400,", "daily_volume: 2400, profile: [1, 2],").replace(
        "{group: hq, site: hq,", "{group: hq, site: mars,"
    )
    found = problems(bad)
    assert (16, "traffic[0]") in found  # profile needs 24 values
    bad_site = SMALL.replace("{group: hq, site: hq,", "{group: hq, site: mars,")
    assert problems(bad_site) == [(19, "agents[0].site")]
    bad_queue = SMALL.replace("{name: t, queue: q,", "{name: t, queue: nope,")
    assert problems(bad_queue) == [(16, "traffic[0].queue")]
    assert problems(SMALL.replace("handle: {kind: exponential, mean: 120}", "handle: {kind: normal}")) == [
        (16, "traffic[0].handle")
    ]


def test_shifts_breaks_and_accounting() -> None:
    scenario = load_scenario(SMALL, "small.yaml")
    sim = Simulation(scenario)
    log = sim.run()
    states = [e for e in log if isinstance(e, ev.AgentStateChanged) and e.agent_id == "branch-002"]
    logins = [e.at for e in states if e.previous == "offline"]
    assert logins == [local(8)]
    lunches = [e.at for e in states if e.reason == "break"]
    assert len(lunches) == 1
    assert local(12) <= lunches[0] <= local(12, 40)  # staggered: agent 2 of 3 starts 20 min after 12:00
    # Nothing is lost: every arrival is completed, abandoned, or still in the router.
    outcome = simulate(scenario)
    accounting = outcome.first.accounting
    assert accounting.lost == 0
    assert (
        accounting.arrived == sum(1 for e in outcome.first.events if isinstance(e, ev.ContactArrived)) > 2000
    )


def test_night_rule_sends_about_two_thirds_to_hq() -> None:
    log = Simulation(load_scenario(SMALL, "small.yaml")).run()
    night = {
        e.contact_id for e in log if isinstance(e, ev.ContactArrived) and not local(7) <= e.at < local(22)
    }
    placed = {}
    for e in log:
        if isinstance(e, ev.ContactQueued | ev.ContactOffered) and e.contact_id in night:
            placed.setdefault(e.contact_id, e.site_ids[0] if isinstance(e, ev.ContactQueued) else e.site_id)
    share = sum(1 for site in placed.values() if site == "hq") / len(placed)
    assert 0.55 < share < 0.8, share
    day_placed = [e.site_id for e in log if isinstance(e, ev.ContactOffered) and local(9) <= e.at < local(11)]
    assert day_placed.count("branch") > day_placed.count("hq")  # local preference by day


def test_national_drill_moves_guangzhou_and_loses_nothing() -> None:
    scenario = load_scenario(bundled("national.yaml").read_text(), "national.yaml")
    outcome = simulate(scenario)
    log = outcome.first.events
    assert outcome.lost == 0
    assert 19_000 < outcome.first.accounting.arrived < 21_500
    evacuated = [e for e in log if isinstance(e, ev.SiteStatusChanged)]
    assert [(e.site_id, e.status) for e in evacuated] == [("guangzhou", "evacuated"), ("guangzhou", "open")]
    during = [e for e in log if isinstance(e, ev.ContactAnswered) and local(11) < e.at < local(13)]
    assert during, "other sites kept answering"
    assert not [e for e in during if e.site_id == "guangzhou"]
    offline = {
        e.agent_id
        for e in log
        if isinstance(e, ev.AgentStateChanged) and e.at == local(11) and e.state == "offline"
    }
    assert offline
    assert all(agent.startswith("gz-") for agent in offline)
    back = {
        e.agent_id
        for e in log
        if isinstance(e, ev.AgentStateChanged) and e.at == local(13) and e.previous == "offline"
    }
    assert {a for a in offline if a.startswith("gz-billing-early")} <= back  # back at work after the drill
    cantonese_by_day = [
        e.site_id
        for e in log
        if isinstance(e, ev.ContactOffered)
        and e.contact_id.startswith("guangdong-billing-yue")
        and local(14) <= e.at
    ]
    assert cantonese_by_day.count("guangzhou") / len(cantonese_by_day) > 0.9
    total = outcome.first.kpis.total
    assert total.service_level is not None
    assert 0.8 < total.service_level < 0.97
    assert total.abandon_rate is not None
    assert total.abandon_rate < 0.08


def test_replay_of_recorded_arrivals() -> None:
    scenario = load_scenario(SMALL, "small.yaml")
    arrivals = [
        ScheduledContact(local(9), QueueId("q"), handle_seconds=60),
        ScheduledContact(local(9, 1), QueueId("q"), handle_seconds=60, patience_seconds=5),
    ]
    spec = scenario.spec.model_copy(update={"traffic": []})
    log = Simulation(Scenario(spec, scenario.routing, "replay"), arrivals=arrivals).run()
    arrived = [e for e in log if isinstance(e, ev.ContactArrived)]
    assert [e.at for e in arrived] == [local(9), local(9, 1)]
    completed = [e for e in log if isinstance(e, ev.ContactCompleted)]
    assert [round(e.handle_seconds) for e in completed] == [60, 60]


def test_wrap_up_times_follow_the_stream_distribution() -> None:
    text = SMALL.replace(
        "handle: {kind: exponential, mean: 120},",
        "handle: {kind: exponential, mean: 120}, wrap_up: {kind: constant, value: 42},",
    )
    log = Simulation(load_scenario(text, "small.yaml")).run()
    wraps = {round(e.wrap_up_seconds, 6) for e in log if isinstance(e, ev.WrapUpEnded)}
    assert wraps == {42.0}
    queue_default = {
        round(e.wrap_up_seconds, 6)
        for e in Simulation(load_scenario(SMALL, "s")).run()
        if isinstance(e, ev.WrapUpEnded)
    }
    assert queue_default == {10.0}


def test_contacts_sent_to_voicemail_by_their_policy_are_counted_routed_out_not_answered_or_abandoned() -> (
    None
):
    # Three agents for 2,400 calls a day: many callers reach the 30 s step's voicemail, some hang up first.
    text = SMALL.replace(
        "steps: [{target: {skills: {s: 1}}}]",
        "steps: [{name: short wait, target: {skills: {s: 1}}, timeout_seconds: 30, on_timeout: voicemail}]",
    ).replace("count: 8", "count: 1")
    outcome = simulate(load_scenario(text, "small.yaml"))
    log = outcome.first.events
    routed_out = [e for e in log if isinstance(e, ev.ContactRoutedOut)]
    assert len(routed_out) > 100
    assert {(e.destination, e.reason, e.wait_seconds) for e in routed_out} == {
        ("voicemail", "step 'short wait' timed out", 30.0)
    }
    gone = {e.contact_id for e in routed_out}
    answered_or_abandoned = {
        e.contact_id for e in log if isinstance(e, ev.ContactAnswered | ev.ContactAbandoned)
    }
    assert not gone & answered_or_abandoned
    accounting = outcome.first.accounting
    assert (accounting.routed_out, accounting.lost) == (len(routed_out), 0)
    total = compute_kpis(log, interval_seconds=900, sl_seconds=20.0, timezone="Asia/Shanghai").total
    assert total.routed_out == len(routed_out)
    assert total.answered == sum(1 for e in log if isinstance(e, ev.ContactAnswered))
    assert total.offered == total.answered + total.abandoned + total.routed_out + total.waiting_at_end
