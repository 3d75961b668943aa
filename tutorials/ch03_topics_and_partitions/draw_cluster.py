"""Draw the cluster after the page visits: brokers, replicas, leaders and each partition's log.

Run from the repository root::

    python -m tutorials.ch03_topics_and_partitions.draw_cluster > page_visits.dot
    dot -Tsvg page_visits.dot > page_visits.svg      # needs Graphviz

It writes the chapter's eight page visits and prints, as DOT source, a snapshot of the cluster
drawn by ``glasskafka.viz.cluster.cluster_dot``: on top the partition state znodes (leader,
leader epoch, ISR); below, one box per broker with one table per replica it holds, whose cells
are the log, one per offset.  The chapter shows the ``page_visits.dot`` kept beside this script,
and the chapter's test checks that it is exactly what this script prints.

Spec IDs: none (a picture; ``viz.cluster`` flags where REPL-2, REPL-4 and REPL-5 are at
stake).

Simplified from Kafka: Kafka has no such picture; its tools print the same facts as text.
"""

from __future__ import annotations

from glasskafka.sim.replication_observer import ReplicationObserver
from glasskafka.viz.cluster import cluster_dot

from tutorials.ch03_topics_and_partitions.common import TOPIC, produce_visits, start_with_topic

__all__ = ["dot_source", "main"]


def dot_source() -> str:
    """The DOT source of the picture."""
    observer = ReplicationObserver()
    cluster = start_with_topic(observer)
    produce_visits(cluster)
    title = f"{TOPIC}: 5 partitions, replication factor 2, on 3 brokers"
    return cluster_dot(observer.snapshot(), title=title)


def main() -> None:
    """Print the picture's DOT source."""
    print(dot_source(), end="")


if __name__ == "__main__":
    main()
