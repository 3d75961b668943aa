"""Draw chapter 7's lost response and its retry as a sequence diagram, as Graphviz DOT.

Run from the repository root::

    python -m tutorials.ch07_the_idempotent_producer.draw_sequence > lost_response.dot
    dot -Tsvg lost_response.dot > lost_response.svg      # needs Graphviz

It runs ``lost_response``'s experiment with ``enable.idempotence=true`` and draws, with
``glasskafka.viz.sequence``, the messages between the producer and the broker from the ``send``
on: the ProduceRequest, the ProduceResponse lost when the network breaks (a red barred arrow),
the retries lost while it is down, and the retry that arrives and is answered with the original
offset.  Metadata requests, timers and repeated notices of the broken connection are left out so the
story fits on a page; the network
partition is drawn between the two lanes shown.  The chapter shows the ``lost_response.dot`` kept
beside this script, and the chapter's test checks that it is exactly what this script prints.

Spec IDs: none (a picture of IDEM-3's subject).

Simplified from Kafka: Kafka draws nothing; the style follows the sequence diagrams of Kafka's
KIPs.
"""

from __future__ import annotations

import dataclasses

from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.produce import ProduceRequest, ProduceResponse
from glasskafka.sim import (
    Called,
    ConnectionLost,
    Delivered,
    Dropped,
    Healed,
    Partitioned,
    Sent,
    TraceEvent,
)
from glasskafka.viz.sequence import sequence_diagram

from tutorials.ch07_the_idempotent_producer.common import (
    BROKER,
    PRODUCER,
    events_since,
    lose_one_response,
)

__all__ = ["dot_source", "main", "story_events"]

LANES = (PRODUCER, BROKER)


def _is_produce(event: Sent | Delivered | Dropped) -> bool:
    message = event.message
    body = message.body if isinstance(message, KafkaRequest | KafkaResponse) else message
    return isinstance(body, ProduceRequest | ProduceResponse)


def story_events(events: list[TraceEvent]) -> list[TraceEvent]:
    """The events the picture shows: produce traffic, the call, lost connections, the cut."""
    kept: list[TraceEvent] = []
    told: set[str] = set()
    for event in events:
        match event:
            case Sent() | Delivered() | Dropped():
                if _is_produce(event) and {event.sender, event.receiver} == set(LANES):
                    kept.append(event)
            case Called(node_id=node) if node in LANES:
                kept.append(event)
            case ConnectionLost(node_id=node, peer=peer) if node in LANES and peer in LANES:
                # The producer is told again at every metadata request the cut drops; the first
                # notice per node tells the story.
                if node not in told:
                    told.add(node)
                    kept.append(event)
            case Partitioned():
                # Only the two lanes are drawn: show the cut between them.
                kept.append(dataclasses.replace(event, groups=((PRODUCER,), (BROKER,))))
            case Healed():
                kept.append(event)
            case _:
                pass
    return kept


def dot_source() -> str:
    """The DOT source of the picture."""
    run = lose_one_response(idempotent=True)
    title = "enable.idempotence=true: the answer to r0 is lost, the retry is deduplicated"
    graph = sequence_diagram(story_events(events_since(run)), node_ids=list(LANES), title=title)
    return str(graph.source)


def main() -> None:
    """Print the DOT source."""
    print(dot_source(), end="")


if __name__ == "__main__":
    main()
