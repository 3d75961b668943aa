"""Draw chapter 5's pictures from real simulator runs, as Graphviz DOT.

Run from the repository root::

    python -m tutorials.ch05_leader_election.draw_pictures election > election.dot
    dot -Tsvg election.dot > election.svg        # needs Graphviz

The argument names a figure (``--list`` prints them):

* ``election`` -- the failover of ``failover.py`` as a sequence diagram
  (``glasskafka.viz.sequence``): the crash, the watch, the controller reading and writing the
  partition's state znode, the LeaderAndIsr it sends;
* ``unclean_election`` -- the counterexample of ``unclean_election.py`` drawn with
  ``glasskafka.viz.cluster.counterexample_dot``: m2 acknowledged by a leader alone in its ISR,
  the unclean election of a replica without it, and the cluster after it settled.

The chapter shows the ``.dot`` files kept beside this script; the chapter's test checks that each
is exactly what this script prints, so the pictures cannot drift from the code.

Spec IDs: none (tutorial pictures).

Simplified from Kafka: Kafka draws nothing; ``kafka-topics --describe`` and the controller's log
tell the same story in text.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from glasskafka.ids import NodeId
from glasskafka.viz.cluster import counterexample_dot
from glasskafka.viz.sequence import sequence_diagram

from model_tests.replication_scenarios import S8
from model_tests.replication_script import play
from tutorials.ch05_leader_election.failover import election_events, fail_the_leader
from tutorials.listings import draw_figure

__all__ = ["FIGURES", "main"]


def _election() -> str:
    _, events, _, _ = fail_the_leader()
    nodes = [NodeId(name) for name in ("zk", "broker-1", "broker-2", "broker-3")]
    title = "broker 1, the leader, fails; broker 2 is the controller"
    graph = sequence_diagram(election_events(events), node_ids=nodes, title=title)
    return str(graph.source)


def _unclean_election() -> str:
    snapshots = play(S8, flag_on=True).snapshots
    panels = [snapshots[5], snapshots[9], snapshots[13]]
    return counterexample_dot(panels, title="unclean election: acknowledged m2 is lost")


FIGURES: dict[str, Callable[[], str]] = {
    "election": _election,
    "unclean_election": _unclean_election,
}


def main(argv: list[str]) -> int:
    """Print the DOT of the figure named in ``argv``; exit status 2 for a bad name."""
    return draw_figure(FIGURES, argv, program="draw_pictures")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
