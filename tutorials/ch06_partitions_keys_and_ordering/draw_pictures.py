"""Draw chapter 6's pictures from real simulator runs, as Graphviz DOT.

Run from the repository root::

    python -m tutorials.ch06_partitions_keys_and_ordering.draw_pictures keys > keys.dot
    dot -Tsvg keys.dot > keys.svg        # needs Graphviz

The argument names a figure (``--list`` prints them):

* ``keys`` -- the records of ``keyed_records``, in the order they were sent, each with an arrow to
  the partition the producer put it in, and each partition's log with the offsets it gave;
* ``reorder`` -- the run of ``retries_reorder`` without idempotence as a sequence diagram
  (``glasskafka.viz.sequence``): request A refused with NOT_ENOUGH_REPLICAS, request B held on
  the wire, and A's retry arriving after B.

The chapter shows the ``.dot`` files kept beside this script; the chapter's test checks that each
is exactly what this script prints, so the pictures cannot drift from the code.

Spec IDs: none (tutorial pictures of ORDER-1's subject).

Simplified from Kafka: Kafka draws nothing; ``kafka-console-consumer --property
print.partition=true`` shows the same placement in text.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable

import graphviz
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.produce import ProduceRequest, ProduceResponse
from glasskafka.sim import Called, Delivered, Dropped, Sent, TraceEvent
from glasskafka.viz.sequence import sequence_diagram

from tutorials.ch06_partitions_keys_and_ordering.common import PRODUCER
from tutorials.ch06_partitions_keys_and_ordering.keyed_records import (
    PARTITIONS,
    TOPIC,
    placements,
)
from tutorials.ch06_partitions_keys_and_ordering.retries_reorder import LEADER, reorder_run
from tutorials.listings import draw_figure

__all__ = ["FIGURES", "main"]

_FONT = "Helvetica"


def _keys() -> str:
    placed = placements()
    graph = graphviz.Digraph(name="keys")
    graph.attr(fontname=_FONT, nodesep="0.25", ranksep="1.2", labelloc="t")
    graph.attr(label="keyed records: partition = toPositive(murmur2(key)) % 3")
    graph.attr("node", fontname=_FONT, fontsize="10", shape="box")
    with graph.subgraph(name="sent") as sent:
        sent.attr(rank="same")
        for number, (key, value, _, _) in enumerate(placed):
            sent.node(f"send{number}", label=f"send {number + 1}\nkey={key}\n{value}")
        for number in range(len(placed) - 1):
            # Invisible edges within a rank keep the sends left to right in send order.
            sent.edge(f"send{number}", f"send{number + 1}", style="invis")
    with graph.subgraph(name="partitions") as logs:
        logs.attr(rank="same")
        for partition in range(PARTITIONS):
            cells = [f'<td bgcolor="lightyellow">{TOPIC}-{partition}</td>'] + [
                f'<td port="o{offset}">{offset}: {html.escape(value)}</td>'
                for _, value, where, offset in placed
                if where == partition
            ]
            table = '<table border="0" cellborder="1" cellspacing="0" cellpadding="6">'
            logs.node(
                f"p{partition}", label=f"<{table}<tr>{''.join(cells)}</tr></table>>", shape="none"
            )
        for partition in range(PARTITIONS - 1):
            logs.edge(f"p{partition}", f"p{partition + 1}", style="invis")
    for number, (_, _, partition, offset) in enumerate(placed):
        graph.edge(f"send{number}:s", f"p{partition}:o{offset}:n", color="navy")
    return str(graph.source)


def _is_produce(event: Sent | Delivered | Dropped) -> bool:
    message = event.message
    body = message.body if isinstance(message, KafkaRequest | KafkaResponse) else message
    return isinstance(body, ProduceRequest | ProduceResponse)


def _reorder() -> str:
    cluster, start = reorder_run(idempotent=False)
    lanes = (PRODUCER, LEADER)
    events: list[TraceEvent] = []
    for event in cluster.sim.trace.events[start:]:
        match event:
            case Sent() | Delivered() | Dropped():
                if _is_produce(event) and {event.sender, event.receiver} == set(lanes):
                    events.append(event)
            case Called(node_id=node) if node == PRODUCER:
                events.append(event)
            case _:
                pass
    title = "enable.idempotence=false, 5 in flight: m1 is refused, m2 overtakes it"
    return str(sequence_diagram(events, node_ids=list(lanes), title=title).source)


FIGURES: dict[str, Callable[[], str]] = {
    "keys": _keys,
    "reorder": _reorder,
}


def main(argv: list[str]) -> int:
    """Print the DOT of the figure named in ``argv``; exit status 2 for a bad name."""
    return draw_figure(FIGURES, argv, program="draw_pictures")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
