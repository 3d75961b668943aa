"""Coordinator placement: which ``__consumer_offsets`` partition, and so which broker, owns a group.

Theory of operation
-------------------
A group's members, generation and committed offsets all live with one broker, its *group
coordinator*.  Kafka picks it without any negotiation: the group id is hashed onto a partition of
the compacted ``__consumer_offsets`` topic, and whichever broker leads that partition coordinates
the group (``reference/clients-and-groups.md`` §9; ``GroupMetadataManager.partitionFor``)::

    partition = Utils.abs(group_id.hashCode()) % offsets.topic.num.partitions

Three details make a faithful copy tricky, and each has a function here:

* :func:`java_string_hash` is Java's ``String.hashCode``: ``h = 31*h + c`` over the UTF-16 code
  units of the string, wrapping at 32 bits and read as a signed ``int``.  Python's ``hash`` is
  salted per process and would put a group on a different broker on every run.
* :func:`utils_abs` is Kafka's ``Utils.abs``: ``|n|``, except that ``Integer.MIN_VALUE`` (whose
  absolute value does not fit in an ``int``) becomes 0.  Java's ``Math.abs`` would leave it
  negative, Python's ``abs`` would give 2**31, and the producer's ``toPositive`` masks the sign
  bit instead; each picks a different partition for some group (the golden tests show one).
* The modulus uses the topic's partition count *when the topic was created*; changing
  ``offsets.topic.num.partitions`` later would move every group, which is why Kafka never does.

Worked example (§9): ``"my-group"`` hashes to -1906497762; ``Utils.abs`` gives 1906497762, and
1906497762 mod 50 = 12, so the coordinator is the leader of ``__consumer_offsets-12``.

Spec IDs: none; placement is a pure function, pinned by golden tests.

Simplified from Kafka: nothing; the function is exact.  Kafka's transaction coordinator places
``transactional.id`` the same way on ``__transaction_state``, which glasskafka does not have.
"""

from __future__ import annotations

from glasskafka.ids import PartitionId

__all__ = ["OFFSETS_TOPIC", "java_string_hash", "partition_for", "utils_abs"]

OFFSETS_TOPIC = "__consumer_offsets"
"""The compacted internal topic holding groups and offsets (``Topic.GROUP_METADATA_TOPIC_NAME``)."""

_INT_MIN = -(2**31)


def _signed_32(value: int) -> int:
    """Read the low 32 bits of ``value`` as a Java ``int``."""
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode`` of ``text``: a signed 32-bit integer.

    Java strings are UTF-16, so a character outside the Basic Multilingual Plane counts as its
    two surrogate code units, exactly as Java iterates them.
    """
    raw = text.encode("utf-16-be", "surrogatepass")
    value = 0
    for index in range(0, len(raw), 2):
        unit = (raw[index] << 8) | raw[index + 1]
        value = (31 * value + unit) & 0xFFFFFFFF
    return _signed_32(value)


def utils_abs(number: int) -> int:
    """Kafka's ``Utils.abs``: the absolute value of a Java ``int``, with MIN_VALUE mapped to 0."""
    if not _INT_MIN <= number < 2**31:
        raise ValueError(f"{number} is not a 32-bit signed integer")
    return 0 if number == _INT_MIN else abs(number)


def partition_for(group_id: str, offsets_topic_num_partitions: int) -> PartitionId:
    """The ``__consumer_offsets`` partition that coordinates ``group_id``.

    Raises ``ValueError`` if the partition count is not positive.
    """
    if offsets_topic_num_partitions < 1:
        raise ValueError(
            f"offsets.topic.num.partitions={offsets_topic_num_partitions}; it must be at least 1"
        )
    return PartitionId(utils_abs(java_string_hash(group_id)) % offsets_topic_num_partitions)
