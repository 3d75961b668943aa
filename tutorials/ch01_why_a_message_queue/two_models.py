"""Point-to-point and publish-subscribe, both with one topic: what a consumer group changes.

Run from the repository root::

    python -m tutorials.ch01_why_a_message_queue.two_models

The order service writes orders to the topic ``orders`` (two partitions; it alternates between
them, as chapter 3 explains producers may).  Then:

1. **point-to-point** (点对点): the group ``billing`` has two members, and each partition is read
   by exactly one of them, so each order is processed once;
2. **publish-subscribe** (发布订阅): the groups ``billing``, ``shipping`` and ``analytics`` each
   read every order, each at its own position;
3. **decoupling** (解耦): ``analytics`` is retired and ``fraud-check`` joins, reading from the
   beginning; the order service does not change at all.

Spec IDs: none (a demonstration).

Simplified from Kafka: here the script gives each member its partitions and keeps each group's
positions.  In Kafka a group's coordinator and assignor share out the partitions (chapter 9 and
the consumer-group chapter), and the group commits its positions to ``__consumer_offsets``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.sim.kafka_cluster import ACKS_ALL, KafkaCluster

from tutorials.ch01_why_a_message_queue.common import read_from, start_cluster

__all__ = ["Group", "log_end_offset", "main", "write_orders"]

TOPIC = "orders"


@dataclass(slots=True, kw_only=True)
class Group:
    """A consumer group as this script models it: members, their partitions, its positions."""

    group_id: str
    members: dict[str, tuple[int, ...]]
    positions: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 0})

    def poll(self, cluster: KafkaCluster) -> dict[str, list[str]]:
        """Each member reads its partitions from the group's positions; returns what it got."""
        got: dict[str, list[str]] = {}
        for member, partitions in sorted(self.members.items()):
            got[member] = []
            for partition in partitions:
                records = read_from(cluster, TOPIC, partition, self.positions[partition])
                got[member] += [(r.value or b"").decode() for r in records]
                self.positions[partition] += len(records)
        return got

    def where(self) -> str:
        return ", ".join(f"partition {p} at offset {o}" for p, o in sorted(self.positions.items()))


def write_orders(cluster: KafkaCluster, first: int, last: int) -> None:
    """The order service writes orders ``first`` .. ``last``, alternating the partitions."""
    for number in range(first, last + 1):
        partition = (number - 1) % 2
        result = cluster.produce(TOPIC, partition, [(None, b"order-%d" % number)], acks=ACKS_ALL)
        print(f"  order-{number} -> partition {partition}, offset {result.base_offset}")


def show(group: Group, got: dict[str, list[str]]) -> None:
    for member, orders in got.items():
        partitions = ", ".join(map(str, group.members[member]))
        print(f"  {group.group_id}/{member} (partition {partitions}): {', '.join(orders) or '-'}")


def main() -> None:
    """Run the three acts on one cluster."""
    cluster = start_cluster(brokers=3, seed=2, topic=TOPIC, partitions=2)
    print("the order service writes six orders:")
    write_orders(cluster, 1, 6)

    print("\npoint-to-point: one group, two members, each order to one of them")
    billing = Group(group_id="billing", members={"billing-1": (0,), "billing-2": (1,)})
    show(billing, billing.poll(cluster))

    print("\npublish-subscribe: every group reads every order")
    shipping = Group(group_id="shipping", members={"shipping-1": (0, 1)})
    analytics = Group(group_id="analytics", members={"analytics-1": (0, 1)})
    for group in (shipping, analytics):
        show(group, group.poll(cluster))
    for group in (billing, shipping, analytics):
        print(f"  {group.group_id}: {group.where()}")

    print("\ndecoupling: analytics retires, fraud-check joins; the order service is unchanged")
    write_orders(cluster, 7, 8)
    fraud_check = Group(group_id="fraud-check", members={"fraud-check-1": (0, 1)})
    for group in (billing, shipping, fraud_check):
        show(group, group.poll(cluster))
    for group in (billing, shipping, analytics, fraud_check):
        print(f"  {group.group_id}: {group.where()}")
    print("reading took nothing away: each partition still holds all its orders")
    for partition in (0, 1):
        print(f"  partition {partition}: {log_end_offset(cluster, partition)} orders")


def log_end_offset(cluster: KafkaCluster, partition: int) -> int:
    """The log end offset of ``orders``-``partition`` on its leader."""
    state = cluster.broker(cluster.leader(TOPIC, partition)).partition_state(TOPIC, partition)
    assert state is not None, f"the leader holds no replica of {TOPIC}-{partition}"
    return state.log_end_offset


if __name__ == "__main__":
    main()
