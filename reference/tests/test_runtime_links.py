"""Outbound links: the simulated network's connection rules, kept on real sockets.

``glasskafka.runtime.outbound`` promises what ``glasskafka.sim.network`` promises (SIM-1..3):
messages on one link arrive in the order sent; a link that cannot connect, or whose peer hangs
up, tells the node exactly once through ``on_connection_lost``; until the node has been told,
sends into the broken link are lost silently; after it, the next send opens a fresh connection.
Here a recording node sends coordination messages to a tiny echo server speaking the
coordination frames, or to a port where nobody listens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from glasskafka.coordination import PingRequest, PingResponse, Zxid
from glasskafka.coordination.codes import KeeperErrorCode
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Node, Output
from glasskafka.protocol.framing import Deframer
from glasskafka.runtime import NodeHost, RuntimeClock
from glasskafka.runtime.cluster import free_ports
from glasskafka.runtime.outbound import OutboundLinks
from glasskafka.runtime.zk_codec import (
    MAX_FRAME_BYTES,
    MIN_FRAME_BYTES,
    decode_frame,
    encode_message,
)
from glasskafka.runtime.zk_wire import ZkLinkCodec

log = logging.getLogger("glasskafka.test.links")
PEER = NodeId("zk")


class Recorder(Node):
    node_id = NodeId("recorder")

    def __init__(self) -> None:
        self.events: list[Any] = []

    def on_start(self, now_ms: Millis) -> list[Output]:
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        self.events.append((sender, message))
        return []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return []

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        self.events.append(("lost", peer))
        return []


async def echo_server(port: int) -> asyncio.Server:
    """Answers every PingRequest with a PingResponse of the same xid, in order."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        deframer = Deframer(min_size=MIN_FRAME_BYTES, max_size=MAX_FRAME_BYTES)
        while data := await reader.read(4096):
            for frame in deframer.feed(data):
                request = decode_frame(frame)
                assert isinstance(request, PingRequest)
                reply = PingResponse(xid=request.xid, zxid=Zxid(0), error=KeeperErrorCode.OK)
                writer.write(encode_message(reply))
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", port)


def scenario(body: Callable[[NodeHost, Recorder, OutboundLinks, int], Awaitable[None]]) -> Recorder:
    async def main() -> Recorder:
        loop = asyncio.get_running_loop()
        node = Recorder()
        host = NodeHost(node, loop=loop, clock=RuntimeClock(loop), log=log)
        (port,) = free_ports(1)

        async def resolve(peer: NodeId) -> tuple[str, int]:
            if peer != PEER:
                raise LookupError(peer)
            return ("127.0.0.1", port)

        links = OutboundLinks(
            host, owns=lambda to: to == PEER, resolve=resolve, codec=ZkLinkCodec, log=log,
            timeout_s=2.0,
        )  # fmt: skip
        host.outboxes.append(links)
        host.start()
        await body(host, node, links, port)
        links.close()
        return node

    return asyncio.run(main())


async def settle(check: Callable[[], bool]) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


def test_messages_sent_while_connecting_arrive_in_order_and_answers_come_back() -> None:
    async def body(host: NodeHost, node: Recorder, links: OutboundLinks, port: int) -> None:
        server = await echo_server(port)
        for xid in range(1, 6):
            assert links.offer(PEER, PingRequest(xid=xid))
        assert not links.offer(NodeId("broker-1"), PingRequest())  # not this outbox's peer
        await settle(lambda: len(node.events) == 5)
        server.close()

    node = scenario(body)
    assert [(sender, message.xid) for sender, message in node.events] == [
        (PEER, xid) for xid in range(1, 6)
    ]


def test_a_peer_nobody_listens_for_is_lost_once_and_a_later_send_tries_again() -> None:
    async def body(host: NodeHost, node: Recorder, links: OutboundLinks, port: int) -> None:
        links.offer(PEER, PingRequest(xid=1))
        links.offer(PEER, PingRequest(xid=2))  # queued on the same doomed link
        await settle(lambda: ("lost", PEER) in node.events)
        assert PEER not in links.links  # forgotten once the node was told
        server = await echo_server(port)
        links.offer(PEER, PingRequest(xid=3))  # a fresh connection
        await settle(lambda: len(node.events) == 2)
        server.close()

    node = scenario(body)
    assert node.events[0] == ("lost", PEER)
    assert node.events[1][1] == PingResponse(xid=3, zxid=Zxid(0), error=KeeperErrorCode.OK)


def test_until_told_a_broken_link_swallows_sends() -> None:
    async def body(host: NodeHost, node: Recorder, links: OutboundLinks, port: int) -> None:
        server = await echo_server(port)
        links.offer(PEER, PingRequest(xid=1))
        await settle(lambda: len(node.events) == 1)
        links.links[PEER].broken("the peer vanished")  # as a reset would
        links.offer(PEER, PingRequest(xid=2))  # the node has not been told yet: lost
        assert node.events[-1][0] == PEER
        await settle(lambda: ("lost", PEER) in node.events)
        links.offer(PEER, PingRequest(xid=3))  # told: a fresh connection
        await settle(lambda: len(node.events) == 3)
        server.close()

    node = scenario(body)
    assert [e[0] if e[0] == "lost" else e[1].xid for e in node.events] == [1, "lost", 3]


def test_a_frame_that_does_not_decode_breaks_the_link() -> None:
    async def body(host: NodeHost, node: Recorder, links: OutboundLinks, port: int) -> None:
        async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(100)
            writer.write(b"\x00\x00\x00\x06garbag")
            await writer.drain()
            await reader.read()  # until the link closes

        server = await asyncio.start_server(garbage, "127.0.0.1", port)
        links.offer(PEER, PingRequest(xid=1))
        await settle(lambda: ("lost", PEER) in node.events)
        server.close()

    assert scenario(body).events == [("lost", PEER)]
