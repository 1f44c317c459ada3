"""`BotAgent`: a bot that works as an agent through the API a person uses. It logs in, gets ready, polls
its session for offers, accepts after the scenario's ring-to-answer time, holds the contact for a handle
time drawn from the scenario's distribution for its queue, completes it, ends its wrap-up, and repeats;
every wait is divided by the acceleration `speed`. `stop()` makes it finish the contact in hand and log
out."""

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from baiying.simulation.distributions import ConstantDistribution, Sampler
from baiying.simulation.scenario import Scenario
from baiying.traffic.http import TrafficError, describe, log_in

DEFAULT_POLL_SECONDS = 0.1
BOT_CHAT_GREETING = (
    "您好，我是演示用的机器人坐席，会在一段时间后结束对话。"
    "想亲自接待，请用坐席账号登录工作台。"
    " / Hello, I am a demo bot agent and will end this chat after a while."
    " To answer chats yourself, log in to the agent desktop."
)
JOIN_TIMEOUT_SECONDS = 30.0


@dataclass
class BotReport:
    login: str
    agent_id: str | None = None
    accepted: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class BotAgent:
    """One bot on its own `httpx.Client` (its bearer token is the client's)."""

    def __init__(
        self,
        client: httpx.Client,
        scenario: Scenario,
        *,
        login: str,
        password: str,
        speed: float = 1.0,
        seed: int | None = None,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self.client = client
        self.login = login
        self._password = password
        self.speed = speed
        self.poll_seconds = poll_seconds
        rng = random.Random(f"baiying-bot:{scenario.spec.seed if seed is None else seed}:{login}")
        self._answer = scenario.spec.answer_seconds.sampler(rng)
        self._handle: dict[str, Sampler] = {}
        self._wrap_up: dict[str, Sampler] = {}
        for queue in scenario.spec.queues:
            stream = next((s for s in scenario.spec.traffic if s.queue == queue.id), None)
            handle = stream.handle if stream is not None else None
            wrap_up = stream.wrap_up if stream is not None else None
            fallback_handle = ConstantDistribution(value=queue.expected_handle_seconds)
            self._handle[queue.id] = (handle or fallback_handle).sampler(rng)
            fallback_wrap = ConstantDistribution(value=queue.wrap_up_seconds)
            self._wrap_up[queue.id] = (wrap_up or fallback_wrap).sampler(rng)
        self._default = ConstantDistribution(value=180).sampler(rng)
        self._stopped = threading.Event()
        self.report = BotReport(login)

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def run(self) -> BotReport:
        """Work until `stop()`; then finish the contact in hand, end wrap-up and log out."""
        user = log_in(self.client, self.login, self._password)
        agent = next((r["agent_id"] for r in user["roles"] if r.get("agent_id")), None)
        if agent is None:
            raise TrafficError(f"user {self.login!r} is not an agent")
        self.report.agent_id = agent
        self._post(f"/api/agents/{agent}/login", {"ready": True}, quiet=True)
        try:
            while not self.stopped:
                if not self._step(agent):
                    self._stopped.wait(self.poll_seconds)
        finally:
            self._finish(agent)
        return self.report

    # ---- one look at the session ------------------------------------------------------------------

    def _step(self, agent: str) -> bool:
        """Act on the session once; False when there was nothing to do."""
        session = self._get(f"/api/agents/{agent}/session")
        if session is None:  # logged out (by a supervisor, say): log back in
            self._post(f"/api/agents/{agent}/login", {"ready": True})
            return True
        contacts: dict[str, str] = session["contacts"]
        for contact, phase in contacts.items():
            if phase == "reserved":
                self._take(contact)
                return True
            if phase == "active":  # in hand already (before a restart of the bot, say)
                self._work(contact, self._queue_of(contact))
                return True
        if session["state"] == "wrap-up":
            self._post(f"/api/agents/{agent}/wrap-up/end", None, quiet=True)
            return True
        if session["state"] == "aux":  # a missed offer puts the agent in aux: back to work
            self._put(f"/api/agents/{agent}/state", {"state": "ready"})
            return True
        return False

    def _take(self, contact: str) -> None:
        found = self._get(f"/api/contacts/{contact}")
        if found is None:
            return
        self._wait(self._answer())
        if self._post(f"/api/contacts/{contact}/accept", None) is None:
            return
        self.report.accepted.append(contact)
        if found.get("channel") == "chat":  # a visitor of the demo's /chat page is told who answers
            self._post(f"/api/chat/contacts/{contact}/messages", {"text": BOT_CHAT_GREETING}, quiet=True)
        self._work(contact, found["queue"])

    def _work(self, contact: str, queue: str | None) -> None:
        self._wait(self._sampler(self._handle, queue)())  # stop() cuts the call short
        if self._post(f"/api/contacts/{contact}/complete", {}) is None:
            return
        self.report.completed.append(contact)
        self._wait(self._sampler(self._wrap_up, queue)())

    def _finish(self, agent: str) -> None:
        session = self._get(f"/api/agents/{agent}/session", quiet=True)
        if session is None:
            return
        for contact, phase in session["contacts"].items():
            if phase == "active":
                self._work(contact, None)
            elif phase == "reserved":  # ringing: give it back to the queue
                self._post(f"/api/contacts/{contact}/reject", None, quiet=True)
        session = self._get(f"/api/agents/{agent}/session", quiet=True)
        if session is not None and session["state"] == "wrap-up":
            self._post(f"/api/agents/{agent}/wrap-up/end", None, quiet=True)
        self._post(f"/api/agents/{agent}/logout", None)

    # ---- helpers ----------------------------------------------------------------------------------

    def _sampler(self, samplers: dict[str, Sampler], queue: str | None) -> Sampler:
        return samplers.get(queue, self._default) if queue is not None else self._default

    def _queue_of(self, contact: str) -> str | None:
        found = self._get(f"/api/contacts/{contact}")
        return found["queue"] if found is not None else None

    def _wait(self, scenario_seconds: float) -> None:
        if not self.stopped:
            self._stopped.wait(max(0.0, scenario_seconds) / self.speed)

    def _get(self, path: str, *, quiet: bool = False) -> Any:
        return self._call("GET", path, None, quiet=quiet)

    def _post(self, path: str, body: Any, *, quiet: bool = False) -> Any:
        return self._call("POST", path, body, quiet=quiet)

    def _put(self, path: str, body: Any, *, quiet: bool = False) -> Any:
        return self._call("PUT", path, body, quiet=quiet)

    def _call(self, method: str, path: str, body: Any, *, quiet: bool) -> Any:
        """The answer's JSON (None for a null body), or None after an error, recorded unless `quiet`."""
        try:
            response = self.client.request(method, path, json=body)
        except httpx.HTTPError as error:
            self.report.errors.append(f"{method} {path}: {error!r}")
            self._stopped.wait(self.poll_seconds)
            return None
        if response.is_success:
            return response.json()
        if not quiet:
            self.report.errors.append(f"{method} {path}: {response.status_code} {describe(response)}")
        return None


def run_bots(
    base_url: str,
    scenario: Scenario,
    credentials: Sequence[tuple[str, str]],
    *,
    speed: float = 1.0,
    seed: int | None = None,
    minutes: float | None = None,
    stop: threading.Event | None = None,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    http_timeout: float = 10.0,
) -> list[BotReport]:
    """One bot per (login, password), each on its own thread and client, until `minutes` of wall time
    pass or `stop` is set (at least one is needed); then every bot finishes and logs out."""
    if minutes is None and stop is None:
        raise ValueError("give minutes or a stop event: the bots must end")
    done = stop if stop is not None else threading.Event()
    clients = [httpx.Client(base_url=base_url, timeout=http_timeout) for _ in credentials]
    bots = [
        BotAgent(
            client,
            scenario,
            login=login,
            password=password,
            speed=speed,
            seed=seed,
            poll_seconds=poll_seconds,
        )
        for client, (login, password) in zip(clients, credentials, strict=True)
    ]
    failures: dict[str, str] = {}

    def work(bot: BotAgent) -> None:
        try:
            bot.run()
        except (TrafficError, httpx.HTTPError) as error:
            failures[bot.login] = str(error)

    threads = [
        threading.Thread(target=work, args=(bot,), name=f"bot-{bot.login}", daemon=True) for bot in bots
    ]
    for thread in threads:
        thread.start()
    try:
        deadline = None if minutes is None else time.monotonic() + minutes * 60.0
        while not done.is_set() and any(t.is_alive() for t in threads):
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            done.wait(0.2 if remaining is None else min(0.2, remaining))
    finally:
        for bot in bots:
            bot.stop()
        for thread in threads:
            thread.join(JOIN_TIMEOUT_SECONDS)
        for client in clients:
            client.close()
    for bot in bots:
        if bot.login in failures:
            bot.report.errors.append(failures[bot.login])
    return [bot.report for bot in bots]
