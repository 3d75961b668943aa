"""Kafka's protocol on an accepted connection: decode requests, answer in order.

Theory of operation
-------------------
A :class:`KafkaConversation` is one client connection to a broker (``client-<n>``, see
``inbound.py``).  For each whole frame (``socket.request.max.bytes`` already enforced by the
stream):

1. :func:`~glasskafka.protocol.wire.decode_request` reads the header and the body.  Then:

   * bad bytes (``MalformedFrameError``): nothing in the frame can be trusted, not even its
     correlation id, so the connection is **closed** and the reason logged, as Kafka does;
   * an API key or version the codec does not speak (``UnsupportedRequestError``): for
     ApiVersions -- kafka-python 3.x opens with v4, librdkafka with v3 -- the *runtime* answers
     UNSUPPORTED_VERSION with a v0 body listing what is served (KIP-511,
     :func:`~glasskafka.protocol.wire.api_versions_error_response`), and the client retries at
     a version both sides know; for anything else the connection is **closed**
     (``SocketServer.scala``, ``parseRequestHeader``; wire-protocol.md §2).

2. The request goes to the node as a :class:`~glasskafka.protocol.envelope.KafkaRequest` from
   ``client-<n>``, at the version the client chose.  ApiVersions at a served version (0-2) is
   the broker node's to answer, like every other API.

3. **Answers in request order** (wire-protocol.md §2).  Every request that expects an answer --
   all but an ``acks=0`` Produce -- takes a *slot* in a queue when it arrives.  The node's
   :class:`~glasskafka.protocol.envelope.KafkaResponse` (or the runtime's ApiVersions answer)
   fills the slot of its correlation id; filled slots at the head of the queue are written,
   whole frames only.  The broker already answers each peer in order (it mutes a peer behind a
   parked request), so the queue only ever waits when a request is parked, and it guarantees the
   order even where the runtime itself answers.

4. **A request that will never be answered** closes the connection.  After each input the
   conversation asks ``will_answer(peer)``: a broker that neither answered nor parked the request
   (nor is it held behind a parked one) has no handler for its API.  Kafka closes the connection
   for an API it does not serve; so does glasskafka, with a log line naming the API, rather than
   leave the client waiting for its request timeout.

An answer that cannot be encoded at the request's version is a bug in the node; the connection is
closed rather than sent half a frame.

Spec IDs: none (hostile-input tests in ``reference/tests/test_runtime_hostile.py``).

Simplified from Kafka: Kafka stops reading a connection while any of its requests is in
progress (``SocketServer`` mutes the channel); glasskafka stops reading only while a request of
the connection is parked in the broker, and otherwise reads ahead up to
:data:`MAX_PENDING_ANSWERS` owed answers.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from glasskafka.ids import NodeId
from glasskafka.node import Message
from glasskafka.protocol.apis import api_for
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.errors import CodecError, UnsupportedRequestError
from glasskafka.protocol.headers import ResponseHeader
from glasskafka.protocol.wire import (
    api_versions_error_response,
    decode_request,
    encode_response_frame,
)
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.streams import FramedProtocol

__all__ = ["MAX_PENDING_ANSWERS", "KafkaConversation"]

MAX_PENDING_ANSWERS = 64
"""Owed answers after which the connection stops reading until some are written."""


@dataclass(slots=True)
class _Slot:
    """One request that is owed an answer, and the answer's frame once it exists."""

    correlation_id: int
    api_name: str
    api_version: int
    frame: bytes | bytearray | None = None


