"""Call control over HTTP (`/api/voice/contacts/...`): a supervisor's monitor and an agent's attended
transfer, through the real app with call control attached on the simulated switch (the voice lab's
contact center), and the answers of a server that does not host call control."""

import asyncio
import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from baiying import events as ev
from baiying.accounts.principal import Grant
from baiying.accounts.users import create_user
from baiying.api.app import create_app
from baiying.api.settings import InvalidSettings, Settings
from baiying.clock import ManualClock
from baiying.ids import ContactId
from baiying.storage.engine import make_engine
from baiying.storage.repositories import SiteRepository
from baiying.storage.tables import Role, SiteRow
from baiying.telephony import netstring
from baiying.telephony.control import CallControl
from baiying.telephony.lab import prepare_database
from baiying.telephony.switch import CallState, SimulatedSwitch
from tests.api.conftest import FAST_PASSWORDS, SECRET, T0, error_of
from tests.telephony.test_control import MonitoringSwitch

USERS = {  # login: grants
    "boss": [Grant(Role.ADMIN)],
    "sup-lab": [Grant(Role.SUPERVISOR, site_id="lab")],
    "sup-far": [Grant(Role.SUPERVISOR, site_id="far")],
    "agent1": [Grant(Role.AGENT, agent_id="agent-001")],
}
AGENTS = {"agent1": "agent-001", "agent2": "agent-002", "agent3": "tech-001"}
VOICE_ROUTES = {  # each one's roles are checked below
    ("POST", "/api/voice/contacts/{contact_id}/monitor"),
    ("DELETE", "/api/voice/contacts/{contact_id}/monitor/{phone}"),
    ("POST", "/api/voice/contacts/{contact_id}/consultation/complete"),
    ("POST", "/api/voice/contacts/{contact_id}/consultation/cancel"),
}


def seed(url: str) -> None:
    prepare_database(url, "lab", at=T0 - 60)
    engine = make_engine(url)
    with Session(engine) as session:
        SiteRepository(session, "lab").add(SiteRow(id="far", name="Far away"))
        for login, grants in USERS.items():
            create_user(session, "lab", user_id=login, login=login, display_name=login,
                        password=f"{login}'s password", grants=grants, actor="seed", at=T0,
                        passwords=FAST_PASSWORDS)  # fmt: skip
        session.commit()
    engine.dispose()


class Voice:
    def __init__(self, client: TestClient, control: CallControl, switch: MonitoringSwitch) -> None:
        self.client, self.control, self.switch = client, control, switch

    def headers(self, login: str) -> dict[str, str]:
        body = {"login": login, "password": f"{login}'s password"}
        response = self.client.post("/api/auth/login", json=body)
        assert response.status_code == 200, response.text
        self.client.cookies.clear()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def events(self, *kinds: type[ev.Event]) -> list[ev.Event]:
        return [e for _, e in self.control.center.read_events("lab", 0) if isinstance(e, kinds)]


@pytest.fixture
def voice(db_url: str) -> Iterator[Voice]:
    seed(db_url)
    settings = Settings(database_url=db_url, secret_key=SECRET, live_timer=False)
    app = create_app(settings, clock=ManualClock(T0), passwords=FAST_PASSWORDS)
    with TestClient(app) as client:
        state = app.state.baiying
        switch = MonitoringSwitch()
        control = CallControl(state.center, "lab", switch, agents=AGENTS, login_on_register=True)
        state.call_control = control
        for phone in ("agent1", "agent2", "agent3"):
            switch.register(phone)
        yield Voice(client, control, switch)
        control.close()


