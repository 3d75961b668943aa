"""Serializers: Kafka's bytes for each type, and a clear error for everything else.

Spec IDs: none.

Simplified from Kafka: only the four serializers glasskafka has.
"""

from __future__ import annotations

import math

import pytest
from glasskafka.client.serializers import (
    SERIALIZERS,
    serialize_bytes,
    serialize_int,
    serialize_json,
    serialize_str,
)
from glasskafka.errors import GlassKafkaError


def test_none_is_null_for_every_serializer() -> None:
    for serializer in SERIALIZERS.values():
        assert serializer("t", None) is None


def test_bytes_pass_through() -> None:
    assert serialize_bytes("t", b"\x00\xff") == b"\x00\xff"
    assert serialize_bytes("t", bytearray(b"ab")) == b"ab"
    assert serialize_bytes("t", memoryview(b"cd")) == b"cd"


def test_strings_are_utf8() -> None:
    assert serialize_str("t", "订单") == "订单".encode()
    assert serialize_str("t", "") == b""


def test_integers_are_four_big_endian_bytes_like_javas_int() -> None:
    assert serialize_int("t", 1) == b"\x00\x00\x00\x01"
    assert serialize_int("t", -1) == b"\xff\xff\xff\xff"
    assert serialize_int("t", 2**31 - 1) == b"\x7f\xff\xff\xff"
    assert serialize_int("t", -(2**31)) == b"\x80\x00\x00\x00"


def test_json_is_compact_utf8_in_the_given_key_order() -> None:
    assert serialize_json("t", {"b": 1, "a": [True, None, 1.5, "é"]}) == (
        '{"b":1,"a":[true,null,1.5,"é"]}'.encode()
    )


@pytest.mark.parametrize(
    ("serializer", "value", "message"),
    [
        (
            serialize_bytes,
            "text",
            "ByteArraySerializer cannot serialize str 'text'; it takes bytes",
        ),
        (serialize_str, b"raw", "StringSerializer cannot serialize bytes b'raw'; it takes a str"),
        (serialize_str, "\ud800", "lone surrogate"),
        (serialize_int, "5", "IntegerSerializer cannot serialize str '5'; it takes an int"),
        (serialize_int, True, "IntegerSerializer cannot serialize bool True"),
        (serialize_int, 2**31, "from -2147483648 to 2147483647"),
        (serialize_int, 1.0, "cannot serialize float"),
        (serialize_json, {1: "a"}, "key 1 of type int"),
        (serialize_json, math.nan, "JSON cannot hold"),
        (serialize_json, [math.inf], r"value\[0\] is inf"),
        (serialize_json, {1, 2}, "cannot serialize set"),
        (serialize_json, object(), "cannot serialize object"),
        (serialize_json, "\udfff", "lone surrogate"),
    ],
)
def test_wrong_values_are_refused_clearly(serializer, value, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GlassKafkaError, match=message):
        serializer("t", value)


def test_hostile_json_nesting_and_cycles_are_refused_not_crashed() -> None:
    deep: list[object] = []
    inner = deep
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    with pytest.raises(GlassKafkaError, match="nests too deeply or contains itself"):
        serialize_json("t", deep)
    cycle: dict[str, object] = {}
    cycle["self"] = cycle
    with pytest.raises(GlassKafkaError, match="nests too deeply or contains itself"):
        serialize_json("t", cycle)


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(GlassKafkaError) as caught:
        serialize_str("t", b"x" * 1000)
    assert len(str(caught.value)) < 120
