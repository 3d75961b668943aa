"""Hostile input: whatever bytes arrive, only the codec's own exceptions come out.

``reference/wire-protocol.md`` §12, item 4: random and mutated frames, truncations, lying
lengths, unknown API keys and versions must yield a clear ``CodecError`` (the server then answers
or closes the connection), never ``IndexError``, ``struct.error``, ``UnicodeDecodeError``,
``MemoryError`` or a hang.  Each test lets any other exception propagate, so it fails loudly.
"""

from __future__ import annotations

import contextlib
import struct
from typing import Any

import pytest
from glasskafka.node import Message
from glasskafka.protocol.annotate import annotate_request, annotate_response
from glasskafka.protocol.apis import API_TABLE, Api, ApiKey, find_api
from glasskafka.protocol.codec import Span, decode_struct
from glasskafka.protocol.errors import CodecError, MalformedFrameError, UnsupportedRequestError
from glasskafka.protocol.framing import MIN_REQUEST_SIZE, frame
from glasskafka.protocol.headers import RequestHeader, ResponseHeader
from glasskafka.protocol.primitives import Reader
from glasskafka.protocol.wire import (
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)
from hypothesis import given
from hypothesis import strategies as st

from model_tests.test_protocol_strategies import Direction, message_at, schema_of

APIS = [
    pytest.param(api, direction, id=f"{api.name}-{direction}")
    for api in API_TABLE.values()
    for direction in ("request", "response")
]

HEADER_BYTES = 2 + 2 + 4 + 2 + 2  # key, version, correlation id, client_id "gk"


def valid_frame(api: Api, version: int, direction: Direction, message: Message) -> bytes:
    if direction == "request":
        header = RequestHeader(
            api_key=api.key, api_version=version, correlation_id=1, client_id="gk"
        )
        return encode_request(header, message)
    return encode_response(ResponseHeader(correlation_id=1), message, version)


def decode(api: Api, version: int, direction: Direction, data: bytes) -> object:
    """Decode ``data`` as the given direction; codec errors are returned, anything else raised."""
    try:
        if direction == "request":
            return decode_request(data)
        return decode_response(data, api_key=api.key, api_version=version)
    except CodecError as error:
        return error


@given(payload=st.binary(max_size=200))
def test_random_frames_raise_only_codec_errors(payload: bytes) -> None:
    result = decode(API_TABLE[ApiKey.METADATA], 0, "request", frame(payload))
    assert isinstance(result, CodecError | tuple)
    assert isinstance(decode(API_TABLE[ApiKey.METADATA], 0, "request", payload), CodecError | tuple)


@given(
    key=st.sampled_from(sorted(API_TABLE)),
    version=st.integers(-(2**15), 2**15 - 1),
    body=st.binary(max_size=120),
)
def test_random_bodies_behind_real_headers_raise_only_codec_errors(
    key: ApiKey, version: int, body: bytes
) -> None:
    payload = struct.pack(">hhih", key, version, 3, 2) + b"gk" + body
    result = decode(API_TABLE[key], 0, "request", frame(payload))
    assert isinstance(result, CodecError | tuple)


@pytest.mark.parametrize(("api", "direction"), APIS)
@given(data=st.data())
def test_every_truncation_of_a_valid_frame_is_malformed(
    api: Api, direction: Direction, data: st.DataObject
) -> None:
    version = data.draw(st.sampled_from(list(api.versions)), label="version")
    message = data.draw(message_at(api, version, direction), label="message")
    payload = valid_frame(api, version, direction, message)[4:]
    for cut in range(len(payload)):
        result = decode(api, version, direction, frame(payload[:cut]))
        if isinstance(result, tuple) and api.key == ApiKey.API_VERSIONS and direction == "response":
            # Cutting a v1/v2 answer just before throttle_time_ms leaves a whole v0 body, which
            # a client reads as v0 (the KIP-511 fallback): the values it read are still true.
            assert result[1] == type(message)(
                error_code=message.error_code, api_keys=message.api_keys
            )
            continue
        assert isinstance(result, MalformedFrameError), f"cut at {cut} decoded as {result!r}"


@pytest.mark.parametrize(("api", "direction"), APIS)
@given(data=st.data())
def test_mutated_frames_raise_only_codec_errors(
    api: Api, direction: Direction, data: st.DataObject
) -> None:
    version = data.draw(st.sampled_from(list(api.versions)), label="version")
    message = data.draw(message_at(api, version, direction), label="message")
    mutated = bytearray(valid_frame(api, version, direction, message))
    changes = data.draw(
        st.lists(st.tuples(st.integers(0, len(mutated) - 1), st.integers(0, 255)), min_size=1),
        label="changes",
    )
    for index, byte in changes:
        mutated[index] = byte
    result = decode(api, version, direction, bytes(mutated))
    assert isinstance(result, CodecError) or isinstance(result[1], Message)  # type: ignore[index]


