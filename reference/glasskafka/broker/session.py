"""The broker's coordination session: one ZooKeeper session shared by the broker and its role.

Theory of operation
-------------------
A ZooKeeper-era broker has exactly one ZooKeeper session (Kafka's ``KafkaZkClient``), and both
the broker and the controller it hosts use it.  That is what makes ``/brokers/ids/<id>`` and
``/controller`` die together when the broker is cut off.  The session's client library is
``glasskafka.coordination.client``; this module holds the two small pieces of glue the broker
node needs around it:

* :func:`submit` sends a request built elsewhere (by the controller role or by ``isr.py``, which
  cannot know the client's next ``xid``) through the client's helper for its kind, so the
  client numbers it and matches its answer, as ZooKeeper's client library does;
* :func:`is_coordination_message` tells the service's messages from Kafka's.

The coordination service is the node ``zk`` (:data:`COORDINATION_NODE_ID`).

Spec IDs: none directly (COORD-7, the service answering in order, is what the ``ctx`` of every
answer relies on).

Simplified from Kafka: Kafka's ``ZooKeeperClient`` pipelines requests from several threads and
re-creates the session with exponential backoff; here one input at a time uses one client.
"""

from __future__ import annotations

from typing import assert_never

from glasskafka.controller.role import CoordinationRequest
from glasskafka.coordination import (
    ClientStep,
    CloseSessionRequest,
    CloseSessionResponse,
    ConnectResponse,
    CoordinationClient,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DeleteResponse,
    ExistsRequest,
    ExistsResponse,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    PingRequest,
    PingResponse,
    SetDataRequest,
    SetDataResponse,
    WatchEvent,
)
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message

__all__ = ["COORDINATION_NODE_ID", "is_coordination_message", "submit"]

COORDINATION_NODE_ID = NodeId("zk")
"""The coordination service's node id in every glasskafka cluster."""

_FROM_SERVICE = (
    ConnectResponse,
    PingResponse,
    CreateResponse,
    DeleteResponse,
    ExistsResponse,
    GetDataResponse,
    SetDataResponse,
    GetChildrenResponse,
    CloseSessionResponse,
    WatchEvent,
)


def is_coordination_message(sender: NodeId, message: Message) -> bool:
    """Whether ``message`` is the coordination service's, for the session's client."""
    return sender == COORDINATION_NODE_ID and isinstance(message, _FROM_SERVICE)


def submit(
    client: CoordinationClient, coordination: CoordinationRequest, *, now_ms: Millis
) -> ClientStep:
    """Send ``coordination.request`` through ``client`` with the client's own next xid.

    A ping is the client's business and is dropped.
    """
    ctx = coordination.ctx
    match coordination.request:
        case CreateRequest(path=path, data=data, ephemeral=ephemeral, sequential=sequential):
            return client.create(
                path, data, ephemeral=ephemeral, sequential=sequential, ctx=ctx, now_ms=now_ms
            )
        case DeleteRequest(path=path, version=version):
            return client.delete(path, version=version, ctx=ctx, now_ms=now_ms)
        case ExistsRequest(path=path, watch=watch):
            return client.exists(path, watch=watch, ctx=ctx, now_ms=now_ms)
        case GetDataRequest(path=path, watch=watch):
            return client.get_data(path, watch=watch, ctx=ctx, now_ms=now_ms)
        case SetDataRequest(path=path, data=data, version=version):
            return client.set_data(path, data, version=version, ctx=ctx, now_ms=now_ms)
        case GetChildrenRequest(path=path, watch=watch):
            return client.get_children(path, watch=watch, ctx=ctx, now_ms=now_ms)
        case CloseSessionRequest():
            return client.close(ctx=ctx, now_ms=now_ms)
        case PingRequest():
            return ClientStep()
        case _:
            assert_never(coordination.request)
