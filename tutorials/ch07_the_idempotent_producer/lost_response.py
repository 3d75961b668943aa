"""The course's question, "how do we demonstrate idempotence?", answered by running it.

Run from the repository root::

    python -m tutorials.ch07_the_idempotent_producer.lost_response

The same experiment twice, on one broker and the topic ``payments``: a producer sends ``r0``,
the broker appends it, and the network between them breaks while the ProduceResponse is on its
way.  The producer never hears "stored", so once the network heals it sends the batch again.

1. ``enable.idempotence=false`` -- the broker cannot tell the retry from a new record and
   appends it a second time: the log holds r0 twice, and the producer is told offset 1;
2. ``enable.idempotence=true`` (Kafka's default since 3.0) -- the producer first asks for a
   producer id (InitProducerId) and stamps the batch with it, its epoch and sequence 0; the
   broker finds that batch among the last five it appended for this producer and answers with
   the original offset, appending nothing.

For each run the script prints every InitProducerId and Produce message with what became of it
(arrived or lost, and why), what ``send`` finally reported, and the partition's log batch by
batch.

Spec IDs: IDEM-1 (no batch twice), IDEM-3 (a retry is answered with the original offset).

Simplified from Kafka: one broker, so ``acks=all`` waits for nobody else; the network is cut
for 50 ms, where a real outage lasts longer and the producer's ``delivery.timeout.ms`` (two
minutes) bounds how long it keeps retrying.
"""

from __future__ import annotations

from tutorials.ch07_the_idempotent_producer.common import (
    answer_line,
    exchange_lines,
    log_lines,
    lose_one_response,
)

__all__ = ["main"]


def main() -> None:
    """Run the experiment without and with idempotence and print both stories."""
    for idempotent in (False, True):
        run = lose_one_response(idempotent=idempotent)
        print(f"== enable.idempotence={str(idempotent).lower()} ==")
        print("\n".join(exchange_lines(run.cluster.sim.trace.events)))
        print(answer_line(run))
        print("the log of payments-0:")
        print("\n".join(log_lines(run.cluster)))
        print()


if __name__ == "__main__":
    main()
