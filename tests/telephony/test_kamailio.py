"""The Kamailio switch: the configuration rendered from settings (and accepted by `kamailio -c` when
Kamailio is installed), the settings' errors, and the evapi link against a fake Kamailio (netstring JSON
over TCP)."""

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from baiying.errors import ConfigError
from baiying.telephony import netstring
from baiying.telephony.kamailio import KamailioSwitch, render_config
from baiying.telephony.lab import lab_settings
from baiying.telephony.settings import VoiceSettings, load_voice_settings
from baiying.telephony.switch import (
    AgentAnswered,
    AgentFailed,
    CallArrived,
    CallEnded,
    CallerAbandoned,
    CallEvent,
    PhoneRegistered,
    TelephonyError,
)


def test_config_is_filled_from_settings() -> None:
    settings = load_voice_settings("sip: {address: 127.0.0.9, port: 5999}\nqueue_prefix: q.\n", "voice.yaml")
    text = render_config(settings)
    assert "listen=udp:127.0.0.9:5999" in text
    assert '$rU =~ "^q."' in text
    assert "s.substr,2,0" in text
    assert '"127.0.0.1:8448"' in text
    assert "{{" not in text


@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio is not installed")
def test_kamailio_accepts_the_config(tmp_path: Path) -> None:
    path = tmp_path / "kamailio.cfg"
    path.write_text(render_config(lab_settings()))
    check = subprocess.run(
        ["kamailio", "-c", "-f", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    assert check.returncode == 0, check.stderr[-2000:]


def test_settings_errors_name_field_and_line() -> None:
    text = "tenant: lab\nsip: {port: 70000}\nagents:\n  agent1: agent-001\n  agent2: agent-001\n"
    with pytest.raises(ConfigError) as caught:
        load_voice_settings(text, "voice.yaml")
    message = str(caught.value)
    assert "voice.yaml:2: sip.port:" in message
    assert "agent 'agent-001' has two phones: 'agent1' and 'agent2'" in message
    with pytest.raises(ConfigError, match="'bad user' is not a SIP user name"):
        load_voice_settings("agents: {'bad user': a}\n", "voice.yaml")


class FakeKamailio:
    """An evapi server: records what call control writes, sends what the test scripts."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[dict[str, object]] = asyncio.Queue()
        self.writer: asyncio.StreamWriter | None = None
        self.connected = asyncio.Event()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.connected.set()
        while True:
            try:
                await self.received.put(json.loads(await netstring.read(reader)))
            except asyncio.IncompleteReadError:
                return

    def send(self, message: dict[str, object]) -> None:
        assert self.writer is not None
        self.writer.write(netstring.encode(json.dumps(message).encode()))


async def linked() -> tuple[FakeKamailio, KamailioSwitch, list[CallEvent], "asyncio.Task[None]"]:
    fake = FakeKamailio()
    port = await fake.start()
    switch = KamailioSwitch(VoiceSettings(evapi={"port": port}))  # type: ignore[arg-type]
    seen: list[CallEvent] = []
    switch.on_event(seen.append)
    await switch.connect(timeout_seconds=2)
    await fake.connected.wait()
    return fake, switch, seen, asyncio.create_task(switch.serve())


async def until(seen: list[CallEvent], count: int) -> None:
    for _ in range(200):
        if len(seen) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {seen}")


def test_evapi_messages_become_call_events_and_commands_resume_the_held_invite() -> None:
    asyncio.run(_evapi_messages_become_call_events_and_commands_resume_the_held_invite())


async def _evapi_messages_become_call_events_and_commands_resume_the_held_invite() -> None:
    fake, switch, seen, serving = await linked()
    fake.send({"event": "register", "user": "agent1", "expires": ""})
    fake.send({"event": "register", "user": "agent2", "expires": "0"})
    fake.send(
        {"event": "offer", "queue": "support", "callid": "c1@x", "from": "alice", "tindex": 7, "tlabel": 99}
    )
    await until(seen, 3)
    assert seen == [
        PhoneRegistered("", "agent1", 3600),
        PhoneRegistered("", "agent2", 0),
        CallArrived("c1@x", "support", "alice"),
    ]
    switch.queue("c1@x")
    switch.bridge("c1@x", "agent1", ring_seconds=4)
    assert await asyncio.wait_for(fake.received.get(), 2) == {
        "tindex": 7,
        "tlabel": 99,
        "target": "agent1",
        "ring_ms": 4000,
    }
    with pytest.raises(TelephonyError, match="Kamailio is not holding it"):
        switch.bridge("c1@x", "agent2", ring_seconds=4)  # ringing: no longer held
    fake.send(
        {
            "event": "agent_failed",
            "callid": "c1@x",
            "agent": "agent1",
            "code": 408,
            "tindex": 7,
            "tlabel": 100,
        }
    )
    fake.send({"event": "cancel", "callid": "c1@x"})
    await until(seen, 5)
    assert seen[3:] == [AgentFailed("c1@x", "agent1", 408), CallerAbandoned("c1@x")]
    switch.hangup("c1@x", code=487)
    assert await asyncio.wait_for(fake.received.get(), 2) == {
        "tindex": 7,
        "tlabel": 100,
        "code": 487,
        "reason": "Request Terminated",
    }
    fake.send({"event": "answered", "callid": "c2", "agent": "agent2"})
    fake.send({"event": "ended", "callid": "c2"})
    fake.send({"event": "mystery"})
    await until(seen, 7)
    assert seen[5:] == [AgentAnswered("c2", "agent2"), CallEnded("c2")]
    with pytest.raises(TelephonyError, match="not 200"):
        switch.hangup("c2", code=200)
    fake.writer.close()  # type: ignore[union-attr]
    with pytest.raises(TelephonyError, match="Kamailio closed the evapi link"):
        await asyncio.wait_for(serving, 2)
    switch.close()
    fake.server.close()


def test_connect_gives_up_with_the_address() -> None:
    asyncio.run(_connect_gives_up_with_the_address())


async def _connect_gives_up_with_the_address() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    switch = KamailioSwitch(VoiceSettings(evapi={"port": port}))  # type: ignore[arg-type]
    with pytest.raises(TelephonyError, match=f"cannot reach Kamailio evapi at 127.0.0.1:{port} after 0.3 s"):
        await switch.connect(timeout_seconds=0.3)


def test_bad_netstrings_are_refused() -> None:
    asyncio.run(_bad_netstrings_are_refused())


async def _bad_netstrings_are_refused() -> None:
    for data, words in ((b"x3:abc,", "bad netstring length"), (b"3:abcd", "not followed by ','")):
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        with pytest.raises(netstring.NetstringError, match=words):
            await netstring.read(reader)
