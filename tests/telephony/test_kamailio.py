"""The Kamailio switch: the configuration rendered from settings (and accepted by `kamailio -c` when
Kamailio is installed), the settings' errors, and the evapi link against a fake Kamailio (netstring JSON
over TCP)."""

import asyncio
import base64
import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from baiying.errors import ConfigError
from baiying.telephony import netstring
from baiying.telephony.kamailio import KamailioSwitch, render_config
from baiying.telephony.lab import lab_settings
from baiying.telephony.rtpengine import NgClient, bdecode, bencode
from baiying.telephony.settings import VoiceSettings, load_voice_settings
from baiying.telephony.sipua import SipUserAgent
from baiying.telephony.switch import (
    AgentAnswered,
    AgentFailed,
    CallArrived,
    CallEnded,
    CallerAbandoned,
    CallEvent,
    CallLost,
    CallRecorded,
    DigitsCollected,
    MonitorEnded,
    NotSupported,
    PhoneRegistered,
    TelephonyError,
    TransferRequested,
)


def test_config_is_filled_from_settings() -> None:
    settings = load_voice_settings("sip: {address: 127.0.0.9, port: 5999}\nqueue_prefix: q.\n", "voice.yaml")
    text = render_config(settings)
    assert "listen=udp:127.0.0.9:5999" in text
    assert '$rU =~ "^q."' in text
    assert "s.substr,2,0" in text
    assert '"127.0.0.1:8448"' in text
    assert '"udp:127.0.0.1:2223"' in text  # rtpengine's NG socket
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


