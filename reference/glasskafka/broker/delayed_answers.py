"""Answering parked operations: what a parked produce or fetch is answered with, and when.

Theory of operation
-------------------
The purgatory (``purgatory.py``) only keeps parked operations; the produce and fetch paths know
what their answers look like.  :func:`answer_of` asks the right path for one operation:

* not ``expired`` (a partition it watches was touched): the answer if the operation can be
  completed now -- every partition of an acks=all produce settled (``produce_path.py``), or a
  fetch with ``min_bytes`` available or an error to report (``fetch_path.py``) -- else ``None``;
* ``expired`` (its deadline timer fired): the answer with what it has, always.

The broker node then takes the operation out of the purgatory, sends the answer and unmutes the
peer (``BrokerNode._answer_parked``), as Kafka's ``DelayedOperation.forceComplete`` runs
``onComplete`` exactly once.

Spec IDs: LIVE-1 (every parked produce is answered: by the HW, a role change, or its timer).

Simplified from Kafka: Kafka's ``tryComplete``/``onExpiration`` are methods of each operation
class; here the operations are plain data and this function dispatches on their type.
"""

from __future__ import annotations

from glasskafka.broker.effects import Effects
from glasskafka.broker.fetch_path import complete_fetch
from glasskafka.broker.produce_path import complete_produce, expire_produce
from glasskafka.broker.purgatory import DelayedFetch, DelayedOperation, DelayedProduce
from glasskafka.broker.replica_manager import ReplicaManager
from glasskafka.node import Message

__all__ = ["answer_of"]


def answer_of(
    manager: ReplicaManager, operation: DelayedOperation, *, expired: bool, effects: Effects
) -> Message | None:
    """The answer to ``operation`` now, or ``None`` if it must wait (never when ``expired``)."""
    match operation:
        case DelayedProduce():
            if expired:
                return expire_produce(operation, effects=effects)
            return complete_produce(manager, operation, effects=effects)
        case DelayedFetch():
            fetched = complete_fetch(manager, operation, expired=expired)
            assert fetched is not None or not expired, "an expired fetch is always answered"
            return fetched
