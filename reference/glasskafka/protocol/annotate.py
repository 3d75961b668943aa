"""Annotated hex dumps: every byte of a frame next to the field it belongs to.

Theory of operation
-------------------
The fastest way to learn a binary protocol is to look at real bytes with their meaning beside
them, as Kafka's protocol guide and the CodeCrafters course do.  :func:`annotate_request` and
:func:`annotate_response` decode a frame with a *trace* (``codec.Span`` per value) and print one
line per value, nested fields indented under the array that holds them::

    00 00 00 01              topics                       array    1 element
    00 06 6f 72 64 65 72 73    name                       string   'orders'

Long values wrap onto continuation lines of eight bytes each.  The docs' wire-protocol page shows
a dump made by this module, and a test checks that the page still matches the code; failing
golden-bytes tests print the same dumps.

Spec IDs: none.

Simplified from Kafka: Kafka has no such tool (``kafka-dump-log.sh`` prints log segments, not
requests); Wireshark's Kafka dissector does the same job for captured traffic.
"""

from __future__ import annotations

from glasskafka.protocol.apis import find_api
from glasskafka.protocol.codec import Span, decode_struct
from glasskafka.protocol.errors import UnsupportedVersionError
from glasskafka.protocol.primitives import Buffer, Reader

__all__ = ["annotate_request", "annotate_response", "format_spans"]

_BYTES_PER_LINE = 8
_HEX_WIDTH = _BYTES_PER_LINE * 3 + 1
_PATH_WIDTH = 28
_TYPE_WIDTH = 8


def annotate_request(frame: Buffer) -> str:
    """The annotated dump of one whole request frame (size prefix, header v1, body).

    Raises the codec's errors if the frame does not decode.
    """
    reader = Reader(frame)
    spans: list[Span] = []
    _read_int(reader, "size", "int32", spans)
    api_key = _read_int(reader, "api_key", "int16", spans)
    api_version = _read_int(reader, "api_version", "int16", spans)
    _read_int(reader, "correlation_id", "int32", spans)
    start = reader.position
    client_id = reader.read_string(nullable=True)
    spans.append(Span(path="client_id", type="string", start=start, end=reader.position,
                      value=client_id))  # fmt: skip
    api = find_api(api_key)
    if api is None or api_version not in api.versions:
        raise UnsupportedVersionError(f"no schema for API key {api_key} v{api_version}")
    decode_struct(reader, api.request, api_version, trace=spans)
    reader.expect_end("the request body")
    return format_spans(frame, spans, title=f"{api.name}Request v{api_version}")


def annotate_response(frame: Buffer, *, api_key: int, api_version: int) -> str:
    """The annotated dump of one whole response frame to request (``api_key``, ``api_version``)."""
    api = find_api(api_key)
    if api is None or api_version not in api.versions:
        raise UnsupportedVersionError(f"no schema for API key {api_key} v{api_version}")
    reader = Reader(frame)
    spans: list[Span] = []
    _read_int(reader, "size", "int32", spans)
    _read_int(reader, "correlation_id", "int32", spans)
    decode_struct(reader, api.response, api_version, trace=spans)
    reader.expect_end("the response body")
    return format_spans(frame, spans, title=f"{api.name}Response v{api_version}")


def format_spans(frame: Buffer, spans: list[Span], *, title: str) -> str:
    """Lay ``spans`` of ``frame`` out as an annotated dump headed by ``title``."""
    data = bytes(frame)
    lines = [f"# {title}, {len(data)} bytes"]
    for span in spans:
        chunk = data[span.start : span.end]
        rows = [chunk[i : i + _BYTES_PER_LINE] for i in range(0, len(chunk), _BYTES_PER_LINE)]
        first = " ".join(f"{byte:02x}" for byte in rows[0]) if rows else ""
        label = f"{_label(span.path):<{_PATH_WIDTH}} {span.type:<{_TYPE_WIDTH}} {_show(span)}"
        lines.append(f"{first:<{_HEX_WIDTH}}{label}".rstrip())
        lines += [" ".join(f"{byte:02x}" for byte in row) for row in rows[1:]]
    return "\n".join(lines)


def _read_int(reader: Reader, path: str, kind: str, spans: list[Span]) -> int:
    """Read one header integer of ``kind``, record its span, and return it."""
    start = reader.position
    value = reader.read_int(kind)
    spans.append(Span(path=path, type=kind, start=start, end=reader.position, value=value))
    return value


def _label(path: str) -> str:
    """A field's name, indented once per array it sits in: the dump reads as a tree."""
    name = path.rsplit(".", 1)[-1]
    if name.endswith("]"):  # an element of an array of primitives: show just its index
        name = name[name.rindex("[") :]
    return "  " * path.count("[") + name


def _show(span: Span) -> str:
    """How a value reads in the dump: arrays by their count, null as ``null``."""
    if span.value is None:
        return "null"
    if span.type == "array":
        return f"{span.value} element{'s' if span.value != 1 else ''}"
    if span.path == "size":
        return f"{span.value} bytes follow"
    if span.path == "api_key" and isinstance(span.value, int):
        api = find_api(span.value)
        return f"{span.value} ({api.name})" if api is not None else str(span.value)
    return repr(span.value)
