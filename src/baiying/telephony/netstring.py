"""Netstrings (`<length>:<bytes>,`), the framing of Kamailio's evapi link (with `netstring_format` on)."""

import asyncio

MAX_NETSTRING = 1 << 20


class NetstringError(Exception):
    """The peer sent bytes that are not a netstring (bad length, missing comma, too long)."""


def encode(payload: bytes) -> bytes:
    return str(len(payload)).encode() + b":" + payload + b","


async def read(reader: asyncio.StreamReader) -> bytes:
    """The next netstring's payload; IncompleteReadError at the end of the stream."""
    head = await reader.readuntil(b":")
    digits = head[:-1]
    if not digits.isdigit() or len(digits) > 8:
        raise NetstringError(f"bad netstring length {digits[:16]!r}")
    size = int(digits)
    if size > MAX_NETSTRING:
        raise NetstringError(f"netstring of {size} bytes is over the {MAX_NETSTRING} limit")
    body = await reader.readexactly(size + 1)
    if body[-1:] != b",":
        raise NetstringError(f"netstring of {size} bytes not followed by ','")
    return body[:-1]
