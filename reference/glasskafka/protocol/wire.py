"""The wire codec's front door: whole frames in, (header, message) out, and back.

Theory of operation
-------------------
A server's read path, as Kafka's ``SocketServer`` and ``RequestContext`` do it
(``reference/wire-protocol.md`` §2-3), is :func:`decode_request`:

1. Check the frame: a size prefix that matches the bytes and lies between the smallest request
   header and ``socket.request.max.bytes`` (``framing.py``).
2. Read ``api_key`` and ``api_version`` first; they decide the header version (v2 for flexible
   versions), then read the rest of the header.
3. Unknown key, or a version outside the API's ``versions``: raise
   :class:`~glasskafka.protocol.errors.UnsupportedRequestError` carrying the header.  For
   ApiVersions it is *answerable*: send :func:`api_versions_error_response` (error 35, header v0,
   a v0 body listing what is served; KIP-511).  For anything else, close the connection.
4. Decode the body at that version and insist that it ends exactly at the frame's end.
5. Kafka treats a null ``client_id`` as empty (``RequestHeader.java``); so does this.

Any malformation raises :class:`~glasskafka.protocol.errors.MalformedFrameError`: close the
connection and log the message.  Nothing else escapes, whatever the bytes.

The write path is :func:`encode_response` (response header v0, the body at the request's
version, the size prefix), and for a client :func:`encode_request` and :func:`decode_response`.
Remember :func:`~glasskafka.protocol.apis.expects_response`: a Produce with ``acks=0`` gets no
answer at all.

Spec IDs: none (round-trip, cross-check and hostile-input tests in
``reference/tests/test_protocol_*.py``).

Simplified from Kafka: Kafka ignores bytes left after a request body (``AbstractRequest``);
glasskafka refuses them, because they always mean that the two sides disagree on the schema, and
its own tests against kafka-python then catch the disagreement.
"""

from __future__ import annotations

import dataclasses

from glasskafka.errors import ErrorCode
from glasskafka.node import Message
from glasskafka.protocol.apis import (
    Api,
    ApiKey,
    advertised_api_versions,
    api_for,
    find_api,
    is_request,
)
from glasskafka.protocol.codec import decode_struct, encode_struct
from glasskafka.protocol.errors import (
    EncodeError,
    MalformedFrameError,
    UnsupportedRequestError,
    UnsupportedVersionError,
)
from glasskafka.protocol.framing import (
    DEFAULT_MAX_REQUEST_BYTES,
    MIN_REQUEST_SIZE,
    MIN_RESPONSE_SIZE,
    frame,
    frame_payload,
)
from glasskafka.protocol.headers import (
    RequestHeader,
    ResponseHeader,
    read_request_header,
    read_response_header,
    write_request_header,
    write_response_header,
)
from glasskafka.protocol.messages.api_versions import API_VERSIONS_RESPONSE, ApiVersionsResponse
from glasskafka.protocol.primitives import Buffer, Reader, Writer
from glasskafka.protocol.schema import Versions

__all__ = [
    "MAX_RESPONSE_BYTES",
    "api_versions_error_response",
    "decode_request",
    "decode_response",
    "encode_request",
    "encode_response",
    "encode_response_frame",
]

MAX_RESPONSE_BYTES = 2**31 - 1
"""Clients accept any response a size prefix can describe (Kafka's clients set no limit)."""


def decode_request(
    frame_bytes: Buffer, *, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES
) -> tuple[RequestHeader, Message]:
    """Decode one whole request frame (size prefix included) into its header and message.

    Raises :class:`MalformedFrameError` (close the connection) or
    :class:`UnsupportedRequestError` (answer if ``answerable``, else close).
    """
    payload = frame_payload(frame_bytes, min_size=MIN_REQUEST_SIZE, max_size=max_bytes)
    api_key = int.from_bytes(payload[:2], "big", signed=True)
    api = find_api(api_key)
    reader = Reader(payload)
    header = read_request_header(reader, flexible_from=None if api is None else api.flexible_from)
    if header.client_id is None:
        # Kafka reads a null client id as "" (RequestHeader.java calls it a protocol quirk).
        header = dataclasses.replace(header, client_id="")
    if api is None:
        raise UnsupportedRequestError(header, f"unknown API key {api_key}", answerable=False)
    if header.api_version not in api.versions:
        raise UnsupportedRequestError(
            header,
            f"{api.name} v{header.api_version} is not served (versions {api.versions})",
            answerable=api.key == ApiKey.API_VERSIONS,
        )
    return header, _decode_body(reader, api, header.api_version, "request")