def test_a_supervisor_of_the_contacts_site_monitors_its_call_and_stops(voice: Voice) -> None:
    sw, client = voice.switch, voice.client
    sw.place_call("c1", "support", "caller1")
    contact = voice.control.calls["c1"].contact_id
    url = f"/api/voice/contacts/{contact}/monitor"
    sup = voice.headers("sup-lab")
    # ringing, not connected yet: nothing to listen to
    status, code, message = error_of(client.post(url, json={"phone": "super1"}, headers=sup))
    assert (status, code) == (409, "invalid-transition")
    assert f"contact {contact} has no connected call to monitor" in message
    sw.answer("c1")
    answer = client.post(url, json={"phone": "super1"}, headers=sup)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"contact": contact, "agent": "agent-001", "phone": "super1", "mode": "monitor"}
    assert sw.listening["c1"] == {"super1"}
    # the agent may not listen; a supervisor of another site may not either; bad input is named
    for login in ("agent1", "sup-far"):
        refused = client.post(url, json={"phone": "super2"}, headers=voice.headers(login))
        assert error_of(refused)[:2] == (403, "forbidden")
    status, code, message = error_of(client.post(url, json={"phone": "sup er"}, headers=sup))
    assert (status, code) == (422, "invalid-request")
    assert "phone" in message
    status, code, message = error_of(
        client.post(url, json={"phone": "super2", "mode": "whisper"}, headers=sup)
    )
    assert (status, code) == (501, "not-supported-by-switch")  # this switch only listens
    nobody = client.post("/api/voice/contacts/nobody/monitor", json={"phone": "s"}, headers=sup)
    assert error_of(nobody)[:2] == (404, "unknown-contact")
    stopped = client.delete(f"{url}/super1", headers=sup)
    assert stopped.status_code == 204, stopped.text
    assert sw.listening["c1"] == set()
    assert error_of(client.delete(f"{url}/super1", headers=sup))[:2] == (409, "invalid-transition")
    started = [(e.supervisor, e.phone, e.agent_id) for e in voice.events(ev.MonitorStarted)]  # type: ignore[attr-defined]
    assert started == [("sup-lab", "super1", "agent-001")]  # who listened to whom
    (stop,) = voice.events(ev.MonitorStopped)
    assert (stop.supervisor, stop.reason) == ("sup-lab", "stopped")  # type: ignore[attr-defined]


def test_the_agent_completes_or_cancels_its_consultation_over_http(voice: Voice) -> None:
    sw, client, control = voice.switch, voice.client, voice.control
    sw.place_call("c1", "support", "caller1")
    sw.answer("c1")  # agent1
    contact = control.calls["c1"].contact_id
    agent = voice.headers("agent1")
    base = f"/api/voice/contacts/{contact}/consultation"
    status, code, message = error_of(client.post(f"{base}/complete", headers=agent))
    assert (status, code) == (409, "invalid-transition")
    assert "no consultation under way" in message
    sw.place_call("k1", "agent3", "agent1")  # agent1's phone consults agent3
    sw.answer("k1")
    cancelled = client.post(f"{base}/cancel", headers=agent)
    assert cancelled.status_code == 200, cancelled.text
    assert sw.calls["k1"].state is CallState.ENDED
    assert sw.calls["c1"].history[-1] == "resumed"
    sw.place_call("k2", "agent3", "agent1")
    sw.answer("k2")
    assert error_of(client.post(f"{base}/complete", headers=voice.headers("sup-lab")))[:2] == (
        403,
        "forbidden",
    )
    completed = client.post(f"{base}/complete", headers=agent)
    assert completed.json() == {"contact": contact, "agent": "tech-001"}
    assert sw.calls["c1"].history[-1] == "transfer to agent3"
    (moved,) = voice.events(ev.ContactTransferred)
    assert moved.agent_id == "tech-001"  # type: ignore[attr-defined]


def test_a_server_without_call_control_says_so(voice: Voice) -> None:
    voice.switch.place_call("c1", "support", "caller1")
    contact = voice.control.calls["c1"].contact_id
    voice.client.app.state.baiying.call_control = None  # type: ignore[attr-defined]
    answer = voice.client.post(
        f"/api/voice/contacts/{contact}/monitor", json={"phone": "super1"}, headers=voice.headers("boss")
    )
    status, code, message = error_of(answer)
    assert (status, code) == (503, "voice-unavailable")
    assert "does not host call control" in message


def test_commands_from_another_thread_run_on_the_call_controls_loop(db_url: str) -> None:
    prepare_database(db_url, "lab", at=T0 - 60)
    from baiying.application.center import LiveCenter

    center = LiveCenter(db_url, ManualClock(T0), tenants=["lab"])
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    control = CallControl(center, "lab", SimulatedSwitch(), agents=AGENTS, loop=loop)
    try:
        seen: list[threading.Thread] = []

        def where() -> str:
            seen.append(threading.current_thread())
            return "done"

        assert control.on_loop(where) == "done"
        assert seen == [runner]
        with pytest.raises(Exception, match="has no connected call"):
            control.on_loop(lambda: control.monitor(ContactId("nobody"), "super1"))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join(5)
        loop.close()
        control.close()
        center.close()


def test_the_voice_routes_are_these(voice: Voice) -> None:
    paths = voice.client.get("/openapi.json").json()["paths"]
    found = {(m.upper(), p) for p, ops in paths.items() for m in ops if p.startswith("/api/voice/")}
    assert found == VOICE_ROUTES


