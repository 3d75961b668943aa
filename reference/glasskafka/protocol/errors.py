"""The exceptions of the wire codec, and what a server does about each.

Theory of operation
-------------------
The codec turns bytes into messages and back.  When that fails, the caller must know *how* it
failed, because Kafka reacts differently (``reference/wire-protocol.md`` §2-3):

* :class:`MalformedFrameError` -- the bytes are not a well-formed frame: a size prefix out of
  range, input cut short, a negative length other than -1, a length pointing past the frame, text
  that is not UTF-8, bytes left over.  Nothing in them can be trusted, not even the correlation
  id, so a server **closes the connection** and logs the reason.
* :class:`UnsupportedRequestError` -- the request header was read, but it names an API key or
  version this codec does not serve.  For ApiVersions the server **answers** UNSUPPORTED_VERSION
  (35) with a v0 body listing what it does serve (KIP-511), so the client can retry at a version
  both sides know; for every other API Kafka **closes the connection** (``SocketServer.scala``
  ``parseRequestHeader``).  :attr:`UnsupportedRequestError.answerable` says which.
* :class:`UnsupportedVersionError` -- *encoding* a message at a version that cannot carry one of
  its field values (a non-default value in a field the version lacks, or a null where the version
  allows none).  Kafka's generated code throws ``UnsupportedVersionException`` in the same place.
  It is a bug in whoever chose the version or built the message, never the peer's fault.
* :class:`EncodeError` -- a value that fits no version: an ``int16`` of 40000, a ``str`` where
  bytes belong, a list where a tuple belongs.

All four derive from :class:`CodecError` (a ``ValueError``), and no other exception type leaves
the codec, whatever the input: the hostile-input tests check exactly that.

Spec IDs: none (a pure codec, tested by round-trips, cross-checks against kafka-python and
hostile input in ``reference/tests/test_protocol_*.py``).

Simplified from Kafka: Kafka wraps every parse failure of a request body in one
``InvalidRequestException`` and closes the connection; glasskafka does the same, but keeps the
reason as a distinct exception type so tests and logs can tell the cases apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glasskafka.protocol.headers import RequestHeader

__all__ = [
    "CodecError",
    "EncodeError",
    "MalformedFrameError",
    "UnsupportedRequestError",
    "UnsupportedVersionError",
]


class CodecError(ValueError):
    """Base class of every exception raised by ``glasskafka.protocol``."""


class MalformedFrameError(CodecError):
    """Bytes that are not a well-formed Kafka frame.  A server closes the connection."""


class EncodeError(CodecError):
    """A field value that no version can encode (wrong Python type, out of range, too long)."""


class UnsupportedVersionError(CodecError):
    """A message holds a value that the chosen version cannot carry (Kafka's exception name)."""


class UnsupportedRequestError(CodecError):
    """A readable request header names an API key or version that this codec does not serve.

    ``header`` is what was read (its ``correlation_id`` is what an answer must carry).
    ``answerable`` is true only for ApiVersions: answer UNSUPPORTED_VERSION with a v0 body
    (KIP-511).  For any other API the server closes the connection, as Kafka does.
    """

    def __init__(self, header: RequestHeader, reason: str, *, answerable: bool) -> None:
        self.header = header
        self.answerable = answerable
        super().__init__(reason)
