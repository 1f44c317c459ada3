"""Call control's own SIP user agent: calls it places itself (a supervisor's phone, to listen to a call),
through Kamailio as outbound proxy. Signalling only, over UDP: the SDP it sends is rtpengine's, and the
media flows between rtpengine and the phone.

It does what such a call needs and no more: INVITE (retransmitted until a reply, per RFC 3261 timer A),
ACK of the final reply (a 2xx end to end along the route set, any other hop by hop), BYE from either side,
and a polite refusal of any other request inside its calls. Not a general SIP stack: no authentication,
no re-INVITE, no forking (the first 2xx wins; others are acknowledged and ended).
"""

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from baiying.telephony.switch import TelephonyError

logger = logging.getLogger(__name__)

T1_SECONDS = 0.5  # RFC 3261 round-trip estimate: the first retransmission interval
COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
           "c": "content-type"}  # fmt: skip


class SipCallFailed(TelephonyError):
    """The phone did not take the call: a final reply >= 300, or no reply in time."""

    def __init__(self, message: str, *, code: int = 0, call_id: str | None = None) -> None:
        super().__init__(message, call_id=call_id)
        self.code = code


@dataclass(slots=True)
class SipMessage:
    start: str  # "INVITE sip:... SIP/2.0" or "SIP/2.0 200 OK"
    headers: list[tuple[str, str]]  # (lower-case full name, value), in order
    body: str = ""

    @property
    def is_response(self) -> bool:
        return self.start.startswith("SIP/2.0 ")

    @property
    def code(self) -> int:
        return int(self.start.split()[1]) if self.is_response else 0

    @property
    def method(self) -> str:
        return self.start.split()[0] if not self.is_response else self.header("cseq").split()[-1]

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key == name), "")

    def all(self, name: str) -> list[str]:
        """Every value of a header, comma-separated lists split (Via, Record-Route)."""
        return [part.strip() for key, value in self.headers if key == name for part in _split(value)]


def _split(value: str) -> list[str]:
    """A header value's comma-separated entries, commas inside <...> or quotes kept."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in value:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            depth += 1
        elif not quoted and char == ">":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def parse(data: bytes) -> SipMessage:
    text = data.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    if not lines or not lines[0]:
        raise ValueError("empty SIP message")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # a folded line continues the previous header
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"not a SIP header line: {line!r}")
        key = name.strip().lower()
        headers.append((COMPACT.get(key, key), value.strip()))
    return SipMessage(lines[0], headers, body)


def _uri(value: str) -> str:
    """The URI of a name-addr (`"x" <sip:a@b>;tag=1`) or of a bare addr-spec."""
    if "<" in value:
        return value[value.index("<") + 1 : value.index(">")]
    return value.split(";", maxsplit=1)[0].strip()


def _tag(value: str) -> str:
    after = value[value.index(">") + 1 :] if ">" in value else value
    for parameter in after.split(";")[1:]:
        name, _, tag = parameter.partition("=")
        if name.strip().lower() == "tag":
            return tag.strip()
    return ""


def _host_port(uri: str) -> tuple[str, int]:
    """Where a SIP URI points: host and port (5060 by default)."""
    rest = uri.split(":", 1)[1] if ":" in uri else uri
    rest = rest.split("@", 1)[-1].split(";")[0].split("?")[0]
    host, _, port = rest.partition(":")
    return host, int(port) if port.isdigit() else 5060


@dataclass(slots=True)
class OutgoingCall:
    """A call this agent placed; `answer` is the phone's SDP once it answered."""

    call_id: str
    user: str
    local_tag: str
    request_uri: str
    remote_tag: str = ""
    remote_target: str = ""  # the phone's Contact: where in-dialog requests go
    route_set: list[str] = field(default_factory=list)
    answer: str = ""
    cseq: int = 1
    ended: bool = False
    answered: asyncio.Future[SipMessage] | None = None


