"""Lab ``varint``: write the zigzag varint codec of Kafka's record format.

Theory of operation
-------------------
The student writes ``encode_zigzag_varint`` and ``decode_zigzag_varint`` (32-bit values; the
64-bit varlongs stay glasskafka's).  The substitution points are the two names through which
glasskafka's record codec calls them: ``glasskafka.records.batch.encode_zigzag_varint`` and
``glasskafka.records.batch.decode_zigzag_varint``.  During the check every record's length,
offset delta, key and value lengths and header count go through the student's code.

The checks, in order:

1. golden encodings (Kafka's ``ByteUtilsTest`` values and the int32 edges) both ways;
2. a property: the student's encoder writes the same bytes as the reference for every int32,
   and the decoder reads them back from any position, with trailing data after them;
3. malformed input: cut-off varints, six-byte varints, fifth bytes above 0x0F must raise
   ``CorruptRecordError``; out-of-range values must raise ``ValueError``;
4. a property: whole batches written and read with the student's varints round-trip;
5. the partition-log model suite (LOG-1, LOG-2 read every record through the decoder).

Common wrong answers: no zigzag step (two's complement, so -1 costs five bytes); the sign
shift by 63 instead of 31 on a fixed width; a decoder that reads past the buffer.

Spec IDs: LOG-1, LOG-2 (through the model suite).

Simplified from Kafka: only the 32-bit varint is a lab; varlongs follow the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from glasskafka.exercises.lab import (
    Check,
    CheckContext,
    Lab,
    LabFailure,
    Student,
    Substitution,
    raised,
    shown,
)
from glasskafka.exercises.runner import check_settings
from glasskafka.exercises.suites import log_model_check
from glasskafka.records import CorruptRecordError, Record, decode_batch, encode_batch
from glasskafka.records import varint as _reference

__all__ = ["LAB"]

# Zigzag pairs from Kafka's ByteUtilsTest.testVarintSerde and the int32 edges.
_GOLDEN: tuple[tuple[int, bytes], ...] = (
    (0, b"\x00"),
    (-1, b"\x01"),
    (1, b"\x02"),
    (-2, b"\x03"),
    (63, b"\x7e"),
    (-64, b"\x7f"),
    (64, b"\x80\x01"),
    (-65, b"\x81\x01"),
    (8191, b"\xfe\x7f"),
    (-8192, b"\xff\x7f"),
    (8192, b"\x80\x80\x01"),
    (2**31 - 1, b"\xfe\xff\xff\xff\x0f"),
    (-(2**31), b"\xff\xff\xff\xff\x0f"),
)
_MALFORMED: tuple[tuple[bytes, str], ...] = (
    (b"", "empty input"),
    (b"\x80", "cut off after one byte"),
    (b"\xff\xff\xff\xff", "cut off after four bytes"),
    (b"\x80\x80\x80\x80\x80\x01", "six bytes long"),
    (b"\xff\xff\xff\xff\x1f", "a fifth byte above 0x0F (33 bits)"),
)
_INT32 = st.integers(-(2**31), 2**31 - 1)


def _call(function: Callable[..., Any], *args: Any) -> Any:
    """The result, or the exception's description (so a story can show either)."""
    try:
        return function(*args)
    except Exception as error:
        return raised(error)


def _golden(context: CheckContext) -> None:
    encode, decode = (
        context.student["encode_zigzag_varint"],
        context.student["decode_zigzag_varint"],
    )
    for value, encoded in _GOLDEN:
        got = _call(encode, value)
        if got != encoded:
            raise LabFailure(
                inputs=f"encode_zigzag_varint({value})", expected=repr(encoded), got=shown(got)
            )
        back = _call(decode, encoded, 0)
        if back != (value, len(encoded)):
            raise LabFailure(
                inputs=f"decode_zigzag_varint({encoded!r}, 0)",
                expected=repr((value, len(encoded))),
                got=shown(back),
            )