class FakeNg(asyncio.DatagramProtocol):
    """rtpengine's NG socket: answers every command "ok" (with an SDP naming the command)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.DatagramTransport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        cookie, _, body = data.partition(b" ")
        request = bdecode(body)
        self.requests.append(request)
        reply: dict[str, object] = {"result": "ok", "sdp": f"v=0 {request['command']}"}
        if request["command"] == "query":
            reply["tags"] = {"A": {"medias": [{"streams": [{"local port": 40002}]}]}}
        if request["command"] == "subscribe request":
            reply["to-tag"] = "S1"
        self.transport.sendto(cookie + b" " + bencode(reply), addr)


def test_media_open_prompt_digits_and_music_through_rtpengine(tmp_path: Path) -> None:
    asyncio.run(_media_open_prompt_digits_and_music_through_rtpengine(tmp_path))


async def _media_open_prompt_digits_and_music_through_rtpengine(tmp_path: Path) -> None:
    (tmp_path / "menu.wav").write_bytes(b"RIFF")
    loop = asyncio.get_running_loop()
    _, ng = await loop.create_datagram_endpoint(FakeNg, local_addr=("127.0.0.1", 0))
    fake = FakeKamailio()
    port = await fake.start()
    ng_port = ng.transport.get_extra_info("sockname")[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        dtmf_port = probe.getsockname()[1]
    settings = VoiceSettings(
        evapi={"port": port},
        rtpengine={"port": ng_port},
        dtmf_log={"port": dtmf_port},
        media_dir=str(tmp_path),
    )  # type: ignore[arg-type]
    client = NgClient("127.0.0.1", ng_port, timeout_seconds=0.5)
    await client.open()
    switch = KamailioSwitch(settings, client)
    seen: list[CallEvent] = []
    switch.on_event(seen.append)
    await switch.connect(timeout_seconds=2)
    await switch.listen_dtmf()
    serving = asyncio.create_task(switch.serve())
    sdp = "v=0\r\nm=audio 6000 RTP/AVP 8 101\r\n"
    encoded = base64.b64encode(sdp.encode()).decode()
    offer = {"event": "offer", "queue": "menu", "callid": "c1", "from": "alice", "ftag": "A", "sdp": encoded}
    fake.send({**offer, "tindex": 1, "tlabel": 2})
    await until(seen, 1)
    switch.open_media("c1")
    switch.play("c1", "menu.wav")
    with pytest.raises(TelephonyError, match="no such file"):
        switch.play("c1", "missing.wav")
    assert await asyncio.wait_for(fake.received.get(), 2) == {"tindex": 1, "tlabel": 2, "early": "v=0 answer"}
    fake.send({"event": "held", "callid": "c1", "tindex": 1, "tlabel": 3})
    switch.collect_digits("c1", max_digits=1, timeout_seconds=5)
    reporter, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, remote_addr=("127.0.0.1", dtmf_port)
    )  # rtpengine's DTMF log: JSON over UDP
    reporter.sendto(b"not json")
    for tag, key in (("B", 1), ("A", 2)):  # B is not the caller's leg
        report = {"callid": "c1", "source_tag": tag, "tags": ["A", "B"], "type": "DTMF", "event": key}
        reporter.sendto(json.dumps(report).encode())
    await until(seen, 2)
    assert seen[1] == DigitsCollected("c1", "2")
    switch.collect_digits("c1", max_digits=2, timeout_seconds=0.05)
    reporter.sendto(json.dumps({"callid": "c1", "source_tag": "A", "type": "DTMF", "event": 10}).encode())
    await until(seen, 3)
    assert seen[2] == DigitsCollected("c1", "*")  # the time ran out after one key
    switch.play("c1", "menu.wav", loop=True)
    switch.queue("c1")  # held again (the "held" message came)
    fake.send({"event": "answered", "callid": "c1", "agent": "agent3"})
    fake.send({"event": "ended", "callid": "c1"})
    await until(seen, 5)
    await asyncio.sleep(0.2)  # the media commands run as tasks
    commands = [
        (r["command"], r.get("from-tag"), r.get("to-tag"), r.get("repeat-times")) for r in ng.requests
    ]
    assert commands == [
        ("offer", "A", None, None),
        ("answer", "A", "baiying-hold", None),
        ("stop media", "A", None, None),
        ("play media", "A", None, 1),
        ("stop media", "A", None, None),
        ("play media", "A", None, 1000),  # hold music, looped
        ("stop media", "A", None, None),  # the agent answered
        ("delete", None, None, None),
    ]
    assert ng.requests[0]["sdp"] == sdp
    assert ng.requests[3]["file"] == str(tmp_path / "menu.wav")
    assert switch.media_errors == []
    fake.writer.close()  # type: ignore[union-attr]
    serving.cancel()
    reporter.close()
    switch.close()
    client.close()
    ng.transport.close()
    fake.server.close()


def test_commands_while_the_media_opens_wait_for_the_invite_to_be_held_again() -> None:
    asyncio.run(_commands_while_the_media_opens_wait_for_the_invite_to_be_held_again())


async def _commands_while_the_media_opens_wait_for_the_invite_to_be_held_again() -> None:
    """A caller answered into the queue with music may be offered to an agent (or leave) before Kamailio
    holds its INVITE again after the 183: the ringing (or the final reply) goes out with the new handle."""
    loop = asyncio.get_running_loop()
    _, ng = await loop.create_datagram_endpoint(FakeNg, local_addr=("127.0.0.1", 0))
    fake = FakeKamailio()
    port = await fake.start()
    ng_port = ng.transport.get_extra_info("sockname")[1]
    settings = VoiceSettings(evapi={"port": port}, rtpengine={"port": ng_port})  # type: ignore[arg-type]
    client = NgClient("127.0.0.1", ng_port, timeout_seconds=0.5)
    await client.open()
    switch = KamailioSwitch(settings, client)
    seen: list[CallEvent] = []
    switch.on_event(seen.append)
    await switch.connect(timeout_seconds=2)
    serving = asyncio.create_task(switch.serve())
    encoded = base64.b64encode(b"v=0\r\nm=audio 6000 RTP/AVP 8\r\n").decode()
    for n, call in enumerate(("c1", "c2")):
        offer = {"event": "offer", "queue": "support", "callid": call, "ftag": f"A{n}", "sdp": encoded}
        fake.send({**offer, "tindex": n, "tlabel": 1})
    await until(seen, 2)
    switch.open_media("c1")
    switch.bridge("c1", "agent2", ring_seconds=4)  # the media is still opening: waits
    switch.open_media("c2")
    switch.hangup("c2", code=487)
    early = [await asyncio.wait_for(fake.received.get(), 2) for _ in range(2)]
    assert sorted(m["tindex"] for m in early) == [0, 1]
    assert all(m["early"] == "v=0 answer" for m in early)
    assert fake.received.empty()  # nothing more until Kamailio holds the INVITEs again
    fake.send({"event": "held", "callid": "c1", "tindex": 0, "tlabel": 7})
    assert await asyncio.wait_for(fake.received.get(), 2) == {
        "tindex": 0, "tlabel": 7, "target": "agent2", "ring_ms": 4000,
    }  # fmt: skip
    fake.send({"event": "held", "callid": "c2", "tindex": 1, "tlabel": 8})
    ended = await asyncio.wait_for(fake.received.get(), 2)
    assert (ended["tindex"], ended["tlabel"], ended["code"]) == (1, 8, 487)
    assert switch.opening == {}
    assert switch.media_errors == []
    fake.writer.close()  # type: ignore[union-attr]
    serving.cancel()
    switch.close()
    client.close()
    ng.transport.close()
    fake.server.close()


def test_hold_blocks_both_sides_and_plays_music_to_the_caller_and_resume_undoes_it(tmp_path: Path) -> None:
    asyncio.run(_hold_blocks_both_sides_and_plays_music_to_the_caller_and_resume_undoes_it(tmp_path))


async def _hold_blocks_both_sides_and_plays_music_to_the_caller_and_resume_undoes_it(tmp_path: Path) -> None:
    (tmp_path / "music.wav").write_bytes(b"RIFF")
    loop = asyncio.get_running_loop()
    _, ng = await loop.create_datagram_endpoint(FakeNg, local_addr=("127.0.0.1", 0))
    ng_port = ng.transport.get_extra_info("sockname")[1]
    client = NgClient("127.0.0.1", ng_port, timeout_seconds=0.5)
    await client.open()
    settings = VoiceSettings(rtpengine={"port": ng_port}, media_dir=str(tmp_path))  # type: ignore[arg-type]
    switch = KamailioSwitch(settings, client)
    offer = {"event": "offer", "queue": "q", "callid": "c1", "from": "alice", "ftag": "A", "sdp": "",
             "tindex": 1, "tlabel": 2}  # fmt: skip
    switch.translate(offer)
    with pytest.raises(TelephonyError, match="c1 is not connected to an agent"):
        switch.hold("c1", "music.wav")
    switch.translate({"event": "answered", "callid": "c1", "agent": "agent1", "ftag": "A", "ttag": "B"})
    with pytest.raises(TelephonyError, match="no such file"):
        switch.hold("c1", "missing.wav")
    switch.hold("c1", "music.wav")
    switch.resume("c1")
    switch.hold("c1", None)  # no hold music: silence
    await asyncio.sleep(0.2)  # the media commands run as tasks
    commands = [(r["command"], r.get("from-tag"), r.get("repeat-times")) for r in ng.requests]
    assert commands == [
        ("block media", "A", None),  # the agent no longer hears the caller
        ("block media", "B", None),  # nor the caller the agent
        ("play media", "A", 1000),  # but the music, looped
        ("stop media", "A", None),
        ("unblock media", "A", None),
        ("unblock media", "B", None),
        ("block media", "A", None),
        ("block media", "B", None),
    ]
    assert ng.requests[2]["file"] == str(tmp_path / "music.wav")
    assert switch.media_errors == []
    switch.close()
    client.close()
    ng.transport.close()


def test_recording_is_started_on_rtpengine_and_reported_after_the_call(tmp_path: Path) -> None:
    asyncio.run(_recording_is_started_on_rtpengine_and_reported_after_the_call(tmp_path))


async def _recording_is_started_on_rtpengine_and_reported_after_the_call(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    _, ng = await loop.create_datagram_endpoint(FakeNg, local_addr=("127.0.0.1", 0))
    ng_port = ng.transport.get_extra_info("sockname")[1]
    client = NgClient("127.0.0.1", ng_port, timeout_seconds=0.5)
    await client.open()
    offer = {"event": "offer", "queue": "q", "callid": "c1@x", "from": "alice", "ftag": "A", "sdp": "",
             "tindex": 1, "tlabel": 2}  # fmt: skip
    plain = KamailioSwitch(VoiceSettings(rtpengine={"port": ng_port}), client)  # type: ignore[arg-type]
    plain.translate(offer)
    with pytest.raises(NotSupported, match="kamailio cannot record \\(no recording directory"):
        plain.record("c1@x", on=True)
    settings = VoiceSettings(rtpengine={"port": ng_port}, recording={"directory": str(tmp_path)})  # type: ignore[arg-type]
    switch = KamailioSwitch(settings, client)
    seen: list[CallEvent] = []
    switch.on_event(seen.append)
    switch.translate(offer)
    switch.translate({**offer, "callid": "c2@x"})
    switch.record("c1@x", on=True)
    switch.record("c2@x", on=True)
    (tmp_path / "pcaps").mkdir()
    (tmp_path / "pcaps" / "c1%40x-0123abcd.pcap").write_bytes(b"")  # rtpengine escapes the call id
    switch.translate({"event": "ended", "callid": "c1@x"})
    switch.translate({"event": "ended", "callid": "c2@x"})  # its pcap is missing: an error, kept
    for _ in range(100):
        if len(ng.requests) >= 6 and len(switch.media_errors) == 1:
            break
        await asyncio.sleep(0.01)
    for call_id in ("c1@x", "c2@x"):  # in order for each call
        commands = [r["command"] for r in ng.requests if r["call-id"] == call_id]
        assert commands == ["start recording", "query", "delete"]
    assert seen == [CallRecorded("c1@x", str(tmp_path / "pcaps" / "c1%40x-0123abcd.pcap"), 40002)]
    assert switch.media_errors == [f"no recording of c2@x in {tmp_path / 'pcaps'}"]
    client.close()
    ng.transport.close()


def test_a_refer_to_a_queue_is_a_transfer_and_a_connected_call_ends_with_a_bye() -> None:
    asyncio.run(_a_refer_to_a_queue_is_a_transfer_and_a_connected_call_ends_with_a_bye())


async def _a_refer_to_a_queue_is_a_transfer_and_a_connected_call_ends_with_a_bye() -> None:
    fake, switch, seen, serving = await linked()
    fake.send({"event": "answered", "callid": "c1", "agent": "agent1", "ftag": "F", "ttag": "T"})
    fake.send({"event": "refer", "callid": "c1", "target": "<sip:agent2@127.0.0.1>"})  # not a queue
    fake.send({"event": "refer", "callid": "c1", "target": "<sip:queue-tech@127.0.0.1;transport=udp>"})
    offer = {"event": "offer", "queue": "tech", "callid": "c2", "from": "alice", "referred_by": "<sip:a1@x>"}
    fake.send({**offer, "tindex": 3, "tlabel": 4})
    await until(seen, 3)
    assert seen == [
        AgentAnswered("c1", "agent1"),
        TransferRequested("c1", "tech"),
        CallArrived("c2", "tech", "alice", "<sip:a1@x>"),
    ]
    switch.hangup("c1")  # connected: Kamailio ends the dialog (BYE to both phones)
    assert await asyncio.wait_for(fake.received.get(), 2) == {"bye": "c1", "ftag": "F", "ttag": "T"}
    with pytest.raises(TelephonyError, match="Kamailio is not holding it"):
        switch.hangup("c1")  # over
    fake.writer.close()  # type: ignore[union-attr]
    serving.cancel()
    switch.close()
    fake.server.close()


def test_the_evapi_link_is_re_established_when_it_drops() -> None:
    asyncio.run(_the_evapi_link_is_re_established_when_it_drops())


async def _the_evapi_link_is_re_established_when_it_drops() -> None:
    fake = FakeKamailio()
    port = await fake.start()
    switch = KamailioSwitch(VoiceSettings(evapi={"port": port}))  # type: ignore[arg-type]
    seen: list[CallEvent] = []
    switch.on_event(seen.append)
    await switch.connect(timeout_seconds=2)
    await fake.connected.wait()
    serving = asyncio.create_task(switch.serve_forever(retry_seconds=0.2))
    fake.send({"event": "register", "user": "agent1", "expires": "60"})
    await until(seen, 1)
    first = fake.writer
    fake.connected.clear()
    first.close()  # type: ignore[union-attr]  # Kamailio dropped the link
    await asyncio.wait_for(fake.connected.wait(), 5)
    assert fake.writer is not first
    assert switch.reconnects == 1
    fake.send({"event": "offer", "queue": "support", "callid": "c1", "from": "bob", "tindex": 5, "tlabel": 6})
    await until(seen, 2)
    assert seen[1] == CallArrived("c1", "support", "bob")
    switch.hangup("c1", code=480)  # commands go over the new link
    assert await asyncio.wait_for(fake.received.get(), 2) == {
        "tindex": 5, "tlabel": 6, "code": 480, "reason": "Temporarily Unavailable"
    }  # fmt: skip
    await _unlink(fake, None, switch, serving)


class FakeRpc:
    """Kamailio's JSON-RPC over HTTP: answers `core.uptime` with the run it is (`up_since`)."""

    def __init__(self, up_since: str) -> None:
        self.up_since = up_since
        self.methods: list[str] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        self.methods.append(json.loads(await reader.readexactly(length))["method"])
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"up_since": self.up_since, "uptime": 5}})
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body.encode()))
        await writer.drain()
        writer.close()


