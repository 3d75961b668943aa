"""Draw chapter 4's pictures from real simulator runs, as Graphviz DOT.

Run from the repository root::

    python -m tutorials.ch04_replication_and_acks.draw_pictures acks_1_loss > acks_1_loss.dot
    dot -Tsvg acks_1_loss.dot > acks_1_loss.svg        # needs Graphviz

The argument names a figure (``--list`` prints them):

* ``acks_1_loss`` -- the counterexample of ``losing_a_broker``'s first story, drawn with
  ``glasskafka.viz.cluster.counterexample_dot``: the moment the producer is told m2 is stored,
  the election of a follower without m2, and the cluster after it settled;
* ``watermarks`` -- the cluster of ``high_watermark`` when the consumer got m1 only, drawn with
  ``cluster_dot``: the leader's LEO is 2, its HW 1.

The chapter shows the ``.dot`` files kept beside this script; the chapter's test checks that each
is exactly what this script prints, so the pictures cannot drift from the code.

Spec IDs: none (tutorial pictures).

Simplified from Kafka: Kafka draws nothing; these are the pictures a lecture draws by hand.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from glasskafka.viz.cluster import cluster_dot, counterexample_dot

from model_tests.replication_scenarios import S9
from model_tests.replication_script import play
from tutorials.ch04_replication_and_acks.high_watermark import WATERMARKS
from tutorials.listings import draw_figure

__all__ = ["FIGURES", "main"]


def _acks_1_loss() -> str:
    snapshots = play(S9, flag_on=False).snapshots
    panels = [snapshots[5], snapshots[7], snapshots[8]]
    return counterexample_dot(panels, title="acks=1: an acknowledged record is lost")


def _watermarks() -> str:
    caption, snapshot = play(WATERMARKS, flag_on=False).snapshots[8]
    return cluster_dot(snapshot, title=f"LEO and HW: {caption}")


FIGURES: dict[str, Callable[[], str]] = {
    "acks_1_loss": _acks_1_loss,
    "watermarks": _watermarks,
}


def main(argv: list[str]) -> int:
    """Print the DOT of the figure named in ``argv``; exit status 2 for a bad name."""
    return draw_figure(FIGURES, argv, program="draw_pictures")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