def _agrees(context: CheckContext) -> None:
    encode, decode = (
        context.student["encode_zigzag_varint"],
        context.student["decode_zigzag_varint"],
    )

    @check_settings(context)
    @given(value=_INT32, before=st.binary(max_size=3), after=st.binary(max_size=3))
    def agrees(value: int, before: bytes, after: bytes) -> None:
        expected = _reference.encode_zigzag_varint(value)
        got = _call(encode, value)
        if got != expected:
            raise LabFailure(
                inputs=f"encode_zigzag_varint({value})", expected=repr(expected), got=shown(got)
            )
        buffer = before + expected + after
        back = _call(decode, buffer, len(before))
        wanted = (value, len(before) + len(expected))
        if back != wanted:
            raise LabFailure(
                inputs=f"decode_zigzag_varint({buffer!r}, {len(before)})",
                expected=repr(wanted),
                got=shown(back),
            )

    agrees()


def _refuses_malformed(context: CheckContext) -> None:
    encode, decode = (
        context.student["encode_zigzag_varint"],
        context.student["decode_zigzag_varint"],
    )
    for data, why in _MALFORMED:
        try:
            got = repr(decode(data, 0))
        except CorruptRecordError:
            continue
        except Exception as error:
            got = raised(error)
        raise LabFailure(
            inputs=f"decode_zigzag_varint({data!r}, 0)  # {why}",
            expected="CorruptRecordError",
            got=got,
        )
    for value in (2**31, -(2**31) - 1):
        try:
            got = repr(encode(value))
        except ValueError:
            continue
        except Exception as error:
            got = raised(error)
        raise LabFailure(
            inputs=f"encode_zigzag_varint({value})  # outside int32",
            expected="ValueError",
            got=got,
        )


def _batches_round_trip(context: CheckContext) -> None:
    records = st.lists(
        st.builds(
            Record,
            key=st.none() | st.binary(max_size=200),
            value=st.none() | st.binary(max_size=300),
            headers=st.lists(
                st.tuples(st.text(max_size=5), st.none() | st.binary(max_size=5)), max_size=2
            ).map(tuple),
            timestamp=st.integers(0, 2**40),
        ),
        min_size=1,
        max_size=4,
    )

    @check_settings(context)
    @given(records=records)
    def round_trip(records: list[Record]) -> None:
        batch = encode_batch(records)
        got = [(r.key, r.value, r.headers) for r in decode_batch(batch).records]
        wanted = [(r.key, r.value, r.headers) for r in records]
        if got != wanted:
            raise LabFailure(
                inputs=f"decode_batch(encode_batch({records!r}))",
                expected=repr(wanted),
                got=shown(got),
            )

    round_trip()


def _entry(name: str) -> Callable[[Student], object]:
    return lambda student: student[name]


LAB = Lab(
    name="varint",
    title="Zigzag varints, the integers inside a record",
    teaches="Variable-length integers: why zigzag keeps -1 at one byte, and how a decoder "
    "refuses malformed input without reading past the buffer.",
    minutes=35,
    reference="glasskafka.records.varint.encode_zigzag_varint / decode_zigzag_varint",
    file_name="varint_lab.py",
    template="varint",
    entry_points=("encode_zigzag_varint", "decode_zigzag_varint"),
    readme="""
## Goal

Write `encode_zigzag_varint(value)` and `decode_zigzag_varint(buffer, position)`: the signed
variable-length integers of Kafka's record format (a record's length, its offset delta, the
lengths of its key and value, its header count).  While the check runs, glasskafka encodes and
decodes every record with your functions.

## Hints

- Zigzag first: `(value << 1) ^ (value >> 31)` maps 0, -1, 1, -2 ... to 0, 1, 2, 3 ...
  Python's integers are unbounded, so check the result is below 2**32 for int32 inputs.
- Then 7 bits per byte, least significant group first, 0x80 on every byte but the last.
- Decoding inverts both steps: `(raw >> 1) ^ -(raw & 1)` undoes the zigzag.
- Bound every read by `len(buffer)`, stop after 5 bytes, and raise `CorruptRecordError`.
""",
    substitutions=(
        Substitution(
            target="glasskafka.records.batch.encode_zigzag_varint",
            build=_entry("encode_zigzag_varint"),
        ),
        Substitution(
            target="glasskafka.records.batch.decode_zigzag_varint",
            build=_entry("decode_zigzag_varint"),
        ),
    ),
    checks=(
        Check(name="golden encodings (ByteUtilsTest)", kind="unit", run=_golden),
        Check(name="agrees with the reference codec", kind="property", run=_agrees),
        Check(name="refuses malformed input", kind="unit", run=_refuses_malformed),
        Check(name="batches round-trip", kind="property", run=_batches_round_trip),
        log_model_check(),
    ),
)
