"""Writes made in one turn of the event loop reach the socket as one, in order; closing sends what is
left first; a WebSocket upgraded from the connection writes through the same coalescing transport."""

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from baiying.api.coalesced import CoalescedWrites, CoalescingHttpToolsProtocol


class RecordingTransport:
    """What the protocol would hand the socket: each write, and whether it was closed or aborted."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False
        self.protocol: Any = None

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol


def in_a_loop(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    @functools.wraps(test)
    def run() -> None:
        asyncio.run(test())

    return run


def coalesced() -> tuple[CoalescedWrites, RecordingTransport, asyncio.AbstractEventLoop]:
    transport, loop = RecordingTransport(), asyncio.get_running_loop()
    return CoalescedWrites(transport, loop), transport, loop  # type: ignore[arg-type]


@in_a_loop
async def test_writes_in_one_turn_of_the_loop_go_out_as_one_in_order() -> None:
    writes, transport, _ = coalesced()
    writes.write(b"HTTP/1.1 200 OK\r\n\r\n")
    writes.write(bytearray(b"{}"))
    writes.write(b"")
    assert transport.writes == []  # not before the turn ends
    assert writes.get_write_buffer_size() == 21
    await asyncio.sleep(0)
    assert transport.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    writes.writelines([b"a", b"b"])
    await asyncio.sleep(0)
    writes.write(b"c")
    await asyncio.sleep(0)
    assert transport.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"ab", b"c"]


@in_a_loop
async def test_close_sends_what_is_pending_first_and_abort_drops_it() -> None:
    writes, transport, _ = coalesced()
    writes.write(b"last words")
    writes.close()
    assert transport.writes == [b"last words"]
    assert transport.closed
    await asyncio.sleep(0)  # the scheduled flush finds nothing left
    assert transport.writes == [b"last words"]

    writes, transport, _ = coalesced()
    writes.write(b"never sent")
    writes.abort()
    await asyncio.sleep(0)
    assert (transport.writes, transport.aborted) == ([], True)


@in_a_loop
async def test_nothing_is_written_to_a_connection_already_closing() -> None:
    writes, transport, _ = coalesced()
    writes.write(b"too late")
    transport.closed = True  # the peer went away
    await asyncio.sleep(0)
    assert transport.writes == []


@in_a_loop
async def test_everything_else_is_the_transports() -> None:
    writes, transport, _ = coalesced()
    assert writes.get_extra_info("peername") == ("127.0.0.1", 50000)
    assert writes.is_closing() is False
    writes.set_protocol("ws")
    assert transport.protocol == "ws"
    with pytest.raises(AttributeError):
        writes.no_such_method  # noqa: B018


@in_a_loop
async def test_the_servers_protocol_writes_a_response_in_one_write() -> None:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    config = Config(app, http=CoalescingHttpToolsProtocol, lifespan="off")
    protocol = CoalescingHttpToolsProtocol(config, ServerState(), {})
    transport = RecordingTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(transport.writes) == 1
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == b"ok"
