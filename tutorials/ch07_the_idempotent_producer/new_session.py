"""The limit of idempotence: a new producer session is a new producer.

Run from the repository root::

    python -m tutorials.ch07_the_idempotent_producer.new_session

The experiment of ``lost_response`` with idempotence on, but this time the producer's process
dies while it waits for the answer that was lost.  The application starts again, makes a new
producer and sends r0 again, since it never learned that r0 was stored.  The new producer asks
for a producer id and gets a *new* one: the broker has no way to tell that producer 1 is
producer 0 reborn, so it appends r0 a second time, and both copies are legal by every
idempotence rule (IDEM-1 counts ``(producer id, epoch, sequence)``, and these differ).

Idempotence is per producer session and per partition.  Surviving a restart needs a
``transactional.id`` that ties the sessions together and the transactions of KIP-98, which
glasskafka does not have.

Spec IDs: IDEM-1 (holds: the two copies carry different producer ids).

Simplified from Kafka: nothing; Kafka's idempotent producer has the same limit, and its
documentation says so (``enable.idempotence``: "exactly one copy of each message is written in
the stream" for the producer's lifetime).
"""

from __future__ import annotations

from glasskafka.client import FutureState

from tutorials.ch07_the_idempotent_producer.common import (
    PRODUCER,
    add_producer,
    exchange_lines,
    log_end,
    log_lines,
    producer,
    send,
    started_cluster,
)

__all__ = ["main"]


def main() -> None:
    """Lose the answer, crash the producer, send again from a new session; print the log."""
    cluster = started_cluster()
    add_producer(cluster, PRODUCER, idempotent=True)
    cluster.run_for(500)
    send(cluster, PRODUCER, "r0")
    assert cluster.run_until(lambda: log_end(cluster) == 1), "the broker never appended r0"
    cluster.sim.partition([PRODUCER])  # the answer is lost...
    cluster.sim.crash(PRODUCER)  # ...and the producer's process dies
    print("producer-1 sent r0, the answer was lost, and the process died")
    cluster.heal()
    cluster.sim.restart(PRODUCER)
    cluster.run_for(500)
    future = send(cluster, PRODUCER, "r0")
    cluster.run_until(lambda: producer(cluster).future(future).state is not FutureState.PENDING)
    print("the restarted application sent r0 again; the messages of both sessions:")
    print("\n".join(exchange_lines(cluster.sim.trace.events)))
    print("the log of payments-0:")
    print("\n".join(log_lines(cluster)))


if __name__ == "__main__":
    main()