class ThreadKamailio:
    """Kamailio's end of the evapi link, on a thread: sends it messages, reads call control's commands."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(10)
        self.port = self.server.getsockname()[1]
        self.link: socket.socket | None = None
        self.buffer = b""

    def accept(self) -> None:
        self.link, _ = self.server.accept()
        self.link.settimeout(5)

    def send(self, message: dict[str, object]) -> None:
        assert self.link is not None
        self.link.sendall(netstring.encode(json.dumps(message).encode()))

    def receive(self) -> dict[str, object]:
        assert self.link is not None
        while b"," not in self.buffer.partition(b":")[2]:
            self.buffer += self.link.recv(4096)
        size, _, rest = self.buffer.partition(b":")
        payload, self.buffer = rest[: int(size)], rest[int(size) + 1 :]
        found: dict[str, object] = json.loads(payload)
        return found

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
        self.server.close()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 5
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_serve_hosts_call_control_named_by_the_voice_settings(db_url: str, tmp_path: Path) -> None:
    """`BAIYING_VOICE_SETTINGS`: the server's lifespan starts call control on its loop, joined to its live
    center; Kamailio's calls become contacts, and the voice routes reach call control."""
    seed(db_url)
    kamailio = ThreadKamailio()
    voice_yaml = tmp_path / "voice.yaml"
    voice_yaml.write_text(
        f"tenant: lab\nevapi: {{port: {kamailio.port}}}\nrtpengine: {{port: {free_udp_port()}}}\n"
        f"dtmf_log: {{port: {free_udp_port()}}}\nuser_agent: {{port: {free_udp_port()}}}\n"
        "agents: {agent1: agent-001, agent2: agent-002, agent3: tech-001}\nlogin_on_register: true\n"
    )
    environ = {"BAIYING_SECRET_KEY": SECRET, "BAIYING_VOICE_SETTINGS": str(voice_yaml)}
    settings = Settings.from_environment(database_url=db_url, environ=environ)
    settings = dataclasses.replace(settings, live_timer=False)
    app = create_app(settings, clock=ManualClock(T0), passwords=FAST_PASSWORDS)
    try:
        with TestClient(app) as client:
            kamailio.accept()  # call control connected to evapi as the server started
            control = app.state.baiying.call_control
            assert control is not None
            center = app.state.baiying.center
            kamailio.send({"event": "register", "user": "agent1", "expires": "300"})
            wait_until(lambda: any(a.agent_id == "agent-001" for a in center.agents("lab")), "agent1's login")
            offer = {"event": "offer", "queue": "support", "callid": "c1", "from": "caller1", "ftag": "A"}
            kamailio.send({**offer, "sdp": "", "tindex": 1, "tlabel": 2})
            ring = kamailio.receive()  # the router offered the call to agent-001: its phone rings
            assert (ring["tindex"], ring["tlabel"], ring["target"]) == (1, 2, "agent1")
            kamailio.send({"event": "answered", "callid": "c1", "agent": "agent1", "ftag": "A", "ttag": "B"})
            contact = next(iter(control.by_contact))
            wait_until(lambda: center.contact("lab", contact).state == "connected", "the answer")
            login = client.post("/api/auth/login", json={"login": "boss", "password": "boss's password"})
            boss = {"Authorization": f"Bearer {login.json()['token']}"}
            shown = client.get(f"/api/contacts/{contact}", headers=boss).json()
            assert (shown["phase"], shown["agent"]) == ("connected", "agent-001")
            refused = client.post(f"/api/voice/contacts/{contact}/consultation/complete", headers=boss)
            status, code, message = error_of(refused)  # answered by the hosted call control, on its loop
            assert (status, code) == (409, "invalid-transition")
            assert "no consultation under way" in message
            kamailio.send({"event": "ended", "callid": "c1"})
            wait_until(lambda: center.contact("lab", contact).state == "completed", "the hang-up")
        assert app.state.baiying.call_control is None  # stopped with the server
    finally:
        kamailio.close()


def test_the_voice_settings_variable_must_name_a_file(tmp_path: Path) -> None:
    environ = {"BAIYING_SECRET_KEY": SECRET, "BAIYING_VOICE_SETTINGS": str(tmp_path / "missing.yaml")}
    with pytest.raises(InvalidSettings, match="BAIYING_VOICE_SETTINGS should name a file"):
        Settings.from_environment(database_url="sqlite://", environ=environ)
