"""The server's connections write what one turn of the event loop produced in one `write`.

Why: uvicorn writes an HTTP response's head and its body separately, and each WebSocket message on its
own; on uvloop every `transport.write` to an idle socket is a `send` system call at once, through the
whole loopback TCP path. Under `benchmarks/bench_server.py` those writes were about a third of the
server's CPU (py-spy `--gil`: uvicorn's two `send`s, at their `transport.write` lines): per contact two
writes for each of the three responses, and one per message on the agent's socket, where one command
usually sends two or three (e.g. `answered` and `state`).

What: `CoalescingHttpToolsProtocol`, uvicorn's httptools protocol given a `CoalescedWrites` in place of
its transport; a WebSocket upgraded from it is handed the same object, so its messages are coalesced too.
The bytes and their order are unchanged: writes are joined and sent at the end of the current turn of the
loop (`call_soon`), or at once when the connection is closed or ends its writing. Flow control is the
real transport's: it still pauses the protocol when its buffer is full.
"""

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescedWrites:
    """A transport whose writes made in one turn of the loop reach `transport` as one write; everything
    else is `transport`'s."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))  # a caller may reuse a bytearray it passed

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        """Hand what was written to the transport now (as one write)."""
        pending = self._pending
        if not pending:
            return
        self._pending = []
        if self._transport.is_closing():
            return  # the connection is gone: the transport would drop the data too
        self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(chunk) for chunk in self._pending)

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, set_protocol...
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (`uvicorn.run(..., http=...)`) writing through `CoalescedWrites`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        coalesced: Any = CoalescedWrites(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(coalesced)