class KafkaConversation:
    """One client connection to a broker, speaking Kafka's protocol."""

    def __init__(
        self,
        peer: NodeId,
        *,
        host: NodeHost,
        log: logging.Logger,
        max_request_bytes: int,
        will_answer: Callable[[NodeId], bool] | None = None,
    ) -> None:
        self.peer = peer
        self.host = host
        self.log = log
        self.max_request_bytes = max_request_bytes
        self.will_answer = will_answer
        self.slots: deque[_Slot] = deque()
        self.stream: FramedProtocol | None = None

    def on_open(self, stream: FramedProtocol) -> None:
        self.stream = stream

    def on_frame(self, stream: FramedProtocol, frame: bytes) -> None:
        """Decode one request and hand it to the node (or answer or close, see above)."""
        try:
            header, body = decode_request(frame, max_bytes=self.max_request_bytes)
        except UnsupportedRequestError as error:
            if error.answerable:
                self.log.debug("%s: %s; answering UNSUPPORTED_VERSION (KIP-511)", self.peer, error)
                self.slots.append(
                    _Slot(
                        correlation_id=error.header.correlation_id,
                        api_name="ApiVersions",
                        api_version=0,
                        frame=api_versions_error_response(error.header),
                    )
                )
                self._flush()
            else:
                stream.close(f"unsupported request: {error}")
            return
        except CodecError as error:
            stream.close(f"malformed request: {error}")
            return
        request = KafkaRequest(
            correlation_id=header.correlation_id,
            client_id=header.client_id or "",
            api_version=header.api_version,
            body=body,
        )
        self._deliver(stream, request)

    def _deliver(self, stream: FramedProtocol, request: KafkaRequest) -> None:
        name = api_for(request.body).name
        self.log.debug(
            "%s %s v%d #%d from %r", self.peer, name, request.api_version,
            request.correlation_id, request.client_id,
        )  # fmt: skip
        slot = None
        if request.expects_response:
            slot = _Slot(
                correlation_id=request.correlation_id,
                api_name=name,
                api_version=request.api_version,
            )
            self.slots.append(slot)
        if not self.host.deliver(self.peer, request):
            stream.close(f"the node failed on {name} #{request.correlation_id}; see above")
            return
        if (
            slot is not None
            and slot.frame is None
            and self.will_answer is not None
            and not self.will_answer(self.peer)
        ):
            stream.close(
                f"{name} v{request.api_version} (correlation id {request.correlation_id}) "
                "will not be answered: the broker does not serve this API yet"
            )

    def respond(self, message: Message) -> None:
        """Fill the slot the node's answer belongs to, and write what is ready, in order."""
        if not isinstance(message, KafkaResponse):
            self.log.error("%s is not an answer; not sent to %s", type(message).__name__, self.peer)
            return
        slot = next(
            (
                s
                for s in self.slots
                if s.frame is None and s.correlation_id == message.correlation_id
            ),
            None,
        )
        if slot is None:
            self.log.warning(
                "answer #%d to %s matches no request; dropped", message.correlation_id, self.peer
            )
            return
        try:
            # Built in place (a bytearray): a Fetch answer's records are copied once, not three
            # times; see ``encode_response_frame``.
            slot.frame = encode_response_frame(
                ResponseHeader(correlation_id=message.correlation_id),
                message.body,
                slot.api_version,
            )
        except CodecError as error:
            if self.stream is not None:
                self.stream.close(f"cannot encode {slot.api_name} v{slot.api_version}: {error}")
            return
        self._flush()

    def _flush(self) -> None:
        while self.slots and self.slots[0].frame is not None:
            slot = self.slots.popleft()
            if self.stream is not None and slot.frame is not None:
                self.stream.write_frame(slot.frame)
        if self.stream is not None:
            self.stream.update_reading()

    def wants_more(self, stream: FramedProtocol) -> bool:
        """Read on unless 64 answers are owed or the broker holds a parked request of ours.

        Kafka mutes a connection while one of its requests is in progress (``SocketServer``).
        A parked request here (an acks=all produce, a long-poll fetch) holds back everything the
        client sent after it; reading on would only move those requests -- a megabyte each for
        a producer -- from the socket into the broker's memory.  The answer that unparks it
        resumes reading (``_flush``).
        """
        parked = self.will_answer is not None and self.will_answer(self.peer)
        return len(self.slots) < MAX_PENDING_ANSWERS and not parked

    def on_closed(self, stream: FramedProtocol, reason: str) -> None:
        self.slots.clear()
