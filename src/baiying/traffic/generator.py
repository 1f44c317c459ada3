"""`TrafficGenerator`: plays a scenario's arrivals into a live server by `POST /api/contacts`, in real
time or accelerated ×`speed`, until its wall-clock duration or contact count runs out, or `stop()`."""

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from baiying.clock import SystemClock
from baiying.simulation.scenario import Scenario
from baiying.traffic.arrivals import arrivals, contact_body
from baiying.traffic.http import describe

MAX_CONSECUTIVE_ERRORS = 20
LOOKAHEAD_DAYS = 7.0  # with a count and no duration: at most a week of scenario time


@dataclass
class TrafficReport:
    sent: int = 0
    created: list[str] = field(default_factory=list)
    by_queue: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def second_of_day(scenario: Scenario, at: float) -> float:
    """Seconds since midnight at `at` (a Unix time) in the scenario's time zone."""
    local = datetime.fromtimestamp(at, ZoneInfo(scenario.spec.timezone))
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


class TrafficGenerator:
    """`client` is an `httpx.Client` on the server, logged in as a user who may create contacts (see
    `baiying.traffic.http.log_in`). `clock` and `sleep` are injectable for tests: `sleep(seconds)` returns
    True when the run should stop; by default it waits on `stop()`."""

    def __init__(
        self,
        client: httpx.Client,
        scenario: Scenario,
        *,
        speed: float = 1.0,
        seed: int | None = None,
        start_second_of_day: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], bool] | None = None,
        callers: Sequence[str] = (),
        known_caller_share: float = 0.8,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self.client = client
        self.scenario = scenario
        self.speed = speed
        self.seed = scenario.spec.seed if seed is None else seed
        self.start_second_of_day = (
            second_of_day(scenario, SystemClock().now())
            if start_second_of_day is None
            else start_second_of_day
        )
        self._clock = clock
        # Contacts carry a caller's number (`attributes.phone`), a known customer's most of the time.
        self._callers = tuple(callers)
        self._known_share = known_caller_share
        self._caller_rng = random.Random(self.seed)
        self._stopped = threading.Event()
        self._sleep = sleep if sleep is not None else self._stopped.wait

    def stop(self) -> None:
        self._stopped.set()

    def _caller(self) -> str:
        if self._caller_rng.random() < self._known_share:
            return self._caller_rng.choice(self._callers)
        return f"+86139{self._caller_rng.randrange(10**8):08d}"

    def run(self, *, minutes: float | None = None, count: int | None = None) -> TrafficReport:
        """Send the arrivals due within `minutes` of wall time (scenario time: ×speed) and/or the first
        `count` of them; at least one bound is needed."""
        if minutes is None and count is None:
            raise ValueError("give minutes or count: the run must end by itself")
        scenario_seconds = minutes * 60.0 * self.speed if minutes is not None else LOOKAHEAD_DAYS * 86_400.0
        report = TrafficReport()
        started = self._clock()
        failures = 0
        for arrival in arrivals(
            self.scenario,
            start_second_of_day=self.start_second_of_day,
            duration_seconds=scenario_seconds,
            seed=self.seed,
        ):
            if count is not None and report.sent >= count:
                break
            delay = started + arrival.at / self.speed - self._clock()
            if self._stopped.is_set() or (delay > 0 and self._sleep(delay)):
                break
            body = contact_body(arrival.stream)
            if self._callers:
                body["attributes"] = {"phone": self._caller()}
            report.sent += 1
            try:
                response = self.client.post("/api/contacts", json=body)
            except httpx.HTTPError as error:
                report.errors.append(f"{arrival.stream.name}: {error!r}")
                failures += 1
            else:
                if response.status_code == 201:
                    report.created.append(response.json()["id"])
                    report.by_queue[body["queue"]] = report.by_queue.get(body["queue"], 0) + 1
                    failures = 0
                else:
                    report.errors.append(
                        f"{arrival.stream.name}: {response.status_code} {describe(response)}"
                    )
                    failures += 1
            if failures >= MAX_CONSECUTIVE_ERRORS:
                report.errors.append(f"stopped after {failures} failures in a row")
                break
        return report
