"""murmur2 and the keyed-partition rule, checked against Kafka's and librdkafka's own vectors.

A keyed record must land on the partition every other Kafka client chooses, so these are exact
values, not properties: Kafka's ``UtilsTest.testMurmur2``
(``clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java``), the
``java_murmur2_results`` of librdkafka's ``unittest_murmur2`` (``src/rdmurmur2.c``, which
exercises every tail length), and the partitions ``reference/clients-and-groups.md`` §8 derives.

Spec IDs: none (exact vectors).

Simplified from Kafka: nothing; these are Kafka's numbers.
"""

from __future__ import annotations

import pytest
from glasskafka.client.murmur2 import murmur2, to_positive
from glasskafka.client.partitioner import keyed_partition
from glasskafka.errors import GlassKafkaError

KAFKA_UTILS_TEST = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
]

LIBRDKAFKA_UNITTEST = [
    (b"kafka", 0xD067CF64),
    (b"giberish123456789", 0x8F552B0C),
    (b"1234", 0x9FC97B14),
    (b"234", 0xE7C009CA),
    (b"34", 0x873930DA),
    (b"4", 0x5A4B5CA1),
    (b"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424F1C),
    (b"reAmbleWillBeRemoved,ThePrePartThatIs", 0x4A62B377),
    (b"eAmbleWillBeRemoved,ThePrePartThatIs", 0xE0E4E09E),
    (b"AmbleWillBeRemoved,ThePrePartThatIs", 0x62B8B43F),
    (b"", 0x106E08D9),
]


@pytest.mark.parametrize(("data", "expected"), KAFKA_UTILS_TEST)
def test_murmur2_matches_kafkas_utils_test(data: bytes, expected: int) -> None:
    assert murmur2(data) == expected


@pytest.mark.parametrize(("data", "unsigned"), LIBRDKAFKA_UNITTEST)
def test_murmur2_matches_librdkafkas_java_results(data: bytes, unsigned: int) -> None:
    assert murmur2(data) & 0xFFFFFFFF == unsigned
    assert -(2**31) <= murmur2(data) < 2**31  # a Java int


def test_to_positive_clears_the_sign_bit_and_is_not_abs() -> None:
    assert to_positive(-1) == 2**31 - 1
    assert to_positive(-(2**31)) == 0  # abs() of this does not fit a Java int
    assert to_positive(-5) != abs(-5)
    assert to_positive(12345) == 12345


@pytest.mark.parametrize(
    ("key", "partitions", "expected"),
    [
        (b"key", 3, 1),
        (b"key", 6, 1),
        (b"key", 10, 1),
        (b"foobar", 3, 0),
        (b"foobar", 4, 2),
        (b"foobar", 10, 6),
        (b"21", 50, 40),
        (b"", 4, 1),
    ],
)
def test_keyed_partitions_match_the_reference(key: bytes, partitions: int, expected: int) -> None:
    assert keyed_partition(key, partitions) == expected


def test_a_topic_without_partitions_is_refused() -> None:
    with pytest.raises(GlassKafkaError, match="num_partitions=0"):
        keyed_partition(b"k", 0)