class SipUserAgent(asyncio.DatagramProtocol):
    """Places calls from `sip:baiying@<domain>` through `proxy`; `on_ended(call_id)` when a phone hangs up."""

    def __init__(self, address: str, port: int, proxy: tuple[str, int], domain: str) -> None:
        self.address, self.port, self.proxy, self.domain = address, port, proxy, domain
        self.calls: dict[str, OutgoingCall] = {}
        self.on_ended: Callable[[str], None] | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._waiting: dict[tuple[str, str], asyncio.Queue[SipMessage]] = {}  # (call id, CSeq) → replies

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(self.address, self.port))
        self._transport = transport

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # ---- sending -------------------------------------------------------------------------------------

    def _send(self, text: str, to: tuple[str, int]) -> None:
        if self._transport is None:
            raise TelephonyError("the SIP user agent is not open")
        self._transport.sendto(text.encode(), to)

    def _via(self) -> str:
        return f"SIP/2.0/UDP {self.address}:{self.port};branch=z9hG4bK{secrets.token_hex(8)};rport"

    def _request(self, call: OutgoingCall, method: str, cseq: int, *, via: str, body: str = "") -> str:
        uri = call.remote_target or call.request_uri
        lines = [f"{method} {uri} SIP/2.0", f"Via: {via}", "Max-Forwards: 70"]
        if call.route_set:
            lines.append("Route: " + ", ".join(call.route_set))
        to_tag = f";tag={call.remote_tag}" if call.remote_tag else ""
        lines += [
            f"From: <sip:baiying@{self.domain}>;tag={call.local_tag}",
            f"To: <sip:{call.user}@{self.domain}>{to_tag}",
            f"Call-ID: {call.call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:baiying@{self.address}:{self.port}>",
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def _next_hop(self, call: OutgoingCall) -> tuple[str, int]:
        if call.route_set:
            return _host_port(_uri(call.route_set[0]))
        return _host_port(call.remote_target) if call.remote_target else self.proxy

    async def _transact(
        self, call: OutgoingCall, text: str, cseq: str, to: tuple[str, int], timeout: float, *, final: bool
    ) -> SipMessage:
        """Send a request, retransmitting (T1, doubling) until a reply, or a final reply when `final`."""
        loop = asyncio.get_running_loop()
        replies: asyncio.Queue[SipMessage] = asyncio.Queue()
        self._waiting[(call.call_id, cseq)] = replies
        deadline = loop.time() + timeout
        interval = T1_SECONDS
        provisional = False
        try:
            while True:
                if not provisional:
                    self._send(text, to)
                left = deadline - loop.time()
                if left <= 0:
                    raise SipCallFailed(
                        f"no {'final ' if final else ''}reply to {cseq.rsplit(maxsplit=1)[-1]} for "
                        f"{call.user} in {timeout:g} s",
                        code=408,
                        call_id=call.call_id,
                    )
                with contextlib.suppress(TimeoutError):
                    message = await asyncio.wait_for(replies.get(), min(interval, left))
                    if message.code >= 200 or not final:
                        return message
                    provisional = True  # the phone rings: no more retransmissions, wait for the final
                    continue
                interval = min(interval * 2, 4.0)
        finally:
            self._waiting.pop((call.call_id, cseq), None)

    async def invite(self, user: str, sdp: str, *, timeout_seconds: float = 30.0) -> OutgoingCall:
        """Call `sip:<user>@<domain>` offering `sdp`; the call once answered (its `answer` the phone's
        SDP), or SipCallFailed."""
        call = OutgoingCall(
            call_id=f"{secrets.token_hex(10)}@baiying",
            user=user,
            local_tag=secrets.token_hex(6),
            request_uri=f"sip:{user}@{self.domain}",
        )
        self.calls[call.call_id] = call
        via = self._via()
        text = self._request(call, "INVITE", 1, via=via, body=sdp)
        try:
            reply = await self._transact(call, text, "1 INVITE", self.proxy, timeout_seconds, final=True)
        except SipCallFailed:
            self.calls.pop(call.call_id, None)
            raise
        if reply.code >= 300:
            self.calls.pop(call.call_id, None)
            raise SipCallFailed(
                f"{user}'s phone answered {reply.start[8:]}", code=reply.code, call_id=call.call_id
            )
        return call

    def _answered(self, call: OutgoingCall, reply: SipMessage) -> None:
        """A 2xx to our INVITE: its route set and target, then the ACK (again for a retransmission)."""
        if not call.remote_tag:
            call.remote_tag = _tag(reply.header("to"))
            call.remote_target = _uri(reply.header("contact"))
            call.route_set = list(reversed(reply.all("record-route")))
            # SDP lines end in CRLF (RFC 4566); some phones send bare LF, which rtpengine refuses
            call.answer = "".join(f"{line}\r\n" for line in reply.body.splitlines())
        ack = self._request(call, "ACK", 1, via=self._via())
        self._send(ack, self._next_hop(call))

    def _refused(self, call: OutgoingCall, reply: SipMessage) -> None:
        """ACK of a final reply >= 300: hop by hop, on the INVITE's branch, to the proxy."""
        via = reply.all("via")[0] if reply.all("via") else self._via()
        lines = [
            f"ACK {call.request_uri} SIP/2.0",
            f"Via: {via}",
            "Max-Forwards: 70",
            f"From: <sip:baiying@{self.domain}>;tag={call.local_tag}",
            f"To: {reply.header('to')}",
            f"Call-ID: {call.call_id}",
            "CSeq: 1 ACK",
            "Content-Length: 0",
        ]
        self._send("\r\n".join(lines) + "\r\n\r\n", self.proxy)

    async def bye(self, call_id: str, *, timeout_seconds: float = 4.0) -> None:
        """End a call this agent placed (nothing if it is over already)."""
        call = self.calls.pop(call_id, None)
        if call is None or call.ended:
            return
        call.ended = True
        call.cseq += 1
        text = self._request(call, "BYE", call.cseq, via=self._via())
        try:
            await self._transact(
                call, text, f"{call.cseq} BYE", self._next_hop(call), timeout_seconds, final=True
            )
        except SipCallFailed as error:
            logger.info("BYE of %s: %s", call_id, error)

    # ---- receiving -----------------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message = parse(data)
        except ValueError as error:
            logger.warning("not a SIP message from %s: %s", addr, error)
            return
        call_id = message.header("call-id")
        if message.is_response:
            self._response(call_id, message)
        else:
            self._incoming(call_id, message, addr)

    def _response(self, call_id: str, message: SipMessage) -> None:
        call = self.calls.get(call_id)
        cseq = message.header("cseq")
        if call is not None and cseq.endswith("INVITE"):
            if 200 <= message.code < 300:
                self._answered(call, message)
            elif message.code >= 300:
                self._refused(call, message)
        waiting = self._waiting.get((call_id, cseq))
        if waiting is not None:
            waiting.put_nowait(message)

    def _incoming(self, call_id: str, message: SipMessage, addr: tuple[str, int]) -> None:
        method = message.start.split()[0]
        if method == "ACK":
            return
        call = self.calls.get(call_id)
        if method == "BYE" and call is not None:
            call.ended = True
            self.calls.pop(call_id, None)
            self._reply(message, addr, "200 OK")
            if self.on_ended is not None:
                self.on_ended(call_id)
            return
        if call is None:
            self._reply(message, addr, "481 Call/Transaction Does Not Exist")
            return
        self._reply(message, addr, "501 Not Implemented")

    def _reply(self, request: SipMessage, addr: tuple[str, int], status: str) -> None:
        lines = [f"SIP/2.0 {status}"]
        lines += [f"Via: {via}" for via in request.all("via")]
        for name, header in (("From", "from"), ("To", "to"), ("Call-ID", "call-id"), ("CSeq", "cseq")):
            lines.append(f"{name}: {request.header(header)}")
        lines.append("Content-Length: 0")
        # back where it came from (the proxy that relayed it: Kamailio), as rport would have it
        self._send("\r\n".join(lines) + "\r\n\r\n", addr)
