"""Request and response headers: what comes between a frame's size and its body.

Theory of operation
-------------------
Every request starts with a header that says which API it is, at which version, and a
correlation id that the response repeats, so a client can match answers to questions
(Kafka's protocol guide, "Request Header"; ``reference/wire-protocol.md`` §2)::

    request header v1   api_key int16 | api_version int16 | correlation_id int32 | client_id
                        (nullable string, int16 length)
    request header v2   v1, then a tagged-field section (unsigned varint count, then fields)
    response header v0  correlation_id int32

Header v2 goes with *flexible* request versions (KIP-482).  Its ``client_id`` keeps the int16
length of v1 rather than the compact form, so that any broker can read the header of any
ApiVersions request, even one from a newer client (``RequestHeader.json``, KIP-511).  That is
why a server reads ``api_key`` and ``api_version`` first, and only then knows which header
version follows: :func:`request_header_version` makes that choice from the API's first flexible
version.

The response header has a v1 (with tagged fields) for flexible responses only, and ApiVersions
always answers with v0 whatever its version (KIP-511), so the client can read the answer before
it knows what the broker speaks.  glasskafka serves only non-flexible versions, so it writes
response header v0 everywhere.

Spec IDs: none.

Simplified from Kafka: request header v0 (no client id, used only by ControlledShutdown v0) and
response header v1 are not implemented; the tagged fields of a v2 request header are skipped,
not interpreted (Kafka defines none for requests either).
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.protocol.primitives import Reader, Writer

__all__ = [
    "RequestHeader",
    "ResponseHeader",
    "read_request_header",
    "read_response_header",
    "request_header_version",
    "write_request_header",
    "write_response_header",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestHeader:
    """The header of one request.  ``client_id`` may be null on the wire (Kafka reads it as "")."""

    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseHeader:
    """The header of one response: the correlation id of the request it answers."""

    correlation_id: int


def request_header_version(api_version: int, flexible_from: int | None) -> int:
    """2 if ``api_version`` is flexible (at or after ``flexible_from``), else 1."""
    return 2 if flexible_from is not None and api_version >= flexible_from else 1


def write_request_header(writer: Writer, header: RequestHeader, *, header_version: int) -> None:
    """Append ``header`` as request header v1, or v2 with an empty tagged-field section."""
    if header_version not in (1, 2):
        raise ValueError(f"request header version must be 1 or 2, got {header_version}")
    writer.write_int("int16", header.api_key)
    writer.write_int("int16", header.api_version)
    writer.write_int("int32", header.correlation_id)
    writer.write_string(header.client_id, nullable=True)
    if header_version == 2:
        writer.write_unsigned_varint(0)  # no tagged fields


def read_request_header(reader: Reader, *, flexible_from: int | None) -> RequestHeader:
    """Read a request header; its version follows from ``api_version`` and ``flexible_from``.

    Pass ``flexible_from=None`` when the API is unknown: then only the v1 fields are read, which
    is all a server needs to log the request and close the connection.
    Raises :class:`~glasskafka.protocol.errors.MalformedFrameError` if the bytes are too few.
    """
    api_key = reader.read_int("int16")
    api_version = reader.read_int("int16")
    correlation_id = reader.read_int("int32")
    client_id = reader.read_string(nullable=True)
    if request_header_version(api_version, flexible_from) == 2:
        reader.skip_tagged_fields()
    return RequestHeader(
        api_key=api_key,
        api_version=api_version,
        correlation_id=correlation_id,
        client_id=client_id,
    )


def write_response_header(writer: Writer, header: ResponseHeader) -> None:
    """Append ``header`` as response header v0."""
    writer.write_int("int32", header.correlation_id)


def read_response_header(reader: Reader) -> ResponseHeader:
    """Read a response header v0."""
    return ResponseHeader(correlation_id=reader.read_int("int32"))