def test_calls_of_a_kamailio_that_restarted_are_reported_lost() -> None:
    asyncio.run(_calls_of_a_kamailio_that_restarted_are_reported_lost())


async def _linked_with_rpc(
    up_since: str,
) -> tuple[FakeKamailio, FakeRpc, KamailioSwitch, list[CallEvent], asyncio.Task[None]]:
    """A switch serving its link to a fake Kamailio (reconnecting when it drops), whose JSON-RPC says it
    started at `up_since`; the events it reports, and the serving task."""
    fake, rpc = FakeKamailio(), FakeRpc(up_since)
    port, rpc_port = await fake.start(), await rpc.start()
    switch = KamailioSwitch(VoiceSettings(evapi={"port": port}, rpc={"port": rpc_port}))  # type: ignore[arg-type]
    seen: list[CallEvent] = []
    switch.on_event(seen.append)
    serving = asyncio.create_task(switch.serve_forever(retry_seconds=0.2))  # connects first
    await asyncio.wait_for(fake.connected.wait(), 5)
    return fake, rpc, switch, seen, serving


async def _unlink(
    fake: FakeKamailio, rpc: "FakeRpc | None", switch: KamailioSwitch, serving: asyncio.Task[None]
) -> None:
    """Stop serving the link (the task ends cancelled) and close everything the test opened."""
    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving
    fake.writer.close()  # type: ignore[union-attr]
    switch.close()
    fake.server.close()
    if rpc is not None:
        rpc.server.close()


