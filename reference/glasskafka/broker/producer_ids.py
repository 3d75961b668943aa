"""Producer ids: how every broker hands out cluster-unique ids to InitProducerId (KIP-98).

Theory of operation
-------------------
An idempotent producer asks any broker for a **producer id** (PID) before its first Produce.
The ids must be unique across the cluster and across restarts, yet a broker should not ask the
coordination service for each one.  So, as Kafka's ZooKeeper-era ``ZkProducerIdManager`` does,
each broker reserves a **block** of :data:`PRODUCER_ID_BLOCK_SIZE` (1000) consecutive ids at a
time in the znode ``/latest_producer_id_block`` and hands them out from memory:

1. read the znode (data and version); absent or empty means no block was ever reserved, and
   the first block is ``[0, 999]``; otherwise the next block starts after the stored
   ``block_end``;
2. write the new block with a **compare-and-set** on the version read (``setData`` with that
   version; ``create`` if the znode is absent).  If another broker reserved a block in between,
   the write fails (BADVERSION or NODEEXISTS) and the broker reads again;
3. once the write is confirmed, the block is this broker's alone; waiting InitProducerId
   requests are answered from it.

The znode holds Kafka's JSON, the bounds as decimal strings, both inclusive
(``ProducerIdBlockZNode``)::

    {"version":1,"broker":2,"block_start":"1000","block_end":"1999"}

A write whose outcome was lost with the connection is simply forgotten: the broker reads again
and reserves the block after whatever is stored.  At worst a block is wasted, never shared,
which is the property that matters (a PID handed out twice would let one producer's batches be
taken for another's retries).  Ids left in a block when a broker restarts are wasted too.

Every idempotent producer gets epoch 0: the epoch only rises for transactional producers, which
glasskafka does not serve yet, so a request with a ``transactional_id`` is refused with
INVALID_REQUEST.

Spec IDs: none directly; IDEM-1 relies on producer ids being unique.

Simplified from Kafka: Kafka 3.x brokers in KRaft mode ask the controller for blocks
(AllocateProducerIds, KIP-730); transactional ids go to the transaction coordinator, which keeps
one PID per ``transactional.id`` and bumps its epoch to fence zombies.  Kafka creates the znode
empty at start-up (``createTopLevelPaths``); glasskafka creates it with the first block.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from glasskafka.controller.role import CoordinationRequest
from glasskafka.coordination import (
    CreateRequest,
    GetDataRequest,
    GetDataResponse,
    KeeperErrorCode,
    RequestCompleted,
    SetDataRequest,
)
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, NodeId
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)

__all__ = [
    "PRODUCER_ID_BLOCK_PATH",
    "PRODUCER_ID_BLOCK_SIZE",
    "PRODUCER_ID_CTX_PREFIX",
    "ProducerIdBlock",
    "ProducerIdManager",
    "decode_block",
    "encode_block",
]

PRODUCER_ID_BLOCK_PATH = "/latest_producer_id_block"
PRODUCER_ID_BLOCK_SIZE = 1000
"""Ids reserved at a time (Kafka's ``ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE``)."""

PRODUCER_ID_CTX_PREFIX = "broker:producer-id:"
_READ_CTX = PRODUCER_ID_CTX_PREFIX + "read"
_WRITE_CTX = PRODUCER_ID_CTX_PREFIX + "write"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerIdBlock:
    """Ids ``block_start`` .. ``block_end`` (both inclusive), reserved by ``broker``."""

    broker: int
    block_start: int
    block_end: int


def encode_block(block: ProducerIdBlock) -> bytes:
    """The znode data of ``block``, in Kafka's JSON (bounds as strings)."""
    return json.dumps(
        {
            "version": 1,
            "broker": block.broker,
            "block_start": str(block.block_start),
            "block_end": str(block.block_end),
        },
        separators=(",", ":"),
    ).encode()


def decode_block(data: bytes) -> ProducerIdBlock | None:
    """The block stored in the znode, or None if it is empty or not a block.

    Bounds may be strings (Kafka) or numbers.  Anything else -- bad JSON, missing fields,
    negative or reversed bounds -- is None, and the caller refuses to guess: it does not
    allocate over data it cannot read.
    """
    try:
        stored = json.loads(data.decode())
        block = ProducerIdBlock(
            broker=int(stored["broker"]),
            block_start=int(stored["block_start"]),
            block_end=int(stored["block_end"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return None
    if block.block_start < 0 or block.block_end < block.block_start:
        return None
    return block


@dataclass(slots=True, kw_only=True)
class ProducerIdManager:
    """This broker's current block and the InitProducerId requests waiting for one.

    ``next_producer_id`` is the next id to hand out; the block is used up when it passes
    ``block.block_end``.  ``waiting`` holds (peer, request) in arrival order.
    """

    broker_id: BrokerId
    block: ProducerIdBlock | None = None
    next_producer_id: int = 0
    waiting: list[tuple[NodeId, KafkaRequest]] = field(default_factory=list)
    in_flight: bool = False
    unreadable: bool = False

    def _has_id(self) -> bool:
        return self.block is not None and self.next_producer_id <= self.block.block_end

    def on_request(
        self, sender: NodeId, request: KafkaRequest
    ) -> tuple[InitProducerIdResponse | None, list[CoordinationRequest]]:
        """Answer an InitProducerId now, or keep it until a block is reserved.

        Returns the answer (None: it waits; the caller mutes the peer) and the coordination
        requests to submit.  Invariants: none (ids are unique by construction).
        """
        body = request.body
        assert isinstance(body, InitProducerIdRequest)
        if body.transactional_id is not None:
            # Transactions are a later chapter: no transaction coordinator is hosted here.
            return _refused(ErrorCode.INVALID_REQUEST), []
        if self.unreadable:
            return _refused(ErrorCode.UNKNOWN_SERVER_ERROR), []
        if self._has_id():
            return self._take(), []
        self.waiting.append((sender, request))
        return None, self._maybe_read()

    def _take(self) -> InitProducerIdResponse:
        producer_id = self.next_producer_id
        self.next_producer_id += 1
        return InitProducerIdResponse(
            error_code=int(ErrorCode.NONE), producer_id=producer_id, producer_epoch=0
        )

    def _maybe_read(self) -> list[CoordinationRequest]:
        if self.in_flight:
            return []
        self.in_flight = True
        return [
            CoordinationRequest(
                request=GetDataRequest(xid=0, path=PRODUCER_ID_BLOCK_PATH), ctx=_READ_CTX
            )
        ]

    @staticmethod
    def owns(ctx: str) -> bool:
        return ctx.startswith(PRODUCER_ID_CTX_PREFIX)

    def on_answer(
        self, completed: RequestCompleted
    ) -> tuple[
        list[tuple[NodeId, KafkaRequest, InitProducerIdResponse]], list[CoordinationRequest]
    ]:
        """Handle the coordination service's answer; return the answers now possible and what
        to submit next (read again after a lost race or a lost connection)."""
        self.in_flight = False
        if completed.ctx == _READ_CTX and isinstance(completed.response, GetDataResponse):
            submit = self._on_read(completed.error, completed.response)
            return (self.failed_waiting() if self.unreadable else []), submit
        if completed.ctx.startswith(_WRITE_CTX) and completed.error is KeeperErrorCode.OK:
            start, _, end = completed.ctx.removeprefix(_WRITE_CTX + ":").partition("-")
            self.block = ProducerIdBlock(
                broker=self.broker_id, block_start=int(start), block_end=int(end)
            )
            self.next_producer_id = int(start)
            return self._serve_waiting(), self._maybe_read() if self.waiting else []
        # A lost race (BADVERSION, NODEEXISTS) or a lost connection: read again.  A write
        # whose answer was lost may have landed; then its block is skipped, never shared.
        return [], self._maybe_read() if self.waiting else []

    def _on_read(
        self, error: KeeperErrorCode, response: GetDataResponse
    ) -> list[CoordinationRequest]:
        if error is KeeperErrorCode.NONODE or (error is KeeperErrorCode.OK and not response.data):
            return self._write(0, version=None if error is KeeperErrorCode.NONODE else 0)
        if error is not KeeperErrorCode.OK or response.stat is None:
            return self._maybe_read()
        stored = decode_block(response.data)
        if stored is None:
            # Unreadable data: allocating over it could repeat ids.  Kafka fails the request
            # (ProducerIdBlockZNode.parseProducerIdBlockData throws); so does glasskafka.
            self.unreadable = True
            return []
        return self._write(stored.block_end + 1, version=response.stat.version)

    def _write(self, start: int, *, version: int | None) -> list[CoordinationRequest]:
        block = ProducerIdBlock(
            broker=self.broker_id, block_start=start, block_end=start + PRODUCER_ID_BLOCK_SIZE - 1
        )
        ctx = f"{_WRITE_CTX}:{block.block_start}-{block.block_end}"
        data = encode_block(block)
        self.in_flight = True
        if version is None:
            create = CreateRequest(xid=0, path=PRODUCER_ID_BLOCK_PATH, data=data)
            return [CoordinationRequest(request=create, ctx=ctx)]
        conditional = SetDataRequest(xid=0, path=PRODUCER_ID_BLOCK_PATH, data=data, version=version)
        return [CoordinationRequest(request=conditional, ctx=ctx)]

    def _serve_waiting(self) -> list[tuple[NodeId, KafkaRequest, InitProducerIdResponse]]:
        served = []
        while self.waiting and self._has_id():
            sender, request = self.waiting.pop(0)
            served.append((sender, request, self._take()))
        return served

    def failed_waiting(self) -> list[tuple[NodeId, KafkaRequest, InitProducerIdResponse]]:
        """Answer every waiting request with an error (the znode's data cannot be read)."""
        failed = [(s, r, _refused(ErrorCode.UNKNOWN_SERVER_ERROR)) for s, r in self.waiting]
        self.waiting.clear()
        return failed

    def forget(self, peer: NodeId) -> None:
        """The connection to ``peer`` broke: its waiting requests can no longer be answered."""
        self.waiting = [(s, r) for s, r in self.waiting if s != peer]


def _refused(code: ErrorCode) -> InitProducerIdResponse:
    return InitProducerIdResponse(error_code=int(code), producer_id=-1, producer_epoch=-1)
