"""The address book: where each broker listens, read from its registration znode.

Theory of operation
-------------------
Nodes name their peers ``broker-<id>``; a socket needs a host and a port.  A Kafka broker finds
them where the controller does: in the registration every live broker keeps at
``/brokers/ids/<id>`` (``{"host": ..., "port": ..., "endpoints": [...]}``, written by the broker
itself; ``glasskafka.controller.znodes``).  :class:`AddressBook` is a tiny node of the runtime's
own that keeps a copy, with its own session to the coordination service:

1. when its session is up, list ``/brokers/ids`` with a child watch (``exists`` with a watch
   instead, while the path does not exist yet, and list again if it exists by then);
2. read each child's data with a data watch, and keep ``endpoints[id] = (host, port)``;
3. when a watch fires, read again (one-shot watches, ZooKeeper's recipe); when a child is gone,
   forget it; when the session expires, start a new one.

It is a node like any other (sans-IO, plain data), hosted by its own
:class:`~glasskafka.runtime.host.NodeHost`; :class:`AddressBookService` adds the one asynchronous
call the broker links need, :meth:`~AddressBookService.resolve`, which waits until the book knows
a broker (a link to a broker that registers a moment later simply waits for it).

Spec IDs: none (a reader of the registrations that REPL-11's elections rely on).

Simplified from Kafka: a Kafka broker takes the addresses of its peers from the controller's
UpdateMetadata requests (its ``MetadataCache``) and the controller reads the registrations
itself; glasskafka's runtime keeps one reader per process, so the driver never looks inside
the node it hosts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import assert_never

from glasskafka.controller.znodes import BROKER_IDS_PATH, ZnodeFormatError, decode_broker
from glasskafka.coordination import (
    ClientStep,
    CoordinationClient,
    GetChildrenResponse,
    GetDataResponse,
    KeeperErrorCode,
    RequestCompleted,
    SessionConnected,
    SessionDisconnected,
    SessionExpired,
    WatchTriggered,
)
from glasskafka.ids import BrokerId, Millis, NodeId
from glasskafka.node import Message, Node, Output
from glasskafka.runtime.clock import RuntimeClock
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.zk_wire import COORDINATION_PEER, coordination_links

__all__ = ["ADDRESS_BOOK_NODE", "AddressBook", "AddressBookService"]

ADDRESS_BOOK_NODE = NodeId("address-book")
_CHILDREN_CTX = "children"
_BROKER_CTX = "broker:"
_EXISTS_CTX = "exists"


class AddressBook(Node):
    """Keeps ``endpoints``: broker id -> (host, port), from the registration znodes."""

    def __init__(self, *, session_timeout_ms: int = 30000) -> None:
        self.node_id = ADDRESS_BOOK_NODE
        self.client = CoordinationClient(
            server=COORDINATION_PEER,
            session_timeout_ms=session_timeout_ms,
            timer_prefix="address-book:zk",
        )
        self.endpoints: dict[BrokerId, tuple[str, int]] = {}

    def on_start(self, now_ms: Millis) -> list[Output]:
        return list(self.client.connect(now_ms).outputs)

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        if sender != COORDINATION_PEER:
            return []
        return self._step(self.client.on_message(message, now_ms), now_ms)

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        if not self.client.owns_timer(name):
            return []
        return self._step(self.client.on_timer(name, now_ms), now_ms)

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        if peer != COORDINATION_PEER:
            return []
        return self._step(self.client.on_connection_lost(now_ms), now_ms)

    def _step(self, step: ClientStep, now_ms: Millis) -> list[Output]:
        """Carry the client's outputs and react to its events, which may send more."""
        outputs: list[Output] = list(step.outputs)
        for event in step.events:
            match event:
                case SessionConnected():
                    outputs += self._list(now_ms)
                case SessionExpired():
                    outputs += self.client.connect(now_ms).outputs
                case WatchTriggered(event=watched):
                    if watched.path == BROKER_IDS_PATH:
                        outputs += self._list(now_ms)
                    elif watched.path.startswith(BROKER_IDS_PATH + "/"):
                        outputs += self._read(watched.path.rsplit("/", 1)[1], now_ms)
                case RequestCompleted():
                    outputs += self._answer(event, now_ms)
                case SessionDisconnected():
                    pass  # the client reconnects by itself; the book keeps what it knows
                case _:
                    assert_never(event)
        return outputs

    def _list(self, now_ms: Millis) -> list[Output]:
        step = self.client.get_children(
            BROKER_IDS_PATH, watch=True, ctx=_CHILDREN_CTX, now_ms=now_ms
        )
        return self._step(step, now_ms)

    def _read(self, child: str, now_ms: Millis) -> list[Output]:
        path = f"{BROKER_IDS_PATH}/{child}"
        step = self.client.get_data(path, watch=True, ctx=_BROKER_CTX + child, now_ms=now_ms)
        return self._step(step, now_ms)

    def _answer(self, completed: RequestCompleted, now_ms: Millis) -> list[Output]:
        response = completed.response
        if completed.ctx == _CHILDREN_CTX and isinstance(response, GetChildrenResponse):
            if response.error is KeeperErrorCode.NONODE:
                # Not created yet: an exists watch fires when the first broker creates it.
                step = self.client.exists(
                    BROKER_IDS_PATH, watch=True, ctx=_EXISTS_CTX, now_ms=now_ms
                )
                return self._step(step, now_ms)
            children = sorted(c for c in response.children if c.isdigit())
            for gone in sorted(set(self.endpoints) - {BrokerId(int(c)) for c in children}):
                del self.endpoints[gone]
            return [output for child in children for output in self._read(child, now_ms)]
        if completed.ctx == _EXISTS_CTX and response.error is KeeperErrorCode.OK:
            return self._list(now_ms)  # created between the listing and the exists: list again
        if completed.ctx.startswith(_BROKER_CTX) and isinstance(response, GetDataResponse):
            child = completed.ctx.removeprefix(_BROKER_CTX)
            broker_id = BrokerId(int(child))
            if response.error is not KeeperErrorCode.OK:
                self.endpoints.pop(broker_id, None)
                return []
            try:
                registration = decode_broker(broker_id, response.data)
            except ZnodeFormatError:
                return []
            self.endpoints[broker_id] = (registration.host, registration.port)
        return []


class AddressBookService:
    """An :class:`AddressBook` on its own host and link, with an awaitable lookup."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        clock: RuntimeClock,
        coordination: tuple[str, int],
        log: logging.Logger,
    ) -> None:
        self.book = AddressBook()
        self.host = NodeHost(self.book, loop=loop, clock=clock, log=log)
        self.links = coordination_links(self.host, coordination, log=log)
        self.host.outboxes.append(self.links)
        self.changed = asyncio.Event()
        self.host.observers.append(self._changed)

    def _changed(self, peer: NodeId | None, failed: bool) -> None:
        self.changed.set()

    def start(self) -> None:
        self.host.start()

    async def resolve(self, peer: NodeId) -> tuple[str, int]:
        """The address of ``broker-<id>``, waiting until its registration has been read.

        Raises ``LookupError`` for a node id that is not a broker's; the caller bounds the wait.
        """
        number = peer.removeprefix("broker-")
        if not number.isdigit():
            raise LookupError(f"{peer} is not a broker")
        broker_id = BrokerId(int(number))
        while broker_id not in self.book.endpoints:
            self.changed.clear()
            await self.changed.wait()
        return self.book.endpoints[broker_id]

    def stop(self) -> None:
        self.host.stop()
        self.links.close()