async def _calls_of_a_kamailio_that_restarted_are_reported_lost() -> None:
    fake, rpc, switch, seen, serving = await _linked_with_rpc("Sun Dec  6 11:00:00 2026")

    async def drop_link() -> None:
        first = fake.writer
        fake.connected.clear()
        first.close()  # type: ignore[union-attr]
        await asyncio.wait_for(fake.connected.wait(), 5)
        await asyncio.sleep(0.2)  # the switch asks Kamailio which run it is

    for n, call in enumerate(("held", "talking")):
        offer = {"event": "offer", "queue": "support", "callid": call, "from": "bob", "ftag": f"A{n}"}
        fake.send({**offer, "tindex": n, "tlabel": 1})
    fake.send({"event": "answered", "callid": "talking", "agent": "agent1", "ftag": "A1", "ttag": "B1"})
    await until(seen, 3)
    await drop_link()  # the link broke, Kamailio did not restart: the calls are still there
    assert switch.reconnects == 1
    assert switch.instance == "Sun Dec  6 11:00:00 2026"
    assert len(seen) == 3
    assert set(switch.dialogs) == {"talking"}
    rpc.up_since = "Sun Dec  6 11:05:00 2026"
    await drop_link()  # Kamailio restarted: it knows neither call
    assert seen[3:] == [CallLost("held"), CallLost("talking")]
    assert (switch.held, switch.dialogs, switch.offers) == ({}, {}, {})
    assert rpc.methods == ["core.uptime"] * 3
    await _unlink(fake, rpc, switch, serving)


