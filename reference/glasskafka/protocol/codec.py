"""The schema interpreter: encode any message at any version, and decode it back.

Theory of operation
-------------------
Kafka generates one reader and one writer per message from its JSON schemas.  glasskafka has one
of each for all messages: :func:`encode_struct` and :func:`decode_struct` walk a
:class:`~glasskafka.protocol.schema.StructSchema` field by field, **in schema order**, skipping the
fields that the chosen version does not have.  Schema order is the whole story of the
``throttle_time_ms`` trap (``reference/wire-protocol.md`` §2): it comes last in Produce and
ApiVersions responses and first in most others, and the interpreter writes it wherever the schema
puts it.

Writing a field at version ``v``:

1. If the field is not in ``v``: a default value is skipped; a field Kafka marks *ignorable* is
   dropped (Kafka's generated code does the same); any other value raises
   :class:`~glasskafka.protocol.errors.UnsupportedVersionError` -- the caller asked for a version
   that would silently lose it.
2. A ``None`` is written as the null marker (-1) if the field is nullable in ``v``; otherwise it
   is an error.
3. Otherwise the value is written as its type says; arrays must be tuples (messages are
   hashable) and their elements instances of the element struct's dataclass.

Reading is the mirror image; fields absent in ``v`` get their defaults from the dataclass.  A
decoder can also record a *trace*: one :class:`Span` per primitive value or array count, giving
its path (``topics[0].name``), type, byte range and value.  ``annotate.py`` turns a trace into the
annotated hex dumps of the docs and of failing tests.

Spec IDs: none (round-trip properties in ``reference/tests/test_protocol_messages.py``).

Simplified from Kafka: Kafka compiles a specialised method per message; an interpreter is slower
but is one screenful a student can read once and then trust for every API.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, TypeVar, assert_never

from glasskafka.protocol.errors import EncodeError, UnsupportedVersionError
from glasskafka.protocol.primitives import Reader, Writer
from glasskafka.protocol.schema import ArrayOf, Field, FieldType, Primitive, StructSchema

__all__ = ["Span", "decode_struct", "encode_struct", "min_size"]

T = TypeVar("T")

_FIXED_SIZES = {
    Primitive.INT8: 1,
    Primitive.INT16: 2,
    Primitive.INT32: 4,
    Primitive.INT64: 8,
    Primitive.BOOLEAN: 1,
    Primitive.STRING: 2,
    Primitive.BYTES: 4,
    Primitive.RECORDS: 4,
}
"""The fewest bytes each primitive can take: its own size, or its length prefix."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    """Where one decoded value lay in the frame: bytes ``start`` up to (not including) ``end``."""

    path: str
    type: str
    start: int
    end: int
    value: object


def encode_struct(writer: Writer, schema: StructSchema[Any], value: object, version: int) -> None:
    """Append ``value`` (an instance of ``schema.cls``) as it is laid out at ``version``.

    Raises :class:`UnsupportedVersionError` for a value the version cannot carry and
    :class:`EncodeError` for a value no version can carry; both name the field's path.
    """
    _encode_struct(writer, schema, value, version, schema.name)


def decode_struct(
    reader: Reader,
    schema: StructSchema[T],
    version: int,
    *,
    trace: list[Span] | None = None,
) -> T:
    """Read one ``schema.cls`` as laid out at ``version``; record spans in ``trace`` if given.

    Raises :class:`~glasskafka.protocol.errors.MalformedFrameError` if the bytes do not hold one.
    """
    return _decode_struct(reader, schema, version, "", trace)


def min_size(field_type: FieldType | StructSchema[Any], version: int) -> int:
    """The fewest bytes a value of ``field_type`` takes at ``version`` (an array: its count)."""
    if isinstance(field_type, StructSchema):
        return _struct_min_size(field_type, version)
    if isinstance(field_type, ArrayOf):
        return 4
    return _FIXED_SIZES[field_type]


@functools.cache
def _struct_min_size(schema: StructSchema[Any], version: int) -> int:
    """The fewest bytes one ``schema`` struct takes at ``version`` (cached: schemas are fixed)."""
    return sum(min_size(item.type, version) for item in schema.fields if item.present_in(version))


def _encode_struct(
    writer: Writer, schema: StructSchema[Any], value: object, version: int, path: str
) -> None:
    """Write every field of ``value`` in schema order; ``path`` names it in error messages."""
    if not isinstance(value, schema.cls):
        raise EncodeError(f"{path} needs a {schema.name}, got {type(value).__name__} {value!r}")
    for item in schema.fields:
        _encode_field(writer, item, getattr(value, item.name), version, f"{path}.{item.name}")


def _encode_field(writer: Writer, item: Field, value: object, version: int, path: str) -> None:
    """Write one field, or skip it if ``version`` lacks it and nothing would be lost."""
    if not item.present_in(version):
        # Kafka's generated writers do the same: a default, or an ignorable field, is skipped;
        # any other value throws UnsupportedVersionException (FieldSpec.java,
        # generateNonIgnorableFieldCheck, called from MessageDataGenerator.java).
        if item.ignorable or _same(value, item.default):
            return
        raise UnsupportedVersionError(
            f"{path}={value!r} cannot be sent at version {version}: the field exists in "
            f"versions {item.versions}; leave it at its default {item.default!r}"
        )
    nullable = item.nullable_in(version)
    if value is None and not nullable:
        if item.nullable is not None:
            raise UnsupportedVersionError(
                f"{path} is null, but version {version} cannot carry a null "
                f"(null is allowed in versions {item.nullable})"
            )
        raise EncodeError(f"{path} is null, but the field is never nullable")
    _encode_value(writer, item.type, value, version, nullable, path)


def _same(value: object, default: object) -> bool:
    """Whether ``value`` is the default (``True == 1`` in Python: booleans only match booleans)."""
    return value == default and isinstance(value, bool) == isinstance(default, bool)


def _encode_value(
    writer: Writer, kind: FieldType, value: Any, version: int, nullable: bool, path: str
) -> None:
    """Write one value of ``kind``, adding ``path`` to any error a primitive writer raises."""
    if isinstance(kind, ArrayOf):
        _encode_array(writer, kind.element, value, version, path)
        return
    try:
        _write_primitive(writer, kind, value, nullable)
    except EncodeError as error:
        raise EncodeError(f"{path}: {error}") from None


def _write_primitive(writer: Writer, kind: Primitive, value: Any, nullable: bool) -> None:
    """Write one primitive value with the matching ``Writer`` method."""
    match kind:
        case Primitive.INT8 | Primitive.INT16 | Primitive.INT32 | Primitive.INT64:
            writer.write_int(kind.value, value)
        case Primitive.BOOLEAN:
            writer.write_boolean(value)
        case Primitive.STRING:
            writer.write_string(value, nullable=nullable)
        case Primitive.BYTES | Primitive.RECORDS:
            writer.write_bytes(value, nullable=nullable)
        case _:
            assert_never(kind)


def _encode_array(
    writer: Writer,
    element: Primitive | StructSchema[Any],
    value: object,
    version: int,
    path: str,
) -> None:
    """Write an array: its count (-1 for null), then each element."""
    if value is None:
        writer.write_array_length(None)
        return
    if not isinstance(value, tuple):
        raise EncodeError(f"{path} must be a tuple, got {type(value).__name__} {value!r}")
    writer.write_array_length(len(value))
    for index, item in enumerate(value):
        if isinstance(element, StructSchema):
            _encode_struct(writer, element, item, version, f"{path}[{index}]")
        else:
            _encode_value(writer, element, item, version, False, f"{path}[{index}]")


def _decode_struct(
    reader: Reader, schema: StructSchema[T], version: int, path: str, trace: list[Span] | None
) -> T:
    """Read the fields ``version`` has; the dataclass fills in the others' defaults."""
    values: dict[str, object] = {}
    for item in schema.fields:
        if item.present_in(version):
            where = f"{path}.{item.name}" if path else item.name
            values[item.name] = _decode_value(
                reader, item.type, version, item.nullable_in(version), where, trace
            )
    return schema.cls(**values)


