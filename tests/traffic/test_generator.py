"""The traffic generator's timing, without a server: arrivals follow the scenario's hourly rates from the
chosen time of day, are the same for the same seed, and are POSTed at their time divided by the
acceleration (a fake clock and `httpx.MockTransport` stand in for the wall clock and the server)."""

import json
from typing import Any

import httpx
import pytest

from baiying.simulation.scenario import Scenario, load_scenario
from baiying.traffic import TrafficGenerator, arrivals, contact_body

HOUR = 3600.0


def scenario(rates: dict[str, list[float]]) -> Scenario:
    streams = "\n".join(
        f"  - {{name: {name}, queue: support, site: hq, language: cmn, priority: 2, "
        f"rates_per_hour: {values}, handle: {{kind: constant, value: 60}}}}"
        for name, values in rates.items()
    )
    text = f"""
name: timing
seed: 11
sites: [{{id: hq}}]
queues: [{{id: support, policy: p}}]
policies: [{{id: p, steps: [{{target: {{skills: {{support: 1}}}}}}]}}]
agents: [{{group: a, site: hq, count: 1, skills: {{support: 1}}}}]
traffic:
{streams}
"""
    return load_scenario(text, "timing.yaml")


def only_hour(hour: int, rate: float) -> list[float]:
    return [rate if h == hour else 0.0 for h in range(24)]


def test_arrivals_follow_the_hourly_rates_from_the_start_time_of_day() -> None:
    played = scenario({"ten": only_hour(10, 3600.0)})
    # From 09:30 for two hours: nothing before 10:00 (1800 s in), nothing after 11:00 (5400 s in).
    times = [
        a.at for a in arrivals(played, start_second_of_day=9.5 * HOUR, duration_seconds=2 * HOUR, seed=1)
    ]
    assert times == sorted(times)
    assert times[0] >= 1800
    assert times[-1] < 5400
    assert 3600 - 5 * 60 < len(times) < 3600 + 5 * 60  # Poisson(3600): within 5 sd


def test_arrivals_wrap_past_midnight_and_stop_at_the_duration() -> None:
    played = scenario({"night": only_hour(0, 360.0)})
    times = [
        a.at for a in arrivals(played, start_second_of_day=23 * HOUR, duration_seconds=1.5 * HOUR, seed=2)
    ]
    assert times
    assert all(HOUR <= t < 1.5 * HOUR for t in times)


def test_the_same_seed_gives_the_same_arrivals_and_streams_are_independent() -> None:
    one = scenario({"a": [100.0] * 24})
    two = scenario({"a": [100.0] * 24, "b": [50.0] * 24})

    def of(played: Scenario, seed: int, name: str = "a") -> list[float]:
        found = arrivals(played, start_second_of_day=0, duration_seconds=4 * HOUR, seed=seed)
        return [a.at for a in found if a.stream.name == name]

    assert of(one, 3) == of(one, 3)
    assert of(one, 3) != of(one, 4)
    assert of(two, 3) == of(one, 3)  # adding stream b leaves stream a's arrivals alone
    merged = [a.at for a in arrivals(two, start_second_of_day=0, duration_seconds=4 * HOUR, seed=3)]
    assert merged == sorted(merged)
    assert len(merged) == len(of(two, 3)) + len(of(two, 3, "b"))


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.now += seconds
        return False


class FakeServer:
    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.posted: list[tuple[float, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/api/contacts")
        body = json.loads(request.content)
        self.posted.append((self.time.now, body))
        return httpx.Response(201, json={"id": f"c{len(self.posted)}", **body})


def generator(
    played: Scenario, speed: float, **options: Any
) -> tuple[TrafficGenerator, FakeServer, FakeTime]:
    time = FakeTime()
    server = FakeServer(time)
    client = httpx.Client(base_url="http://127.0.0.1:1", transport=httpx.MockTransport(server))
    made = TrafficGenerator(
        client, played, speed=speed, start_second_of_day=0, clock=time.clock, sleep=time.sleep, **options
    )
    return made, server, time


def test_contacts_are_posted_at_their_time_divided_by_the_speed() -> None:
    played = scenario({"a": [120.0] * 24})
    traffic, server, _time = generator(played, speed=60, seed=5)
    report = traffic.run(minutes=2)  # two wall minutes at ×60: two scenario hours
    expected = [a.at for a in arrivals(played, start_second_of_day=0, duration_seconds=2 * HOUR, seed=5)]
    assert len(expected) > 100
    assert [at - 1000.0 for at, _ in server.posted] == pytest.approx([t / 60 for t in expected])
    assert report.sent == len(report.created) == len(expected)
    assert report.errors == []
    assert report.by_queue == {"support": len(expected)}
    assert server.posted[0][1] == contact_body(played.spec.traffic[0])
    assert server.posted[0][1] == {"queue": "support", "site": "hq", "language": "cmn", "priority": 2}


def test_a_count_ends_the_run_and_errors_are_reported_not_raised() -> None:
    played = scenario({"a": [600.0] * 24})
    traffic, server, _ = generator(played, speed=10)
    assert traffic.run(count=7).sent == 7
    assert len(server.posted) == 7

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            404, json={"error": {"code": "not-found", "message": "no queue", "details": {}}}
        )

    time = FakeTime()
    client = httpx.Client(base_url="http://127.0.0.1:1", transport=httpx.MockTransport(refuse))
    refused = TrafficGenerator(client, played, start_second_of_day=0, clock=time.clock, sleep=time.sleep)
    report = refused.run(count=3)
    assert report.sent == 3
    assert report.created == []
    assert report.errors == ["a: 404 not-found: no queue"] * 3


def test_stop_ends_the_run_at_the_next_wait() -> None:
    played = scenario({"a": [600.0] * 24})
    time = FakeTime()
    server = FakeServer(time)
    client = httpx.Client(base_url="http://127.0.0.1:1", transport=httpx.MockTransport(server))
    traffic = TrafficGenerator(client, played, start_second_of_day=0, clock=time.clock, sleep=lambda s: True)
    assert traffic.run(minutes=60).sent == 0
    traffic = TrafficGenerator(client, played, start_second_of_day=0, clock=time.clock, sleep=time.sleep)
    traffic.stop()
    assert traffic.run(minutes=60).sent == 0


def test_a_run_needs_a_bound() -> None:
    traffic, _, _ = generator(scenario({"a": [1.0] * 24}), speed=1)
    with pytest.raises(ValueError, match="minutes or count"):
        traffic.run()