def test_a_restarted_kamailio_whose_rpc_listens_late_is_asked_again_while_its_link_is_served() -> None:
    asyncio.run(_a_restarted_kamailio_whose_rpc_listens_late_is_asked_again())


async def _a_restarted_kamailio_whose_rpc_listens_late_is_asked_again() -> None:
    fake, rpc, switch, seen, serving = await _linked_with_rpc("Sun Dec  6 11:00:00 2026")
    rpc_port = int(rpc.server.sockets[0].getsockname()[1])
    offer = {"event": "offer", "queue": "support", "from": "bob", "tlabel": 1}
    fake.send({**offer, "callid": "old", "tindex": 1})
    await until(seen, 1)
    rpc.server.close()  # the new Kamailio's JSON-RPC is not listening yet when it links
    await rpc.server.wait_closed()
    first = fake.writer
    fake.connected.clear()
    first.close()  # type: ignore[union-attr]
    await asyncio.wait_for(fake.connected.wait(), 5)
    # The link is served meanwhile: the new run's calls come through, and are not taken for lost ones.
    fake.send({**offer, "callid": "new", "tindex": 2})
    await until(seen, 2)
    rpc.up_since = "Sun Dec  6 11:05:00 2026"
    rpc.server = await asyncio.start_server(rpc._client, "127.0.0.1", rpc_port)
    for _ in range(500):
        if len(seen) >= 3:
            break
        await asyncio.sleep(0.01)
    assert seen[2:] == [CallLost("old")]
    assert switch.instance == "Sun Dec  6 11:05:00 2026"
    assert set(switch.held) == {"new"}
    await _unlink(fake, rpc, switch, serving)


