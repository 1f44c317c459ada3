"""Traffic and bot agents against a real `baiying serve` process on 127.0.0.1: a few contacts played at
×600 from a scenario, two bots take and complete every one of them, nothing goes wrong."""

import threading
import time
from pathlib import Path

import httpx

from baiying.traffic import BotReport, TrafficGenerator, run_bots
from baiying.traffic.bots import BOT_CHAT_GREETING
from baiying.traffic.http import log_in
from tests.traffic.server import ADMIN, ServerProcess, password, seed

TENANT = "bots"
AGENTS = ["agent-001", "agent-002"]
RATES = ", ".join(["600"] * 24)
HANDLE = "{kind: exponential, mean: 30}"
SCENARIO = f"""
name: bots
seed: 3
answer_seconds: {{kind: constant, value: 2}}
sites: [{{id: hq}}]
queues: [{{id: support, policy: any-agent, wrap_up_seconds: 5}}]
policies: [{{id: any-agent, steps: [{{target: {{skills: {{support: 1}}}}}}]}}]
traffic:
  - {{name: calls, queue: support, site: hq, rates_per_hour: [{RATES}], handle: {HANDLE}}}
agents: [{{group: agent, site: hq, count: 2, skills: {{support: 5}}, capacity: {{voice: 1, chat: 2}}}}]
"""
CONTACTS = 8
SPEED = 600.0
DONE_TIMEOUT_SECONDS = 15.0


def test_bots_complete_every_contact_the_traffic_sends(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'baiying.db'}"
    scenario = seed(url, TENANT, SCENARIO, AGENTS)
    server = ServerProcess(url, tmp_path)
    stop = threading.Event()
    reports: list[BotReport] = []
    bots = threading.Thread(
        target=lambda: reports.extend(
            run_bots(server.base, scenario, [(a, password(a)) for a in AGENTS], speed=SPEED, stop=stop)
        ),
        daemon=True,
    )
    try:
        server.start()
        bots.start()
        with httpx.Client(base_url=server.base, timeout=10.0) as client:
            log_in(client, ADMIN, password(ADMIN))
            sent = TrafficGenerator(client, scenario, speed=SPEED, start_second_of_day=0).run(count=CONTACTS)
            assert sent.errors == []
            assert len(sent.created) == CONTACTS
            deadline = time.monotonic() + DONE_TIMEOUT_SECONDS
            while True:
                phases = {c: client.get(f"/api/contacts/{c}").json()["phase"] for c in sent.created}
                if set(phases.values()) == {"completed"} or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert phases == dict.fromkeys(sent.created, "completed")
        stop.set()
        bots.join(DONE_TIMEOUT_SECONDS)
        assert not bots.is_alive()
        assert [r.errors for r in reports] == [[], []]
        assert sorted(c for r in reports for c in r.completed) == sorted(sent.created)
        assert sorted(c for r in reports for c in r.accepted) == sorted(sent.created)
        assert all(r.completed for r in reports), "both bots worked"
        with httpx.Client(base_url=server.base, timeout=10.0) as client:
            log_in(client, ADMIN, password(ADMIN))
            sessions = [client.get(f"/api/agents/{a}/session").json() for a in AGENTS]
        assert sessions == [None, None]  # the bots logged out
    finally:
        stop.set()
        if bots.is_alive():
            bots.join(DONE_TIMEOUT_SECONDS)
        server.kill()


def test_a_bot_agent_greets_a_web_chat_visitor(tmp_path: Path) -> None:
    """The live demo's /chat page is answered by its bots: the visitor is told it is a bot."""
    url = f"sqlite:///{tmp_path / 'baiying.db'}"
    scenario = seed(url, TENANT, SCENARIO, AGENTS)
    server = ServerProcess(url, tmp_path)
    stop = threading.Event()
    bots = threading.Thread(
        target=lambda: run_bots(
            server.base, scenario, [(a, password(a)) for a in AGENTS], speed=SPEED, stop=stop
        ),
        daemon=True,
    )
    try:
        server.start()
        bots.start()
        with httpx.Client(base_url=server.base, timeout=10.0) as client:
            started = client.post(
                f"/api/chat/visitor/{TENANT}/conversations",
                json={"queue": "support", "name": "小王", "message": "你好", "language": "zh"},
            )
            assert started.status_code == 201, started.text
            chat = started.json()
            deadline = time.monotonic() + DONE_TIMEOUT_SECONDS
            said: list[str] = []
            while not said and time.monotonic() < deadline:
                time.sleep(0.1)
                read = client.get(
                    f"/api/chat/visitor/{TENANT}/conversations/{chat['id']}",
                    headers={"X-Chat-Token": chat["token"]},
                )
                assert read.status_code == 200, read.text
                conversation = read.json()
                said = [m["text"] for m in conversation["messages"] if m["sender"] == "agent"]
        assert said == [BOT_CHAT_GREETING], conversation
    finally:
        stop.set()
        if bots.is_alive():
            bots.join(DONE_TIMEOUT_SECONDS)
        server.kill()
