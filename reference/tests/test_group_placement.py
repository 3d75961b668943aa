"""Coordinator placement: Java's String.hashCode, Kafka's Utils.abs, and the partition they pick.

Golden vectors from ``reference/clients-and-groups.md`` §9 (each hash checked against Java's
``String.hashCode``); the table there shows why ``Utils.abs`` and not a mask or Python's ``abs``.
"""

from __future__ import annotations

import pytest
from glasskafka.config import BrokerConfig
from glasskafka.group import (
    OFFSETS_TOPIC,
    GroupCoordinatorConfig,
    java_string_hash,
    partition_for,
    utils_abs,
)


@pytest.mark.parametrize(
    ("group_id", "hash_code", "partition"),
    [
        ("my-group", -1906497762, 12),
        ("polygenelubricants", -(2**31), 0),
        ("test-group", 627841412, 12),
        ("group", 98629247, 47),
        ("payments", 1382682413, 13),
        ("", 0, 0),
    ],
)
def test_golden_placements(group_id: str, hash_code: int, partition: int) -> None:
    assert java_string_hash(group_id) == hash_code
    assert partition_for(group_id, 50) == partition


def test_worked_example_from_the_reference() -> None:
    """my-group: hash -1906497762, Utils.abs 1906497762, mod 50 = 12; masking would give 36."""
    assert utils_abs(java_string_hash("my-group")) == 1906497762
    assert (java_string_hash("my-group") & 0x7FFFFFFF) % 50 == 36
    assert partition_for("my-group", 50) == 12


def test_integer_min_value_maps_to_partition_zero_not_python_abs() -> None:
    """Python's abs would give 2**31 and partition 48; Kafka's Utils.abs gives 0."""
    assert abs(java_string_hash("polygenelubricants")) % 50 == 48
    assert partition_for("polygenelubricants", 50) == 0


def test_hash_counts_utf16_code_units_like_java() -> None:
    # U+1F600 is the surrogate pair D83D DE00 in Java: 31 * 0xD83D + 0xDE00.
    assert java_string_hash("\U0001f600") == 31 * 0xD83D + 0xDE00
    assert java_string_hash("é") == 0xE9


def test_hash_wraps_at_32_bits() -> None:
    long_id = "consumer-group-" * 20
    value = 0
    for char in long_id:
        value = (31 * value + ord(char)) % 2**32
    expected = value - 2**32 if value >= 2**31 else value
    assert java_string_hash(long_id) == expected


def test_bad_arguments_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"offsets\.topic\.num\.partitions=0"):
        partition_for("g", 0)
    with pytest.raises(ValueError, match="32-bit"):
        utils_abs(2**31)


def test_defaults_come_from_the_broker_config() -> None:
    config = GroupCoordinatorConfig.from_broker(BrokerConfig())
    assert config.offsets_topic_num_partitions == 50
    assert config.group_initial_rebalance_delay_ms == 3000
    assert config.group_min_session_timeout_ms == 6000
    assert config.group_max_session_timeout_ms == 1800000
    assert OFFSETS_TOPIC == "__consumer_offsets"