def test_whisper_and_barge_are_refused_naming_what_rtpengine_lacks() -> None:
    switch = KamailioSwitch(VoiceSettings())
    for mode in ("whisper", "barge"):
        with pytest.raises(
            NotSupported, match=f"kamailio cannot {mode}: rtpengine 10.5 cannot mix"
        ) as caught:
            switch.monitor("c1", "super1", mode=mode)
        assert (caught.value.switch, caught.value.command) == ("kamailio", mode)
    with pytest.raises(TelephonyError, match="unknown monitor mode 'spy'"):
        switch.monitor("c1", "super1", mode="spy")
    with pytest.raises(NotSupported, match="monitor: it needs rtpengine and call control's SIP user agent"):
        switch.monitor("c1", "super1", mode="monitor")


def test_only_a_connected_call_is_monitored() -> None:
    async def scenario() -> None:
        client = NgClient("127.0.0.1", 9, timeout_seconds=0.1)
        agent = SipUserAgent("127.0.0.1", 0, ("127.0.0.1", 9), "127.0.0.1")
        switch = KamailioSwitch(VoiceSettings(), client, agent)
        with pytest.raises(TelephonyError, match="cannot monitor call c1: it is not connected"):
            switch.monitor("c1", "super1", mode="monitor")
        assert agent.on_ended is not None  # the supervisor hanging up ends the fork (`unsubscribe`)

    asyncio.run(scenario())


def test_a_phone_user_may_not_be_a_queue_name() -> None:
    with pytest.raises(
        ConfigError, match="phone user 'tech' is also a queue name: queue-tech would be ambiguous"
    ):
        load_voice_settings("queues: {tech: tech}\nagents: {tech: tech-001}\n", "voice.yaml")


def test_a_supervisor_is_called_with_the_subscription_answered_and_hung_up_with_the_call() -> None:
    asyncio.run(_a_supervisor_is_called_with_the_subscription_answered_and_hung_up_with_the_call())


