"""The rtpengine NG client: bencode, cookie-matched replies, retries and precise errors, against a fake
rtpengine (UDP); and offer/answer/play media/delete against the real daemon when it is installed."""

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from baiying.telephony.rtpengine import (
    NgClient,
    NgError,
    NgProtocolError,
    NgTimeout,
    bdecode,
    bencode,
)


def test_bencode_round_trip() -> None:
    value = {"command": "offer", "flags": ["trust-address"], "n": -3, "sdp": "v=0\r\n", "raw": b"\xff"}
    data = bencode(value)
    assert data.startswith(b"d7:command5:offer5:flagsl13:trust-addresse1:ni-3e3:raw1:\xff")
    assert bdecode(data) == value
    assert bdecode(b"d3:cow3:moo4:spaml1:a1:bee") == {"cow": "moo", "spam": ["a", "b"]}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"i12", "unterminated integer"),
        (b"ixe", "bad integer"),
        (b"5:abc", "runs past the end"),
        (b"d3:keye", "key and no value"),
        (b"di1ei2ee", "is not a string"),
        (b"i1ei2e", "3 bytes after"),
        (b"x", "unexpected byte"),
        (b"l", "ends early"),
    ],
)
def test_bad_bencode_is_refused_precisely(data: bytes, words: str) -> None:
    with pytest.raises(NgProtocolError, match=words):
        bdecode(data)


def test_bencode_refuses_booleans() -> None:
    with pytest.raises(TypeError, match="no booleans"):
        bencode(True)


Reply = Callable[[bytes, dict[str, Any]], list[bytes]]


class FakeRtpengine(asyncio.DatagramProtocol):
    """Answers each request as `reply(cookie, request)` says: zero, one or several datagrams."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.DatagramTransport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        cookie, _, body = data.partition(b" ")
        request = bdecode(body)
        self.requests.append(request)
        for packet in self.reply(cookie, request):
            self.transport.sendto(packet, addr)


async def with_fake(reply: Reply, **options: Any) -> tuple[FakeRtpengine, NgClient]:
    loop = asyncio.get_running_loop()
    _, fake = await loop.create_datagram_endpoint(lambda: FakeRtpengine(reply), local_addr=("127.0.0.1", 0))
    port = fake.transport.get_extra_info("sockname")[1]
    client = NgClient("127.0.0.1", port, **options)
    await client.open()
    return fake, client


def test_replies_are_matched_by_cookie_and_stray_ones_dropped() -> None:
    async def scenario() -> None:
        def reply(cookie: bytes, request: dict[str, Any]) -> list[bytes]:
            if request["command"] == "ping":
                return [b"stray " + bencode({"result": "pong"}), cookie + b" " + bencode({"result": "pong"})]
            return [cookie + b" " + bencode({"result": "ok", "sdp": "v=0 " + request["call-id"]})]

        fake, client = await with_fake(reply)
        await client.ping()
        sdps = await asyncio.gather(*(client.offer(f"call{n}", "A", "v=0") for n in range(5)))
        assert sdps == [f"v=0 call{n}" for n in range(5)]
        assert fake.requests[1] == {"command": "offer", "call-id": "call0", "from-tag": "A", "sdp": "v=0"}
        assert client.dropped == 1
        client.close()
        fake.transport.close()

    asyncio.run(scenario())


def test_a_lost_request_is_retried_with_the_same_cookie() -> None:
    async def scenario() -> None:
        cookies: list[bytes] = []

        def reply(cookie: bytes, request: dict[str, Any]) -> list[bytes]:
            cookies.append(cookie)
            return [] if len(cookies) == 1 else [cookie + b" " + bencode({"result": "ok"})]

        fake, client = await with_fake(reply, timeout_seconds=0.1, attempts=3)
        assert await client.delete("c1") == {"result": "ok"}
        assert len(cookies) == 2
        assert cookies[0] == cookies[1]
        client.close()
        fake.transport.close()

    asyncio.run(scenario())


def test_errors_are_precise() -> None:
    async def scenario() -> None:
        def reply(cookie: bytes, request: dict[str, Any]) -> list[bytes]:
            command = request["command"]
            if command == "delete":
                return [cookie + b" " + bencode({"result": "error", "error-reason": "Call-ID not found"})]
            if command == "query":
                return [cookie + b" " + bencode({"no": "result"})]
            if command == "offer":
                return [cookie + b" " + bencode({"result": "ok"})]
            if command == "ping":
                return [cookie + b" garbage"]
            return []

        fake, client = await with_fake(reply, timeout_seconds=0.05, attempts=2)
        with pytest.raises(NgError, match="rtpengine refused 'delete': Call-ID not found") as refused:
            await client.delete("nope")
        assert refused.value.reason == "Call-ID not found"
        with pytest.raises(NgProtocolError, match="reply without a result"):
            await client.query("c1")
        with pytest.raises(NgProtocolError, match="'offer' reply carries no SDP"):
            await client.offer("c1", "A", "v=0")
        with pytest.raises(NgProtocolError, match="unexpected byte"):
            await client.ping()
        port = client.address[1]
        with pytest.raises(
            NgTimeout, match=f"127.0.0.1:{port} did not answer 'play media' \\(2 attempts over 0.1 s\\)"
        ):
            await client.play_media("c1", "A", "/x.wav")
        client.close()
        fake.transport.close()

    asyncio.run(scenario())


SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
)


@pytest.mark.skipif(shutil.which("rtpengine") is None, reason="rtpengine-daemon is not installed")
def test_real_rtpengine_offer_answer_play_delete(tmp_path: Path) -> None:
    """rtpengine in userspace (--table=-1) on a free loopback port: a call, a prompt to leg A, delete."""
    import socket
    import wave

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    prompt = tmp_path / "prompt.wav"
    with wave.open(str(prompt), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x10\x00" * 8000)
    log = (tmp_path / "rtpengine.log").open("wb")
    daemon = subprocess.Popen(
        ["timeout", "30", "rtpengine", "--interface=127.0.0.1", f"--listen-ng=127.0.0.1:{port}", "--table=-1",
         "--foreground", "--log-stderr", "--port-min=41000", "--port-max=41100", f"--pidfile={tmp_path}/pid"],
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip

    async def scenario() -> None:
        async with NgClient("127.0.0.1", port, timeout_seconds=0.5, attempts=2) as client:
            deadline = time.monotonic() + 10
            while True:
                try:
                    await client.ping()
                    break
                except NgTimeout:
                    if time.monotonic() > deadline:
                        raise
            offered = await client.offer("lab-1", "A", SDP.format(port=6100))
            assert "m=audio 4" in offered
            assert "c=IN IP4 127.0.0.1" in offered
            answered = await client.answer("lab-1", "A", "B", SDP.format(port=7100))
            assert "m=audio 4" in answered
            legs = (await client.query("lab-1"))["tags"]
            assert set(legs) == {"A", "B"}
            with pytest.raises(NgError, match="rtpengine refused 'play media'"):
                await client.play_media("lab-1", "A", str(tmp_path / "missing.wav"))
            assert await client.play_media("lab-1", "A", str(prompt)) == 1000
            await client.stop_media("lab-1", "A")
            await client.delete("lab-1")
            with pytest.raises(NgError, match="rtpengine refused 'answer'"):
                await client.answer("no-such-call", "A", "B", SDP.format(port=7100))

    try:
        asyncio.run(scenario())
    finally:
        daemon.terminate()
        daemon.wait(10)
        log.close()
