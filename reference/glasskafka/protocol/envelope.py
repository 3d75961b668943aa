"""Envelopes: a request or response body together with its header, as nodes exchange them.

Theory of operation
-------------------
On the wire every Kafka request carries a header (``api_key``, ``api_version``,
``correlation_id``, ``client_id``) and every response repeats the ``correlation_id``
(``headers.py``).  Between glasskafka's nodes, in the simulator as on sockets, a request travels
as a :class:`KafkaRequest` envelope around the body dataclass (``ProduceRequest``...) and its
answer as a :class:`KafkaResponse`.  So:

* a client matches an answer to its question by ``correlation_id`` (and, because a broker answers
  each connection's requests in order, also by position, as Kafka's clients do);
* the simulator's codec option can encode every message exactly as the runtime would, because the
  envelope knows the version;
* a trace shows ``#7 ProduceRequest`` and ``#7 ProduceResponse`` and reads as a conversation.

The ``api_key`` is not stored: it follows from the body's class
(:func:`~glasskafka.protocol.apis.api_for`).  ``api_version`` defaults to the highest version
glasskafka serves for that API, which is what two glasskafka nodes would negotiate with each
other through ApiVersions.

Spec IDs: none.

Simplified from Kafka: Kafka's brokers talk to each other over separate connections for the
controller, the replica fetchers and clients; glasskafka's network has one connection per ordered
pair of nodes, so these share it (and its ordering).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.node import Message
from glasskafka.protocol.apis import api_for, expects_response, is_request

__all__ = ["KafkaRequest", "KafkaResponse", "answer", "request"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KafkaRequest(Message):
    """A request body with its header fields."""

    correlation_id: int
    client_id: str = ""
    api_version: int = -1
    body: Message = field(default_factory=Message)

    @property
    def expects_response(self) -> bool:
        """False only for Produce with ``acks=0`` (``reference/wire-protocol.md`` §2)."""
        return expects_response(self.body)


@dataclass(frozen=True, slots=True, kw_only=True)
class KafkaResponse(Message):
    """A response body with the correlation id (and version) of the request it answers."""

    correlation_id: int
    api_version: int = -1
    body: Message = field(default_factory=Message)


def _served_max(body: Message) -> int:
    highest = api_for(body).served.highest
    assert highest is not None, f"{type(body).__name__} has an open version range"
    return highest


def request(
    body: Message, *, correlation_id: int, client_id: str = "", api_version: int = -1
) -> KafkaRequest:
    """Wrap request ``body``; ``api_version=-1`` picks the highest version glasskafka serves.

    Raises ``KeyError`` if ``body`` is not a request of any API, ``ValueError`` if it is a response.
    """
    if not is_request(body):
        raise ValueError(f"{type(body).__name__} is a response, not a request")
    version = api_version if api_version >= 0 else _served_max(body)
    return KafkaRequest(
        correlation_id=correlation_id, client_id=client_id, api_version=version, body=body
    )


def answer(to: KafkaRequest, body: Message) -> KafkaResponse:
    """The response envelope for request ``to``, at the same version.

    Raises ``ValueError`` if ``body`` is not a response of the same API as the request.
    """
    if is_request(body) or api_for(body).key != api_for(to.body).key:
        raise ValueError(f"{type(body).__name__} does not answer {type(to.body).__name__}")
    return KafkaResponse(correlation_id=to.correlation_id, api_version=to.api_version, body=body)
