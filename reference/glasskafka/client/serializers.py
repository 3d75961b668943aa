"""Serializers: turning a record's key and value into the bytes a batch carries.

Theory of operation
-------------------
A Kafka broker stores bytes and never looks inside them; the producer turns keys and values into
bytes with the serializers named by ``key.serializer`` and ``value.serializer``, and a consumer
turns them back with the matching deserializers.  The key's bytes are also what the partitioner
hashes, so two producers that serialize a key differently send it to different partitions.

The serializers here produce Kafka's bytes exactly:

* ``org.apache.kafka.common.serialization.ByteArraySerializer``: bytes as they are;
* ``org.apache.kafka.common.serialization.StringSerializer``: UTF-8 (the default of
  ``serializer.encoding``);
* ``org.apache.kafka.common.serialization.IntegerSerializer``: 4 bytes, big-endian, signed
  (Java's ``int``);
* ``org.apache.kafka.connect.json.JsonSerializer``: compact JSON text in UTF-8.

Every serializer maps ``None`` to ``None`` (a null key or value; a null value is a tombstone on a
compacted topic).  A value of the wrong type is bad input from the caller: it raises
:class:`~glasskafka.errors.GlassKafkaError` naming the serializer, the type given and what is
allowed, before anything is queued (Kafka throws a ``SerializationException`` from ``send``).

Spec IDs: none.

Simplified from Kafka: Kafka's ``JsonSerializer`` writes a Jackson ``JsonNode``; here any value
Python's ``json`` can write is accepted, with string keys only and without NaN or infinities,
which JSON does not have.  The other serializers of ``org.apache.kafka.common.serialization``
(Long, Double, UUID...) are left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from glasskafka.errors import GlassKafkaError

__all__ = [
    "BYTE_ARRAY_SERIALIZER",
    "INTEGER_SERIALIZER",
    "JSON_SERIALIZER",
    "SERIALIZERS",
    "STRING_SERIALIZER",
    "Serializer",
    "serialize_bytes",
    "serialize_int",
    "serialize_json",
    "serialize_str",
]

Serializer = Callable[[str, object], bytes | None]
"""``(topic, data) -> bytes or None``, as Kafka's ``Serializer.serialize(topic, data)``."""

BYTE_ARRAY_SERIALIZER = "org.apache.kafka.common.serialization.ByteArraySerializer"
STRING_SERIALIZER = "org.apache.kafka.common.serialization.StringSerializer"
INTEGER_SERIALIZER = "org.apache.kafka.common.serialization.IntegerSerializer"
JSON_SERIALIZER = "org.apache.kafka.connect.json.JsonSerializer"


def _wrong_type(name: str, data: object, allowed: str) -> GlassKafkaError:
    shown = repr(data)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return GlassKafkaError(
        f"{name} cannot serialize {type(data).__name__} {shown}; it takes {allowed} or None"
    )


def serialize_bytes(topic: str, data: object) -> bytes | None:
    """``ByteArraySerializer``: bytes (or a bytearray or memoryview) unchanged."""
    del topic
    if data is None:
        return None
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise _wrong_type("ByteArraySerializer", data, "bytes")


def serialize_str(topic: str, data: object) -> bytes | None:
    """``StringSerializer``: a str as UTF-8."""
    del topic
    if data is None:
        return None
    if not isinstance(data, str):
        raise _wrong_type("StringSerializer", data, "a str")
    try:
        return data.encode("utf-8")
    except UnicodeEncodeError as error:
        raise GlassKafkaError(
            f"StringSerializer cannot encode {data[error.start : error.end]!r} at position "
            f"{error.start} as UTF-8 (a lone surrogate); give a str of real characters"
        ) from None


def serialize_int(topic: str, data: object) -> bytes | None:
    """``IntegerSerializer``: an int in [-2**31, 2**31 - 1] as 4 big-endian bytes."""
    del topic
    if data is None:
        return None
    if not isinstance(data, int) or isinstance(data, bool):
        raise _wrong_type("IntegerSerializer", data, "an int")
    if not -(2**31) <= data < 2**31:
        raise GlassKafkaError(
            f"IntegerSerializer cannot serialize {data}; it takes an int from -2147483648 to "
            "2147483647 (Java's int)"
        )
    return data.to_bytes(4, "big", signed=True)


def serialize_json(topic: str, data: object) -> bytes | None:
    """``JsonSerializer``: compact JSON (no spaces), UTF-8, object keys in the order given."""
    del topic
    if data is None:
        return None
    try:
        _check_json(data, "value")
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (RecursionError, ValueError):
        # Python's json raises these for a value that contains itself or nests too deeply.
        raise GlassKafkaError(
            "JsonSerializer: the value nests too deeply or contains itself; give a finite tree"
        ) from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise GlassKafkaError(
            "JsonSerializer: the value holds a lone surrogate, which UTF-8 cannot encode"
        ) from None


def _check_json(data: object, where: str) -> None:
    """Refuse what JSON cannot say, naming where in the value it is."""
    if data is None or isinstance(data, bool | int | str):
        return
    if isinstance(data, float):
        if data != data or data in (float("inf"), float("-inf")):
            raise GlassKafkaError(f"JsonSerializer: {where} is {data!r}, which JSON cannot hold")
        return
    if isinstance(data, list | tuple):
        for index, item in enumerate(data):
            _check_json(item, f"{where}[{index}]")
        return
    if isinstance(data, dict):
        for key, item in data.items():
            if not isinstance(key, str):
                raise GlassKafkaError(
                    f"JsonSerializer: {where} has key {key!r} of type {type(key).__name__}; "
                    "JSON object keys are str"
                )
            _check_json(item, f"{where}[{key!r}]")
        return
    raise _wrong_type("JsonSerializer", data, "None, bool, int, float, str, list, tuple or dict")


SERIALIZERS: dict[str, Serializer] = {
    BYTE_ARRAY_SERIALIZER: serialize_bytes,
    STRING_SERIALIZER: serialize_str,
    INTEGER_SERIALIZER: serialize_int,
    JSON_SERIALIZER: serialize_json,
}
"""``key.serializer`` / ``value.serializer`` class names and what they do."""