@pytest.mark.parametrize(("api", "direction"), APIS)
@given(data=st.data())
def test_lying_lengths_raise_only_codec_errors(
    api: Api, direction: Direction, data: st.DataObject
) -> None:
    version = data.draw(st.sampled_from(list(api.versions)), label="version")
    message = data.draw(message_at(api, version, direction), label="message")
    whole = valid_frame(api, version, direction, message)
    body_start = HEADER_BYTES + 4 if direction == "request" else 8
    spans: list[Span] = []
    decode_struct(Reader(whole, body_start), schema_of(api, direction), version, trace=spans)
    prefixed = [span for span in spans if span.type in ("string", "bytes", "records", "array")]
    if not prefixed:
        return
    span = data.draw(st.sampled_from(prefixed), label="span")
    width = 2 if span.type == "string" else 4
    low, high = -(2 ** (8 * width - 1)), 2 ** (8 * width - 1) - 1
    lie = data.draw(st.sampled_from([high, low, -2, -1, 0, 1]) | st.integers(low, high))
    lied = bytearray(whole)
    lied[span.start : span.start + width] = lie.to_bytes(width, "big", signed=True)
    result = decode(api, version, direction, bytes(lied))
    if lie == high and width == 4:
        assert isinstance(result, MalformedFrameError), "a 2 GiB length cannot fit in the frame"
    else:
        assert isinstance(result, CodecError) or isinstance(result[1], Message)  # type: ignore[index]


@given(
    key=st.integers(-(2**15), 2**15 - 1).filter(lambda key: find_api(key) is None),
    version=st.integers(-(2**15), 2**15 - 1),
    body=st.binary(max_size=30),
)
def test_unknown_api_keys_are_refused_with_the_header_and_never_answered(
    key: int, version: int, body: bytes
) -> None:
    payload = struct.pack(">hhih", key, version, 77, 2) + b"gk" + body
    with pytest.raises(UnsupportedRequestError) as caught:
        decode_request(frame(payload))
    assert not caught.value.answerable
    assert caught.value.header == RequestHeader(
        api_key=key, api_version=version, correlation_id=77, client_id="gk"
    )


@given(data=st.data(), body=st.binary(max_size=30))
def test_unserved_versions_are_refused_and_only_api_versions_is_answered(
    data: st.DataObject, body: bytes
) -> None:
    api = data.draw(st.sampled_from(list(API_TABLE.values())), label="api")
    version = data.draw(
        st.integers(-(2**15), 2**15 - 1).filter(lambda v: v not in api.versions), label="version"
    )
    tagged = b"\x00" if version >= api.flexible_from else b""  # header v2's empty tag section
    payload = struct.pack(">hhih", api.key, version, 78, 2) + b"gk" + tagged + body
    with pytest.raises(UnsupportedRequestError) as caught:
        decode_request(frame(payload))
    assert caught.value.answerable == (api.key == ApiKey.API_VERSIONS)
    assert caught.value.header.correlation_id == 78


@given(payload=st.binary(max_size=80), key=st.sampled_from(sorted(API_TABLE)))
def test_annotating_garbage_raises_only_codec_errors(payload: bytes, key: ApiKey) -> None:
    with contextlib.suppress(CodecError):
        assert annotate_request(frame(payload)).startswith("# ")
    with contextlib.suppress(CodecError):
        assert annotate_response(frame(payload), api_key=key, api_version=0).startswith("# ")


def test_a_request_too_short_for_any_header_is_malformed() -> None:
    for size in range(MIN_REQUEST_SIZE):
        result: Any = decode(API_TABLE[ApiKey.METADATA], 0, "request", frame(b"\x00" * size))
        assert isinstance(result, MalformedFrameError)


def test_the_hostile_properties_have_teeth(monkeypatch: pytest.MonkeyPatch) -> None:
    # A reader that forgets to check that the bytes are there (the classic bug) lets struct.error
    # escape, or decodes a truncated frame as if it were whole; the truncation property sees it.
    def unchecked_take(self: Reader, size: int, what: str) -> memoryview:
        start = self._position
        self._position += size
        return self._view[start : self._position]

    monkeypatch.setattr(Reader, "_take", unchecked_take)
    with pytest.raises((struct.error, AssertionError)):
        test_every_truncation_of_a_valid_frame_is_malformed(
            api=API_TABLE[ApiKey.METADATA], direction="response"
        )
