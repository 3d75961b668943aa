"""The facts every check shares, computed once from a history.

Theory of operation
-------------------
:func:`analyse` walks the history and gathers what the checks in ``partition_checks.py``,
``order_checks.py``, ``cycles.py`` and ``group_checks.py`` all need:

* ``writer_of``: which send wrote each ``(topic, key, value)``.  Values are unique per topic
  (``validate.py``), so this is a function, and a read names its write even when the send did not
  learn its partition (an ``unknown`` send).
* ``ok_readers``: for each partition and write, the ``ok`` polls that returned it.  Only ``ok``
  reads count as *observed* for G1a, lost-write and unseen (Jepsen's rule).
* ``must_have_committed``: an ``ok`` send, or an ``unknown`` send whose value an ``ok`` poll
  returned (``reference/delivery-semantics.md`` §3).  An ``error`` with an indefinite Kafka error
  is ``unknown`` (``model.INDEFINITE_ERRORS``).
* ``orders``: each partition's version order (``orders.py``), built from every poll's records and
  from the sends that must have committed.
* ``sessions``: each operation's consumer state (``sessions.py``).

Spec IDs: the shared ground of every DELIV id of ``specs/delivery.py``.

Simplified from Kafka: none of this exists in Kafka; it is the checker's reconstruction.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.history.model import History, Outcome, Poll, Send, partition_of
from glasskafka.history.orders import VersionOrder, Write, build_order
from glasskafka.history.sessions import Session, sessions
from glasskafka.ids import Offset, TopicName, TopicPartition

__all__ = ["Analysis", "analyse"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """A history and the facts derived from it; positions index ``history.operations``."""

    history: History
    sessions: tuple[Session, ...]
    writer_of: dict[tuple[TopicName, Write], int]
    ok_readers: dict[TopicPartition, dict[Write, list[int]]]
    ok_read: frozenset[tuple[TopicName, Write]]
    orders: dict[TopicPartition, VersionOrder]

    def line(self, position: int) -> int:
        """The file line of the operation at ``position``."""
        return self.history.line(position)

    def send_at(self, position: int) -> Send:
        """The send at ``position`` (which must be one)."""
        op = self.history.operations[position]
        assert isinstance(op, Send), f"operation {position} is not a send"
        return op

    def was_read(self, topic: TopicName, write: Write) -> bool:
        """Whether some ``ok`` poll returned ``write`` from any partition of ``topic``."""
        return (topic, write) in self.ok_read

    def must_have_committed(self, position: int) -> bool:
        """Whether the send at ``position`` certainly took effect."""
        send = self.send_at(position)
        if send.outcome is Outcome.OK:
            return True
        if send.definitely_failed:
            return False
        return self.was_read(send.topic, (send.key, send.value))


def analyse(history: History) -> Analysis:
    """Derive the shared facts of ``history`` (see the module docstring)."""
    writer_of: dict[tuple[TopicName, Write], int] = {}
    ok_readers: dict[TopicPartition, dict[Write, list[int]]] = {}
    evidence: dict[TopicPartition, list[tuple[int, Offset, Write]]] = {}
    for position, op in enumerate(history.operations):
        if isinstance(op, Send):
            writer_of[(op.topic, (op.key, op.value))] = position
        elif isinstance(op, Poll):
            for record in op.records:
                tp, write = partition_of(record), (record.key, record.value)
                evidence.setdefault(tp, []).append((position, record.offset, write))
                if op.outcome is Outcome.OK:
                    readers = ok_readers.setdefault(tp, {}).setdefault(write, [])
                    if not readers or readers[-1] != position:
                        readers.append(position)
    ok_read = frozenset((tp[0], write) for tp, readers in ok_readers.items() for write in readers)
    partial = Analysis(
        history=history,
        sessions=sessions(history),
        writer_of=writer_of,
        ok_readers=ok_readers,
        ok_read=ok_read,
        orders={},
    )
    for position in sorted(writer_of.values()):
        send = partial.send_at(position)
        if send.partition is None or send.offset is None:
            continue
        if partial.must_have_committed(position):
            tp = (send.topic, send.partition)
            evidence.setdefault(tp, []).append((position, send.offset, (send.key, send.value)))
    orders = {}
    for tp in sorted(evidence):
        # Evidence in history order, so "first seen" in the dense order means first in history.
        seen = sorted(evidence[tp], key=lambda item: item[0])
        orders[tp] = build_order(tp, ((offset, write) for _, offset, write in seen))
    return Analysis(
        history=history,
        sessions=partial.sessions,
        writer_of=writer_of,
        ok_readers=ok_readers,
        ok_read=ok_read,
        orders=orders,
    )