def encode_request(header: RequestHeader, message: Message) -> bytes:
    """Encode a request as a whole frame: size, request header v1, body at the header's version.

    Raises :class:`EncodeError` if ``message`` is not a request or does not match
    ``header.api_key``, and :class:`UnsupportedVersionError` if the version is not served or
    cannot carry the message's values.
    """
    api = _api_of(message)
    if not is_request(message) or header.api_key != api.key:
        raise EncodeError(
            f"{type(message).__name__} cannot be sent as a request with api_key {header.api_key}"
        )
    _check_version(api.name, header.api_version, api.versions)
    writer = Writer()
    write_request_header(writer, header, header_version=1)
    encode_struct(writer, api.request, message, header.api_version)
    return frame(writer.to_bytes())


def encode_response(header: ResponseHeader, message: Message, version: int) -> bytes:
    """Encode a response as a whole frame: size, response header v0, body at ``version``.

    ``version`` is the version of the request being answered.  Raises :class:`EncodeError` if
    ``message`` is not a response, :class:`UnsupportedVersionError` as for requests.
    """
    return bytes(encode_response_frame(header, message, version))


def encode_response_frame(header: ResponseHeader, message: Message, version: int) -> bytearray:
    """:func:`encode_response`, the same bytes, built in place in the buffer that is returned.

    The runtime sends answers this way: a Fetch answer carries megabytes of records, and each
    copy of them costs about as much as sending them (``Writer.to_frame``).
    """
    api = _api_of(message)
    if is_request(message):
        raise EncodeError(f"{type(message).__name__} is a request, not a response")
    _check_version(api.name, version, api.versions)
    writer = Writer.with_size_prefix()
    write_response_header(writer, header)
    encode_struct(writer, api.response, message, version)
    return writer.to_frame()


def decode_response(
    frame_bytes: Buffer,
    *,
    api_key: int,
    api_version: int,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> tuple[ResponseHeader, Message]:
    """Decode one whole response frame to the request (``api_key``, ``api_version``) it answers.

    The client knows both from the correlation id.  An ApiVersions answer that does not parse
    at ``api_version`` is read again as v0: a broker that does not serve the version the client
    sent answers with a v0 body (KIP-511), as Kafka's ``ApiVersionsResponse.parse`` expects.
    Raises :class:`MalformedFrameError` for bad bytes and :class:`UnsupportedVersionError` for
    a key or version this codec does not serve.
    """
    api = find_api(api_key)
    if api is None:
        raise UnsupportedVersionError(f"unknown API key {api_key}")
    _check_version(api.name, api_version, api.versions)
    payload = frame_payload(frame_bytes, min_size=MIN_RESPONSE_SIZE, max_size=max_bytes)
    reader = Reader(payload)
    header = read_response_header(reader)
    body_start = reader.position
    try:
        message = _decode_body(reader, api, api_version, "response")
    except MalformedFrameError:
        if api.key != ApiKey.API_VERSIONS or api_version == 0:
            raise
        message = _decode_body(Reader(payload, body_start), api, 0, "response")
    return header, message


def _decode_body(reader: Reader, api: Api, version: int, direction: str) -> Message:
    """Decode a request or response body that must end exactly where the frame ends."""
    schema = api.request if direction == "request" else api.response
    message: Message = decode_struct(reader, schema, version)
    reader.expect_end(f"the {api.name} v{version} {direction} body")
    return message


def api_versions_error_response(header: RequestHeader) -> bytes:
    """The answer to an ApiVersions request at a version this codec does not serve (KIP-511).

    Error UNSUPPORTED_VERSION, response header v0 and a v0 body listing every advertised API,
    so the client can retry at a version both sides know.
    """
    response = ApiVersionsResponse(
        error_code=ErrorCode.UNSUPPORTED_VERSION.value,
        api_keys=advertised_api_versions(),
    )
    writer = Writer()
    write_response_header(writer, ResponseHeader(correlation_id=header.correlation_id))
    encode_struct(writer, API_VERSIONS_RESPONSE, response, 0)
    return frame(writer.to_bytes())


def _api_of(message: Message) -> Api:
    """The API of ``message``, or :class:`EncodeError` if it belongs to none."""
    try:
        return api_for(message)
    except KeyError:
        raise EncodeError(f"{type(message).__name__} is not a message of any API") from None


def _check_version(name: str, version: int, versions: Versions) -> None:
    if version not in versions:
        raise UnsupportedVersionError(f"{name} v{version} is not served (versions {versions})")
