"""Call control's own SIP user agent against a fake proxy/phone on loopback UDP."""

import asyncio
import socket
from typing import cast

import pytest

from baiying.telephony.sipua import SipCallFailed, SipMessage, SipUserAgent, parse


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeProxy(asyncio.DatagramProtocol):
    """Kamailio and the phone behind it, as one UDP socket: what it received, and a way to answer."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[SipMessage, tuple[str, int]]] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait((parse(data), addr))

    async def next(self, method: str) -> tuple[SipMessage, tuple[str, int]]:
        while True:
            message, addr = await asyncio.wait_for(self.received.get(), 3)
            if message.start.split()[0] == method:
                return message, addr

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def reply(
        self, request: SipMessage, addr: tuple[str, int], status: str, *extra: str, body: str = ""
    ) -> None:
        lines = [f"SIP/2.0 {status}", *(f"Via: {v}" for v in request.all("via"))]
        to = request.header("to") + ("" if "tag=" in request.header("to") else ";tag=phone1")
        lines += [f"From: {request.header('from')}", f"To: {to}", f"Call-ID: {request.header('call-id')}",
                  f"CSeq: {request.header('cseq')}", *extra, f"Content-Length: {len(body)}"]  # fmt: skip
        assert self.transport is not None
        self.transport.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), addr)


async def start() -> tuple[SipUserAgent, FakeProxy, int]:
    loop = asyncio.get_running_loop()
    proxy = FakeProxy()
    port = free_port()
    await loop.create_datagram_endpoint(lambda: proxy, local_addr=("127.0.0.1", port))
    agent = SipUserAgent("127.0.0.1", free_port(), ("127.0.0.1", port), "127.0.0.1")
    await agent.open()
    return agent, proxy, port


OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n"


def test_a_call_is_placed_through_the_proxy_acknowledged_along_its_route_and_ended_with_bye() -> None:
    async def scenario() -> None:
        agent, proxy, port = await start()
        placing = asyncio.create_task(agent.invite("super1", OFFER))
        invite, addr = await proxy.next("INVITE")
        assert invite.start == "INVITE sip:super1@127.0.0.1 SIP/2.0"
        assert invite.header("from").startswith("<sip:baiying@127.0.0.1>;tag=")
        assert invite.header("content-type") == "application/sdp"
        assert invite.body == OFFER
        proxy.reply(invite, addr, "180 Ringing")
        route = f"<sip:127.0.0.1:{port};lr>"
        answer = "v=0\no=phone 2 2 IN IP4 127.0.0.1\nm=audio 5000 RTP/AVP 8\n"  # bare LF, as sipp sends
        ok = (f"Record-Route: {route}", "Contact: <sip:super1@127.0.0.1:5999>")
        proxy.reply(invite, addr, "200 OK", *ok, body=answer)
        call = await placing
        assert call.answer == "v=0\r\no=phone 2 2 IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 8\r\n"
        ack, _ = await proxy.next("ACK")  # end to end: to the phone's Contact, through the proxy (Route)
        assert ack.start == "ACK sip:super1@127.0.0.1:5999 SIP/2.0"
        assert ack.header("route") == route
        assert ack.header("to").endswith(";tag=phone1")
        assert ack.header("cseq") == "1 ACK"
        proxy.reply(invite, addr, "200 OK", *ok, body=answer)  # a retransmitted 200: acknowledged again
        await proxy.next("ACK")
        ending = asyncio.create_task(agent.bye(call.call_id))
        bye, bye_from = await proxy.next("BYE")
        assert (bye.start, bye.header("cseq"), bye.header("route")) == (
            "BYE sip:super1@127.0.0.1:5999 SIP/2.0", "2 BYE", route,
        )  # fmt: skip
        proxy.reply(bye, bye_from, "200 OK")
        await ending
        assert agent.calls == {}
        agent.close()
        proxy.close()

    asyncio.run(scenario())


def test_the_phone_hanging_up_is_answered_and_reported() -> None:
    async def scenario() -> None:
        agent, proxy, port = await start()
        ended: list[str] = []
        agent.on_ended = ended.append
        placing = asyncio.create_task(agent.invite("super1", OFFER))
        invite, addr = await proxy.next("INVITE")
        proxy.reply(invite, addr, "200 OK", "Contact: <sip:super1@127.0.0.1:5999>", body="v=0\r\n")
        call = await placing
        bye = (
            f"BYE sip:baiying@127.0.0.1:{agent.port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKx\r\n"
            f"From: <sip:super1@127.0.0.1>;tag=phone1\r\n"
            f"To: <sip:baiying@127.0.0.1>;tag={call.local_tag}\r\n"
            f"Call-ID: {call.call_id}\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n"
        )
        assert proxy.transport is not None
        proxy.transport.sendto(bye.encode(), ("127.0.0.1", agent.port))
        while True:
            reply, _ = await asyncio.wait_for(proxy.received.get(), 3)
            if reply.is_response:
                break
        assert (reply.start, reply.header("cseq")) == ("SIP/2.0 200 OK", "7 BYE")
        assert ended == [call.call_id]
        assert agent.calls == {}
        agent.close()
        proxy.close()

    asyncio.run(scenario())


def test_a_refusal_is_acknowledged_hop_by_hop_and_raised_with_its_code() -> None:
    async def scenario() -> None:
        agent, proxy, _ = await start()
        placing = asyncio.create_task(agent.invite("super1", OFFER))
        invite, addr = await proxy.next("INVITE")
        proxy.reply(invite, addr, "486 Busy Here")
        with pytest.raises(SipCallFailed, match="super1's phone answered 486 Busy Here") as caught:
            await placing
        assert caught.value.code == 486
        ack, _ = await proxy.next("ACK")
        assert ack.start == "ACK sip:super1@127.0.0.1 SIP/2.0"
        assert ack.header("via") == invite.header("via")  # the INVITE's transaction
        assert agent.calls == {}
        agent.close()
        proxy.close()

    asyncio.run(scenario())


def test_an_unanswered_invite_is_retransmitted_then_fails_with_408() -> None:
    async def scenario() -> None:
        agent, proxy, _ = await start()
        with pytest.raises(SipCallFailed, match=r"no final reply to INVITE for super1 in 1\.2 s") as caught:
            await agent.invite("super1", OFFER, timeout_seconds=1.2)
        assert caught.value.code == 408
        assert proxy.received.qsize() == 2  # at 0 and 0.5 s (T1), the next would be at 1.5 s
        agent.close()
        proxy.close()

    asyncio.run(scenario())


def test_headers_are_read_in_compact_form_folded_and_comma_separated() -> None:
    message = parse(
        b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b;branch=2\r\ni: abc\r\n"
        b'Record-Route: <sip:p1;lr>, "x,y" <sip:p2;lr>\r\nSubject: one\r\n two\r\nl: 0\r\n\r\n'
    )
    assert message.all("via") == ["SIP/2.0/UDP a;branch=1", "SIP/2.0/UDP b;branch=2"]
    assert message.header("call-id") == "abc"
    assert message.all("record-route") == ["<sip:p1;lr>", '"x,y" <sip:p2;lr>']
    assert message.header("subject") == "one two"
    with pytest.raises(ValueError, match="not a SIP header line"):
        parse(b"INVITE sip:a SIP/2.0\r\nbroken\r\n\r\n")
