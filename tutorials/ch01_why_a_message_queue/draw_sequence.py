"""The lab bench, part 4: draw the produce and the fetch as a sequence diagram.

Run from the repository root::

    python -m tutorials.ch01_why_a_message_queue.draw_sequence > produce_and_fetch.dot
    dot -Tsvg produce_and_fetch.dot > produce_and_fetch.svg      # needs Graphviz

It runs the experiment of ``trace_story`` (seed 7) and prints, as DOT source, the trace events
of the produce and the fetch drawn by ``glasskafka.viz.sequence.sequence_diagram``: one lifeline
per node, time flowing down, one arrow per delivered message.  The chapter shows the
``produce_and_fetch.dot`` kept beside this script, and the chapter's test checks that it is
exactly what this script prints.

Spec IDs: none (a picture).

Simplified from Kafka: Kafka draws no pictures of its traffic; the style follows the sequence
diagrams of Kafka's KIPs.
"""

from __future__ import annotations

from glasskafka.ids import NodeId
from glasskafka.viz.sequence import sequence_diagram

from tutorials.ch01_why_a_message_queue.common import LAB_SEED, produce_and_fetch

__all__ = ["dot_source", "main"]


def dot_source() -> str:
    """The DOT source of the picture."""
    cluster, first_event = produce_and_fetch(LAB_SEED)
    events = cluster.sim.trace.events[first_event:]
    title = f"a produce (acks=all) and a fetch of greetings-0, seed {LAB_SEED}"
    # The client on the left, as the request flows left to right.
    lanes = [NodeId("client-1"), NodeId("broker-1")]
    source: str = sequence_diagram(events, node_ids=lanes, title=title).source
    return source


def main() -> None:
    """Print the picture's DOT source."""
    print(dot_source(), end="")


if __name__ == "__main__":
    main()
