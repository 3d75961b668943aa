"""Keys choose partitions, and every partition counts its own offsets from 0.

Run from the repository root::

    python -m tutorials.ch03_topics_and_partitions.keys_and_offsets

It writes eight page visits to ``page_visits``.  For each, it prints the key's murmur2 hash (as
Kafka's Java client computes it, made positive), the partition that hash chooses among the
topic's five, and the offset the partition's leader gave the record.  Then it lists every
partition: which offsets it holds and whose visits they are.

Spec IDs: none (a demonstration).

Simplified from Kafka: the partition is computed here and given to the scripted client; Kafka's
producer computes it inside ``send`` (``glasskafka.client.ProducerNode`` does the same).
"""

from __future__ import annotations

from glasskafka.client import murmur2, to_positive

from tutorials.ch03_topics_and_partitions.common import (
    PARTITIONS,
    TOPIC,
    Visit,
    produce_visits,
    start_with_topic,
)

__all__ = ["main", "per_partition"]


def per_partition(visits: list[Visit]) -> None:
    """Each partition's offsets, in order, with the visits they hold."""
    print(f"\nper partition of {TOPIC}:")
    for partition in range(PARTITIONS):
        held = [v for v in visits if v.partition == partition]
        if not held:
            print(f"  partition {partition}: empty (no key chose it)")
            continue
        cells = ", ".join(f"{v.offset}={v.user} {v.page}" for v in held)
        print(f"  partition {partition}: {cells}")


def main() -> None:
    """Write the visits, showing the partitioner's arithmetic, then list the partitions."""
    cluster = start_with_topic()
    visits = produce_visits(cluster)
    print("key      to_positive(murmur2(key))  mod 5  -> partition, offset")
    for visit in visits:
        hashed = to_positive(murmur2(visit.user.encode()))
        print(
            f"{visit.user:<8} {hashed:>25}  {hashed % PARTITIONS:>5}  -> "
            f"partition {visit.partition}, offset {visit.offset}   ({visit.page})"
        )
    per_partition(visits)


if __name__ == "__main__":
    main()
