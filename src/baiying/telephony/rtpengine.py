"""A client of rtpengine's NG control protocol: bencoded dictionaries over UDP, each request prefixed by a
cookie that the reply repeats (`<cookie> <bencoded dict>`).

rtpengine is the media plane of the voice connector: it relays RTP between caller and agent, and plays
prompts and hold music to one leg (`play media`), reports DTMF and records — without a media packet going
through Python. This module speaks the protocol; which calls to make is the call control's business.

Errors are precise: `NgTimeout` (no reply after the retries), `NgError` (rtpengine answered
`result: error` with its `error-reason`), `NgProtocolError` (a reply that is not bencode or lacks
`result`). A reply whose cookie matches no pending request (a late answer to a retried one) is dropped.
"""

import asyncio
import itertools
import os
from collections.abc import Mapping
from typing import Any

Bencodable = int | str | bytes | list[Any] | dict[str, Any]


class NgProtocolError(Exception):
    """Bytes that are not valid bencode, or a reply without a `result`."""


class NgTimeout(Exception):
    def __init__(self, command: str, address: tuple[str, int], seconds: float, attempts: int) -> None:
        super().__init__(
            f"rtpengine at {address[0]}:{address[1]} did not answer '{command}' "
            f"({attempts} attempts over {seconds:g} s)"
        )
        self.command = command
        self.address = address


class NgError(Exception):
    """rtpengine refused the command; `reason` is its `error-reason`."""

    def __init__(self, command: str, reason: str, reply: Mapping[str, Any]) -> None:
        super().__init__(f"rtpengine refused '{command}': {reason}")
        self.command = command
        self.reason = reason
        self.reply = dict(reply)


# ---- bencode --------------------------------------------------------------------------------------------


def bencode(value: Bencodable) -> bytes:
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans: use 'yes'/'no' strings or integers")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        items = sorted((key.encode() if isinstance(key, str) else key, item) for key, item in value.items())
        return b"d" + b"".join(bencode(key) + bencode(item) for key, item in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def bdecode(data: bytes) -> Any:
    """Bencode to Python: strings come back as `str` when they are UTF-8, else `bytes`."""
    value, end = _decode(data, 0)
    if end != len(data):
        raise NgProtocolError(f"{len(data) - end} bytes after the bencoded value")
    return value


def _decode(data: bytes, at: int) -> tuple[Any, int]:
    if at >= len(data):
        raise NgProtocolError("bencode ends early")
    lead = data[at : at + 1]
    if lead == b"i":
        end = data.find(b"e", at)
        if end < 0:
            raise NgProtocolError(f"unterminated integer at byte {at}")
        try:
            return int(data[at + 1 : end]), end + 1
        except ValueError:
            raise NgProtocolError(f"bad integer at byte {at}") from None
    if lead in (b"l", b"d"):
        at += 1
        items: list[Any] = []
        while data[at : at + 1] != b"e":
            item, at = _decode(data, at)
            items.append(item)
        if lead == b"l":
            return items, at + 1
        if len(items) % 2:
            raise NgProtocolError("dictionary with a key and no value")
        return {_key(items[i]): items[i + 1] for i in range(0, len(items), 2)}, at + 1
    if lead.isdigit():
        colon = data.find(b":", at)
        if colon < 0 or not data[at:colon].isdigit():
            raise NgProtocolError(f"bad string length at byte {at}")
        end = colon + 1 + int(data[at:colon])
        if end > len(data):
            raise NgProtocolError(f"string at byte {at} runs past the end")
        raw = data[colon + 1 : end]
        try:
            return raw.decode(), end
        except UnicodeDecodeError:
            return raw, end
    raise NgProtocolError(f"unexpected byte {lead!r} at {at}")


def _key(value: Any) -> str:
    if not isinstance(value, str):
        raise NgProtocolError(f"dictionary key {value!r} is not a string")
    return value


# ---- the client -------------------------------------------------------------------------------------------


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, client: "NgClient") -> None:
        self.client = client

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.client._received(data)


