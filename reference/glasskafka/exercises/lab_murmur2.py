"""Lab ``murmur2``: Java's murmur2 hash and the partition a keyed record goes to.

Theory of operation
-------------------
The student writes ``murmur2(data)`` (Kafka's ``Utils.murmur2``) and
``keyed_partition(key_bytes, num_partitions)`` (``toPositive(murmur2(key)) % n``, the rule of
``KafkaProducer.partition`` for a record with a key).  The substitution points are the module
attributes the producer looks up: ``glasskafka.client.dispatch.keyed_partition`` (asked for
every keyed record the producer node sends) and ``glasskafka.client.partitioner.murmur2`` and
``.keyed_partition``.  An answer outside ``0..n-1`` is reported at once as a failure rather
than left to confuse the producer.

The checks, in order:

1. golden vectors: Kafka's own ``UtilsTest.testMurmur2`` values, librdkafka's
   ``java_murmur2_results`` (every tail length, the empty key) and keyed partitions, among them
   keys whose hash is negative, where ``abs`` and ``& 0x7fffffff`` disagree;
2. a property: the same hash and partition as the reference for any bytes and partition count;
3. a model check: a real :class:`~glasskafka.client.producer.ProducerNode` in the simulator
   sends keyed records to a five-partition topic on two fake brokers (``model_tests/
   test_producer_node_fakes.py``); after every step every record must sit in the partition
   Kafka's Java client would choose for its key, and each partition's records must stand in
   send order (ORDER-1).

Every Kafka client must agree on these numbers: a producer in Python and one in Java that
disagree send the same key to two partitions, and the per-key order Kafka promises is gone.
When a check fails, :func:`draw_counterexample` draws a few keys with Kafka's partition and the
student's side by side (``murmur2-counterexample.dot``, and ``.svg`` with Graphviz).

Usual wrong answers: no 32-bit masking (Python integers grow), an unsigned result, ``abs``
instead of ``& 0x7fffffff``, or the tail bytes mixed in the wrong order.

Spec IDs: ORDER-1 (through the model check).

Simplified from Kafka: nothing in the rule; the model check uses fake brokers, one replica each.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from glasskafka.client.murmur2 import murmur2 as reference_murmur2
from glasskafka.client.murmur2 import to_positive
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
from glasskafka.exercises.pictures import dot_text, write_picture
from glasskafka.exercises.runner import check_settings

__all__ = ["LAB", "draw_counterexample", "reference_partition"]

_HASH = "murmur2"
_PARTITION = "keyed_partition"

# Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils/).
_KAFKA_VECTORS: tuple[tuple[bytes, int], ...] = (
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
)
# librdkafka's unittest_murmur2 (src/rdmurmur2.c): Java's results as unsigned 32-bit values.
_LIBRDKAFKA_VECTORS: tuple[tuple[bytes, int], ...] = (
    (b"kafka", 0xD067CF64),
    (b"giberish123456789", 0x8F552B0C),
    (b"1234", 0x9FC97B14),
    (b"234", 0xE7C009CA),
    (b"34", 0x873930DA),
    (b"4", 0x5A4B5CA1),
    (b"", 0x106E08D9),
)
_PARTITIONS: tuple[tuple[bytes, int, int], ...] = (
    (b"key", 3, 1),
    (b"foobar", 3, 0),
    (b"foobar", 4, 2),
    (b"foobar", 10, 6),
    (b"21", 50, 40),
    (b"", 4, 1),
    (b"abc", 7, (479470107 % 7)),
)
_MODEL_PARTITIONS = 5
_PICTURE_KEYS = (b"", b"a", b"21", b"abc", b"user-1", b"user-2", b"foobar", b"order-17")


def reference_partition(key_bytes: bytes, num_partitions: int) -> int:
    """Kafka's rule, from the reference hash (the partitioner module is patched in a check)."""
    return to_positive(reference_murmur2(key_bytes)) % num_partitions


def _signed(unsigned: int) -> int:
    return unsigned - 2**32 if unsigned >= 2**31 else unsigned


def _ask(function: Callable[..., object], *arguments: object) -> object:
    try:
        return function(*arguments)
    except Exception as error:
        return raised(error)


def _hash_story(data: bytes, expected: int, got: object) -> LabFailure:
    note = ""
    if isinstance(got, int) and got != expected and got & 0xFFFFFFFF == expected & 0xFFFFFFFF:
        note = "  (the right 32 bits, but Java returns a signed int)"
    elif isinstance(got, int) and not -(2**31) <= got < 2**31:
        note = "  (not a 32-bit int: mask every product with & 0xFFFFFFFF)"
    return LabFailure(inputs=f"{_HASH}({data!r})", expected=str(expected), got=shown(got) + note)


def _golden(context: CheckContext) -> None:
    hash_function = context.student[_HASH]
    vectors = [*_KAFKA_VECTORS, *((d, _signed(u)) for d, u in _LIBRDKAFKA_VECTORS)]
    for data, expected in vectors:
        got = _ask(hash_function, data)
        if got != expected:
            raise _hash_story(data, expected, got)
    choose = context.student[_PARTITION]
    for key, count, expected in _PARTITIONS:
        got = _ask(choose, key, count)
        if got != expected:
            raise LabFailure(
                inputs=f"{_PARTITION}({key!r}, {count})  (murmur2 = {reference_murmur2(key)})",
                expected=str(expected),
                got=shown(got),
            )
    refused = _ask(choose, b"k", 0)
    if not (isinstance(refused, str) and refused.startswith("raised ValueError")):
        raise LabFailure(
            inputs=f"{_PARTITION}(b'k', 0)", expected="raised ValueError", got=shown(refused)
        )


