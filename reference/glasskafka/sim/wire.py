"""The wire option: every simulated message crosses the network as bytes, as on a real socket.

Theory of operation
-------------------
Nodes exchange message dataclasses, in the simulator as in the runtime (DESIGN §3).  The runtime
turns each into bytes and back; the simulator need not.  That leaves a gap a bug can hide in: a
field the codec drops at the version in use, a value it cannot encode (a 33-bit number in an
``int32``), a message type it does not know.  With the **wire option** on, the simulator closes
the gap: each message is encoded and decoded again just before it is delivered, and the node gets
the decoded copy -- exactly what the runtime would hand it.

:class:`WireRoundTrip` does one message:

* a :class:`~glasskafka.protocol.envelope.KafkaRequest` travels as the runtime's
  ``KafkaLinkCodec`` sends it -- request header v1 and the body at the envelope's
  ``api_version`` (the highest version served when it says -1) -- and is read back with the
  broker's :func:`~glasskafka.protocol.wire.decode_request`;
* a :class:`~glasskafka.protocol.envelope.KafkaResponse` travels as a broker answers -- response
  header v0, the body at the request's version -- and is read back with the client's
  :func:`~glasskafka.protocol.wire.decode_response`;
* anything else goes to the ``codecs`` the caller gives, each a function that round-trips the
  messages it knows and returns None for others.  The coordination service's frames live in
  ``glasskafka.runtime.zk_codec``, above this layer, so the test layer passes that codec in.

A message that no codec can carry, or whose bytes do not decode, raises :class:`WireCodecError`
naming the message: a test failure, never a silent drop.  With ``exact=True`` a message whose
decoded copy differs from the original fails too, naming the fields that changed (a field the
chosen version cannot carry, which the simulation would otherwise rely on unseen).

How a simulator gets the option: ``Simulator(..., wire=WireRoundTrip(...))`` for one simulation,
or :func:`use_wire_by_default` for every simulation built afterwards in this process, which is
how ``model_tests/conftest.py`` runs the whole model suite through the codec when
``GLASSKAFKA_SIM_WIRE=1`` is set.

Spec IDs: none (a driver option; the nodes' specs are checked as ever).

Simplified from Kafka: Kafka's own tests run brokers on real sockets; glasskafka's simulator
models the bytes without the sockets, so framing (partial reads, size prefixes) is tested by the
runtime's tests instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from glasskafka.node import Message
from glasskafka.protocol.apis import api_for
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.errors import CodecError
from glasskafka.protocol.headers import RequestHeader, ResponseHeader
from glasskafka.protocol.wire import (
    MAX_RESPONSE_BYTES,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)

__all__ = [
    "MessageCodec",
    "WireCodecError",
    "WireRoundTrip",
    "default_wire",
    "use_wire_by_default",
]

MessageCodec = Callable[[Message], Message | None]
"""Round-trips a message it carries through bytes; None for a message it does not carry."""


class WireCodecError(AssertionError):
    """A message the wire codec cannot carry: the simulation is wrong somewhere, so it stops.

    An ``AssertionError``, like every broken promise the simulator finds (SIM-n), so Hypothesis
    shrinks it and reports the program that led to it.
    """


class WireRoundTrip:
    """Encodes and decodes one message as the runtime would (see the module docstring)."""

    def __init__(self, codecs: Sequence[MessageCodec] = (), *, exact: bool = False) -> None:
        self.codecs = tuple(codecs)
        self.exact = exact
        self.carried = 0

    def __call__(self, message: Message) -> Message:
        """The decoded copy of ``message``; raises :class:`WireCodecError` if it cannot travel."""
        try:
            decoded = self._round_trip(message)
        except (CodecError, ValueError, KeyError) as error:
            shown = _shown(message)
            raise WireCodecError(f"the wire codec cannot carry {shown}: {error}") from None
        if decoded is None:
            raise WireCodecError(f"no wire codec carries {_shown(message)}")
        if self.exact and decoded != message:
            raise WireCodecError(
                f"{_shown(message)} changed on the wire: {_differences(message, decoded)}"
            )
        self.carried += 1
        return decoded

    def _round_trip(self, message: Message) -> Message | None:
        if isinstance(message, KafkaRequest):
            return _request_round_trip(message)
        if isinstance(message, KafkaResponse):
            return _response_round_trip(message)
        for codec in self.codecs:
            decoded = codec(message)
            if decoded is not None:
                return decoded
        return None


def _version(body: Message, version: int) -> int:
    """The envelope's version, or the highest served when it says -1 (``KafkaLinkCodec``)."""
    if version >= 0:
        return version
    highest = api_for(body).served.highest
    return highest if highest is not None else 0


def _request_round_trip(message: KafkaRequest) -> KafkaRequest:
    api = api_for(message.body)
    version = _version(message.body, message.api_version)
    header = RequestHeader(
        api_key=int(api.key),
        api_version=version,
        correlation_id=message.correlation_id,
        client_id=message.client_id,
    )
    frame = encode_request(header, message.body)
    decoded_header, body = decode_request(frame, max_bytes=MAX_RESPONSE_BYTES)
    return KafkaRequest(
        correlation_id=decoded_header.correlation_id,
        client_id=decoded_header.client_id or "",
        api_version=message.api_version,
        body=body,
    )


def _response_round_trip(message: KafkaResponse) -> KafkaResponse:
    api = api_for(message.body)
    version = _version(message.body, message.api_version)
    frame = encode_response(
        ResponseHeader(correlation_id=message.correlation_id), message.body, version
    )
    header, body = decode_response(frame, api_key=int(api.key), api_version=version)
    return KafkaResponse(
        correlation_id=header.correlation_id, api_version=message.api_version, body=body
    )


def _shown(message: Message) -> str:
    """The message's kind (and body's kind), with a short repr to find it in a trace."""
    kind = type(message).__name__
    body = getattr(message, "body", None)
    if body is not None:
        kind = f"{kind}({type(body).__name__})"
    text = repr(message)
    return f"{kind} {text if len(text) <= 300 else text[:297] + '...'}"


def _differences(before: object, after: object, path: str = "") -> str:
    """The first few fields that differ between two dataclass trees, as ``a.b[2].c: x -> y``."""
    found: list[str] = []
    _diff(before, after, path or "message", found)
    return "; ".join(found[:5])


def _diff(before: object, after: object, path: str, found: list[str]) -> None:
    if before == after or len(found) >= 5:
        return
    if dataclasses.is_dataclass(before) and type(before) is type(after):
        for spec in dataclasses.fields(before):
            name = spec.name
            _diff(getattr(before, name), getattr(after, name), f"{path}.{name}", found)
        return
    if isinstance(before, tuple) and isinstance(after, tuple) and len(before) == len(after):
        for index, (a, b) in enumerate(zip(before, after, strict=True)):
            _diff(a, b, f"{path}[{index}]", found)
        return
    found.append(f"{path}: {before!r:.60} -> {after!r:.60}")


_DEFAULT: list[WireRoundTrip | None] = [None]


def use_wire_by_default(wire: WireRoundTrip | None) -> None:
    """Give every simulator built from now on in this process this wire option (None: off).

    For test configuration (``model_tests/conftest.py``); a simulation given ``wire=``
    explicitly keeps its own.
    """
    _DEFAULT[0] = wire


def default_wire() -> WireRoundTrip | None:
    """The wire option simulators get when none is given."""
    return _DEFAULT[0]
