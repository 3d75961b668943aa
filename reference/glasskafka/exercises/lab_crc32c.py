"""Lab ``crc32c``: write the CRC-32C that guards every RecordBatch v2.

Theory of operation
-------------------
The student writes ``crc32c(data, crc=0)``.  The substitution points are the two module
attributes through which glasskafka computes a batch's checksum: ``_crc32c`` in
``glasskafka.records.batch`` (the writer) and in ``glasskafka.records.header`` (the validator
every reader and the log's recovery call).  During the check every batch glasskafka writes
carries the student's checksum and every batch it reads is validated with it.

The checks, in order:

1. the check values of RFC 3720 (``b"123456789"`` -> 0xE3069283, 32 zero bytes, 32 0xFF bytes)
   and the empty input;
2. a property: equal to the C ``crc32c`` library on any bytes and any starting value, and
   continuing over concatenated data;
3. a property: a batch glasskafka writes with the student's checksum carries the checksum a
   real Kafka broker computes (so Kafka would accept it), and reads back;
4. the partition-log model suite, whose crash recovery drops batches whose CRC does not match
   (LOG-4): with a wrong CRC, recovery throws away good data.

A common wrong answer is zlib's CRC-32 (polynomial 0xEDB88320), which magic 0 and 1 batches
used; check 1 shows it at once.

Spec IDs: LOG-4 (through the model suite).

Simplified from Kafka: Kafka's ``Crc32C`` uses the CPU instruction; the lab wants the table or
bit-by-bit version.
"""

from __future__ import annotations

import crc32c as _library
from hypothesis import given
from hypothesis import strategies as st

from glasskafka.exercises.lab import Check, CheckContext, Lab, LabFailure, Student, Substitution
from glasskafka.exercises.runner import check_settings
from glasskafka.exercises.suites import log_model_check
from glasskafka.records import CRC_START, Record, decode_batch, encode_batch

__all__ = ["LAB"]

# RFC 3720 appendix B.4 and the usual check value of every CRC catalogue.
_VECTORS: tuple[tuple[bytes, int], ...] = (
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),
    (bytes(32), 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
)


def _library_crc(data: bytes, crc: int = 0) -> int:
    """The C library's CRC-32C: what Kafka's ``Crc32C`` computes."""
    return int(_library.crc32c(data, crc))


def _check_values(context: CheckContext) -> None:
    crc32c = context.student["crc32c"]
    for data, expected in _VECTORS:
        got = crc32c(data)
        if got != expected:
            raise LabFailure(
                inputs=f"crc32c({data!r})",
                expected=f"0x{expected:08X}",
                got=f"0x{got:08X}" if isinstance(got, int) else repr(got),
            )


def _agrees_with_kafka(context: CheckContext) -> None:
    crc32c = context.student["crc32c"]

    @check_settings(context)
    @given(data=st.binary(max_size=300), start=st.integers(0, 2**32 - 1), cut=st.integers(0, 300))
    def agrees(data: bytes, start: int, cut: int) -> None:
        expected = _library_crc(data, start)
        got = crc32c(data, start)
        if got != expected:
            raise LabFailure(
                inputs=f"crc32c({data!r}, crc={start})", expected=f"{expected}", got=f"{got!r}"
            )
        head, tail = data[:cut], data[cut:]
        continued = crc32c(tail, crc32c(head))
        if continued != _library_crc(data):
            raise LabFailure(
                inputs=f"crc32c({tail!r}, crc32c({head!r}))",
                expected=f"crc32c of the whole data, {_library_crc(data)}",
                got=f"{continued!r}",
            )

    agrees()


def _batches_carry_kafkas_crc(context: CheckContext) -> None:
    records = st.lists(
        st.builds(
            Record,
            key=st.none() | st.binary(max_size=16),
            value=st.none() | st.binary(max_size=40),
            timestamp=st.integers(0, 2**40),
        ),
        min_size=1,
        max_size=4,
    )

    @check_settings(context)
    @given(records=records)
    def carries(records: list[Record]) -> None:
        batch = encode_batch(records)
        stored = int.from_bytes(batch[CRC_START - 4 : CRC_START], "big")
        kafkas = _library_crc(batch[CRC_START:])
        if stored != kafkas:
            raise LabFailure(
                inputs=f"encode_batch({records!r})",
                expected=f"the batch's CRC field to be Kafka's CRC-32C, 0x{kafkas:08X}",
                got=f"0x{stored:08X}",
            )
        values = [(r.key, r.value) for r in decode_batch(batch).records]
        if values != [(r.key, r.value) for r in records]:
            raise LabFailure(
                inputs=f"encode_batch({records!r})", expected="the same records", got=f"{values}"
            )

    carries()


def _substitute(student: Student) -> object:
    return student["crc32c"]


LAB = Lab(
    name="crc32c",
    title="CRC-32C, the checksum of a RecordBatch",
    teaches="How a cyclic redundancy check detects damage, and why Kafka's v2 batches use "
    "the Castagnoli polynomial.",
    minutes=30,
    reference="glasskafka.records.crc.crc32c_teaching",
    file_name="crc32c_lab.py",
    template="crc32c",
    entry_points=("crc32c",),
    readme="""
## Goal

Write `crc32c(data, crc=0)`: the CRC-32C checksum Kafka stores in every RecordBatch v2
(bytes 17-20 of the batch, covering everything from the attributes to the end).  While the
check runs, glasskafka writes and validates every batch with your function.

## Hints

- Start bit by bit: for each byte, XOR it into the register, then eight times shift right and
  XOR the polynomial 0x82F63B78 when the bit shifted out was 1.  Mind the two `^ 0xFFFFFFFF`.
- Then make it fast with a 256-entry table: the eight steps depend only on the low byte.
- 0xEDB88320 is zlib's CRC-32 (the old magic 0/1 format), not CRC-32C.
- `crc` lets a caller continue over more data: undo the final inversion to resume.
""",
    substitutions=(
        Substitution(target="glasskafka.records.batch._crc32c", build=_substitute),
        Substitution(target="glasskafka.records.header._crc32c", build=_substitute),
    ),
    checks=(
        Check(name="check values (RFC 3720)", kind="unit", run=_check_values),
        Check(name="agrees with Kafka's CRC-32C", kind="property", run=_agrees_with_kafka),
        Check(
            name="batches carry the CRC a Kafka broker expects",
            kind="property",
            run=_batches_carry_kafkas_crc,
        ),
        log_model_check(),
    ),
)
