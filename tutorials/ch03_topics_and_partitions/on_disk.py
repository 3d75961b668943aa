"""Each partition replica is a directory ``<topic>-<partition>`` on its broker's disk.

Run from the repository root::

    python -m tutorials.ch03_topics_and_partitions.on_disk

It writes the chapter's eight page visits and lists every broker's (simulated) disk, grouped
by directory: one directory per replica the broker holds, and in it the segment's ``.log``,
``.index`` and ``.timeindex`` files (named by the base offset, 0 here) and the
``leader-epoch-checkpoint``.  A broker holds no directory for a partition it has no replica of.

Spec IDs: none (a demonstration).

Simplified from Kafka: a real broker's ``log.dirs`` also holds ``meta.properties`` and the
checkpoint files of the whole broker; the disks here are simulated (``SimDisk``).
"""

from __future__ import annotations

from itertools import groupby

from glasskafka.sim.kafka_cluster import KafkaCluster

from tutorials.ch03_topics_and_partitions.common import TOPIC, produce_visits, start_with_topic

__all__ = ["list_disk", "main"]


def list_disk(cluster: KafkaCluster, broker_id: int) -> None:
    """The partition directories of one broker, with their files and sizes."""
    replicas = [p for p, rs in sorted(cluster.assignment(TOPIC).items()) if broker_id in rs]
    print(f"broker-{broker_id} (replicas of partitions {', '.join(map(str, replicas))}):")
    files = [(path, size) for path, size in cluster.disk_files(broker_id) if "/" in path]
    for directory, entries in groupby(files, key=lambda file: file[0].split("/")[0]):
        print(f"  {directory}/")
        for path, size in entries:
            print(f"    {path.split('/', 1)[1]:<32} {size:>4} bytes")


def main() -> None:
    """Write the visits, then list each broker's disk."""
    cluster = start_with_topic()
    produce_visits(cluster)
    for broker_id in cluster.broker_ids:
        list_disk(cluster, broker_id)


if __name__ == "__main__":
    main()