def _decode_value(
    reader: Reader,
    kind: FieldType,
    version: int,
    nullable: bool,
    path: str,
    trace: list[Span] | None,
) -> object:
    """Read one value of ``kind``, recording its span if tracing."""
    if isinstance(kind, ArrayOf):
        return _decode_array(reader, kind.element, version, nullable, path, trace)
    start = reader.position
    value = _read_primitive(reader, kind, nullable)
    if trace is not None:
        trace.append(
            Span(path=path, type=kind.value, start=start, end=reader.position, value=value)
        )
    return value


def _read_primitive(reader: Reader, kind: Primitive, nullable: bool) -> object:
    """Read one primitive value with the matching ``Reader`` method."""
    match kind:
        case Primitive.INT8 | Primitive.INT16 | Primitive.INT32 | Primitive.INT64:
            return reader.read_int(kind.value)
        case Primitive.BOOLEAN:
            return reader.read_boolean()
        case Primitive.STRING:
            return reader.read_string(nullable=nullable)
        case Primitive.BYTES | Primitive.RECORDS:
            return reader.read_bytes(nullable=nullable)
        case _:
            assert_never(kind)


def _decode_array(
    reader: Reader,
    element: Primitive | StructSchema[Any],
    version: int,
    nullable: bool,
    path: str,
    trace: list[Span] | None,
) -> tuple[object, ...] | None:
    """Read an array as a tuple (``None`` for null), after checking its count fits the frame."""
    start = reader.position
    count = reader.read_array_length(nullable=nullable, min_element_size=min_size(element, version))
    if trace is not None:
        shown = None if count < 0 else count
        trace.append(Span(path=path, type="array", start=start, end=reader.position, value=shown))
    if count < 0:
        return None
    if isinstance(element, StructSchema):
        return tuple(
            _decode_struct(reader, element, version, f"{path}[{index}]", trace)
            for index in range(count)
        )
    return tuple(
        _decode_value(reader, element, version, False, f"{path}[{index}]", trace)
        for index in range(count)
    )