class NgClient:
    """One UDP socket to one rtpengine; requests may overlap (each waits for its own cookie)."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 2223, *, timeout_seconds: float = 1.0, attempts: int = 3
    ) -> None:
        if timeout_seconds <= 0 or attempts < 1:
            raise ValueError("timeout_seconds must be positive and attempts at least 1")
        self.address = (host, port)
        self.timeout_seconds = timeout_seconds
        self.attempts = attempts
        self._transport: asyncio.DatagramTransport | None = None
        self._pending: dict[bytes, asyncio.Future[dict[str, Any]]] = {}
        self._prefix = os.urandom(4).hex().encode()
        self._counter = itertools.count(1)
        self.dropped = 0  # replies that matched no pending request, or were not NG at all

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), remote_addr=self.address)
        self._transport = transport

    @property
    def local_port(self) -> int:
        """The UDP port this client sends from (0 when not open)."""
        if self._transport is None:
            return 0
        return int(self._transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()

    async def __aenter__(self) -> "NgClient":
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        self.close()

    def _received(self, data: bytes) -> None:
        cookie, space, body = data.partition(b" ")
        future = self._pending.get(cookie)
        if not space or future is None or future.done():
            self.dropped += 1
            return
        try:
            reply = bdecode(body)
            if not isinstance(reply, dict) or "result" not in reply:
                raise NgProtocolError(f"reply without a result: {body[:100]!r}")
        except NgProtocolError as error:
            future.set_exception(error)
            return
        future.set_result(reply)

    async def command(self, command: str, **params: Bencodable) -> dict[str, Any]:
        """Send `command` with its parameters (underscores in names become dashes: `call_id` → `call-id`);
        the reply dictionary, or NgTimeout / NgError / NgProtocolError. A retry resends the same cookie, so
        rtpengine answers it from its cache rather than running the command twice."""
        if self._transport is None:
            raise RuntimeError("NgClient is not open")
        cookie = self._prefix + b"_%d" % next(self._counter)
        message: dict[str, Any] = {"command": command}
        message.update({name.replace("_", "-"): value for name, value in params.items()})
        packet = cookie + b" " + bencode(message)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[cookie] = future
        try:
            for _attempt in range(self.attempts):
                self._transport.sendto(packet)
                try:
                    reply = await asyncio.wait_for(asyncio.shield(future), self.timeout_seconds)
                    break
                except TimeoutError:
                    continue
            else:
                raise NgTimeout(command, self.address, self.timeout_seconds * self.attempts, self.attempts)
        finally:
            self._pending.pop(cookie, None)
            if not future.done():
                future.cancel()
        if reply.get("result") == "error":
            raise NgError(command, str(reply.get("error-reason", "no reason given")), reply)
        return reply

    # -- the commands the connector uses --

    async def ping(self) -> None:
        reply = await self.command("ping")
        if reply.get("result") != "pong":
            raise NgProtocolError(f"ping answered {reply.get('result')!r}, not 'pong'")

    async def offer(self, call_id: str, from_tag: str, sdp: str, **params: Bencodable) -> str:
        """Caller's SDP in; the SDP to give the callee (rtpengine's ports) out."""
        reply = await self.command("offer", call_id=call_id, from_tag=from_tag, sdp=sdp, **params)
        return _sdp(reply, "offer")

    async def answer(self, call_id: str, from_tag: str, to_tag: str, sdp: str, **params: Bencodable) -> str:
        reply = await self.command(
            "answer", call_id=call_id, from_tag=from_tag, to_tag=to_tag, sdp=sdp, **params
        )
        return _sdp(reply, "answer")

    async def delete(self, call_id: str, **params: Bencodable) -> dict[str, Any]:
        return await self.command("delete", call_id=call_id, **params)

    async def query(self, call_id: str) -> dict[str, Any]:
        return await self.command("query", call_id=call_id)

    async def play_media(self, call_id: str, from_tag: str, file: str, *, repeat: int = 1) -> int:
        """Play a WAV to the leg `from_tag` only; its duration in milliseconds."""
        reply = await self.command(
            "play media", call_id=call_id, from_tag=from_tag, file=file, repeat_times=repeat
        )
        return int(reply.get("duration", 0))

    async def stop_media(self, call_id: str, from_tag: str) -> None:
        await self.command("stop media", call_id=call_id, from_tag=from_tag)


def _sdp(reply: Mapping[str, Any], command: str) -> str:
    sdp = reply.get("sdp")
    if not isinstance(sdp, str):
        raise NgProtocolError(f"'{command}' reply carries no SDP: {dict(reply)!r}")
    return sdp