def _agrees(context: CheckContext) -> None:
    hash_function = context.student[_HASH]
    choose = context.student[_PARTITION]

    @check_settings(context)
    @given(data=st.binary(max_size=48), count=st.integers(1, 1000))
    def agrees(data: bytes, count: int) -> None:
        expected = reference_murmur2(data)
        got = _ask(hash_function, data)
        if got != expected:
            raise _hash_story(data, expected, got)
        wanted = reference_partition(data, count)
        chosen = _ask(choose, data, count)
        if chosen != wanted:
            raise LabFailure(
                inputs=f"{_PARTITION}({data!r}, {count})  (murmur2 = {expected})",
                expected=str(wanted),
                got=shown(chosen),
            )

    agrees()


def _keyed_partition_with(student: Student) -> Callable[[bytes, int], int]:
    choose = student[_PARTITION]

    def keyed_partition(key_bytes: bytes, num_partitions: int) -> int:
        """The producer's keyed-partition rule, asked of the student's function."""
        chosen = choose(key_bytes, num_partitions)
        if not isinstance(chosen, int) or isinstance(chosen, bool):
            raise LabFailure(
                inputs=f"{_PARTITION}({key_bytes!r}, {num_partitions})",
                expected="an int",
                got=repr(chosen),
            )
        if not 0 <= chosen < num_partitions:
            raise LabFailure(
                inputs=f"{_PARTITION}({key_bytes!r}, {num_partitions})",
                expected=f"a partition from 0 to {num_partitions - 1}",
                got=repr(chosen),
            )
        return chosen

    return keyed_partition


def _student_hash(student: Student) -> Callable[[bytes], Any]:
    return student[_HASH]


def _run_keyed_producer(context: CheckContext) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    from glasskafka.exercises.keyed_producer_model import keyed_producer_machine

    machine = keyed_producer_machine(_MODEL_PARTITIONS, reference_partition)
    # No shrinking: a run of a producer node shrinks slowly; the run is reported as found.
    run_state_machine_as_test(machine, settings=check_settings(context, shrink=False))


def draw_counterexample(student: Student, directory: Path) -> list[Path]:
    """Draw a few keys with Kafka's partition and the student's; return the files written."""
    choose = student[_PARTITION]
    count = _MODEL_PARTITIONS
    lines = [
        "digraph murmur2_counterexample {",
        '  rankdir=LR; fontname="Helvetica"; labelloc="t";',
        f'  label="keyed_partition(key, {count}): Kafka (black) and yours '
        '(red, where they differ)";',
        '  node [fontname="Helvetica", fontsize=10];',
    ]
    lines += [f'  p{p} [label="partition {p}", shape=box];' for p in range(count)]
    for number, key in enumerate(_PICTURE_KEYS):
        wanted = reference_partition(key, count)
        got = _ask(choose, key, count)
        lines.append(f'  k{number} [label="{dot_text(repr(key))}", shape=ellipse];')
        lines.append(f"  k{number} -> p{wanted};")
        if got != wanted:
            if isinstance(got, int) and 0 <= got < count:
                lines.append(f'  k{number} -> p{got} [color=red, style=dashed, label="yours"];')
            else:
                lines.append(f'  bad{number} [label="{dot_text(shown(got))}", color=red];')
                lines.append(f"  k{number} -> bad{number} [color=red, style=dashed];")
    lines.append("}")
    return write_picture("\n".join(lines) + "\n", directory, "murmur2-counterexample")


LAB = Lab(
    name="murmur2",
    title="murmur2 and the keyed partition",
    teaches="Why every Kafka client must hash a key to exactly the same partition, and how "
    "Java's 32-bit signed arithmetic is reproduced bit for bit.",
    minutes=30,
    reference="glasskafka.client.murmur2.murmur2 and glasskafka.client.partitioner.keyed_partition",
    file_name="murmur2_lab.py",
    template="murmur2",
    entry_points=(_HASH, _PARTITION),
    readme="""
## Goal

Write `murmur2(data)`, the 32-bit MurmurHash2 of Kafka's Java client, and
`keyed_partition(key_bytes, num_partitions)`, the partition a record with that key goes to.
While the check runs, every keyed record glasskafka's producer sends goes where your
`keyed_partition` says, and the check compares it with where Kafka's Java client puts it.

## Hints

- Java's `int` wraps at 32 bits; Python's integers do not.  Mask every product:
  `(h * m) & 0xFFFFFFFF`.
- Read each 4-byte group little-endian: `int.from_bytes(data[i:i + 4], "little")`.
- The 1-3 bytes left over are mixed in from the last one down (Java's `switch` falls through).
- The result is a signed int: turn a value of 2**31 or more into a negative number at the end.
- `toPositive(x)` is `x & 0x7fffffff`, not `abs(x)`: try a key whose hash is negative.
""",
    substitutions=(
        Substitution(
            target="glasskafka.client.dispatch.keyed_partition", build=_keyed_partition_with
        ),
        Substitution(
            target="glasskafka.client.partitioner.keyed_partition", build=_keyed_partition_with
        ),
        Substitution(target="glasskafka.client.partitioner.murmur2", build=_student_hash),
    ),
    checks=(
        Check(name="Kafka's and librdkafka's test vectors", kind="unit", run=_golden),
        Check(name="the same hash and partition as Java", kind="property", run=_agrees),
        Check(
            name="model: a keyed producer in the simulator (ORDER-1, Kafka's partition per key)",
            kind="model",
            run=_run_keyed_producer,
            needs_source_checkout=True,
        ),
    ),
    picture=draw_counterexample,
)