async def _a_supervisor_is_called_with_the_subscription_answered_and_hung_up_with_the_call() -> None:
    from tests.telephony.test_sipua import FakeProxy, free_port

    loop = asyncio.get_running_loop()
    _, ng = await loop.create_datagram_endpoint(FakeNg, local_addr=("127.0.0.1", 0))
    proxy = FakeProxy()
    proxy_port = free_port()
    await loop.create_datagram_endpoint(lambda: proxy, local_addr=("127.0.0.1", proxy_port))
    fake = FakeKamailio()
    settings = VoiceSettings(evapi={"port": await fake.start()})  # type: ignore[arg-type]
    client = NgClient("127.0.0.1", ng.transport.get_extra_info("sockname")[1], timeout_seconds=0.5)
    await client.open()
    agent = SipUserAgent("127.0.0.1", free_port(), ("127.0.0.1", proxy_port), "127.0.0.1")
    await agent.open()
    switch = KamailioSwitch(settings, client, agent)
    seen: list[CallEvent] = []
    switch.on_event(seen.append)
    await switch.connect(timeout_seconds=2)
    serving = asyncio.create_task(switch.serve())
    await fake.connected.wait()
    fake.send({"event": "answered", "callid": "c1", "agent": "agent1", "ftag": "F", "ttag": "T"})
    for _ in range(100):
        if "c1" in switch.dialogs:
            break
        await asyncio.sleep(0.01)
    switch.monitor("c1", "super1", mode="monitor")  # the supervisor's phone refuses: no subscriber kept
    invite, addr = await proxy.next("INVITE")
    assert invite.body == "v=0 subscribe request"  # rtpengine's offer of both legs
    proxy.reply(invite, addr, "486 Busy Here")
    switch.monitor("c1", "super1", mode="monitor")  # and again: it answers
    invite, addr = await proxy.next("INVITE")
    contact = "Contact: <sip:super1@127.0.0.1:5999>"
    proxy.reply(
        invite, addr, "200 OK", f"Record-Route: <sip:127.0.0.1:{proxy_port};lr>", contact, body="v=0\r\n"
    )
    for _ in range(100):
        if switch.monitors:
            break
        await asyncio.sleep(0.01)
    assert list(switch.supervisor_of.values()) == ["super1"]
    with pytest.raises(TelephonyError, match="super2 does not monitor call c1"):
        switch.stop_monitor("c1", "super2")
    switch.stop_monitor("c1", "super1")  # asked to stop: a BYE to its phone, and the fork unsubscribed
    bye, bye_from = await proxy.next("BYE")
    proxy.reply(bye, bye_from, "200 OK")
    assert (switch.monitors, switch.supervisor_of) == ({}, {})
    switch.monitor("c1", "super1", mode="monitor")  # listens again
    invite, addr = await proxy.next("INVITE")
    proxy.reply(
        invite, addr, "200 OK", f"Record-Route: <sip:127.0.0.1:{proxy_port};lr>", contact, body="v=0\r\n"
    )
    for _ in range(100):
        if switch.monitors:
            break
        await asyncio.sleep(0.01)
    fake.send({"event": "ended", "callid": "c1"})  # the call ends: the supervisor's phone gets a BYE
    bye, bye_from = await proxy.next("BYE")
    proxy.reply(bye, bye_from, "200 OK")
    await asyncio.sleep(0.1)
    commands = [(r["command"], r.get("from-tags"), r.get("to-tag"), r.get("flags")) for r in ng.requests]
    assert commands == [
        ("subscribe request", ["F", "T"], None, None),
        ("unsubscribe", None, "S1", None),  # after the 486
        ("subscribe request", ["F", "T"], None, None),
        ("subscribe answer", None, "S1", ["allow transcoding"]),
        ("unsubscribe", None, "S1", None),  # stopped
        ("subscribe request", ["F", "T"], None, None),
        ("subscribe answer", None, "S1", ["allow transcoding"]),
    ]
    assert switch.media_errors == ["monitor (super1) c1 monitor: super1's phone answered 486 Busy Here"]
    # the refused call is reported, so call control logs the monitor stopped; a stop asked for is not
    assert [e for e in seen if isinstance(e, MonitorEnded)] == [
        MonitorEnded("c1", "super1", "failed: super1's phone answered 486 Busy Here")
    ]
    assert switch.monitors == {}
    fake.writer.close()  # type: ignore[union-attr]
    serving.cancel()
    switch.close()
    agent.close()
    client.close()
    proxy.close()
    ng.transport.close()
    fake.server.close()
