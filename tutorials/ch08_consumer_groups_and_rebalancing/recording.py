"""Turning what the lab's consumers saw into a ``glasskafka.history`` history.

A :class:`~glasskafka.client.consumer.ConsumerNode` built with ``record_history=True`` remembers
each completed poll, commit, rebalance callback and subscription as a small event
(``client/consumer_events.py``).  :class:`Recording` collects those events from every consumer
of a run, adds what only the application knows -- a record acknowledged to the producer, a batch
*processed*, a process crashing or starting again -- and puts everything in time order as the
operations of the history format (``docs/concepts/history-checker.md``), ready to be written as
JSON lines and judged by ``glasskafka check-history``.

The history names clients by the lab's consumer names (``c1``, ``c2``) and gives each one a
process number, so the checker can tell who processed what.  A group that commits before
processing says so on its ``subscribe`` line (``delivery: at-most-once``): that is the promise
the checker holds it to.

Spec IDs: none directly; the histories are the input of DELIV-19, DELIV-20 and DELIV-21.

Simplified from Kafka: a Kafka application records nothing of this kind; a test harness around a
real client would write the same lines through ``glasskafka.history.HistoryRecorder``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import assert_never

from glasskafka.client.consumer_events import (
    AssignEvent,
    CommitEvent,
    ConsumerEvent,
    ConsumerRecord,
    PollEvent,
    RebalanceEvent,
    SubscribeEvent,
)
from glasskafka.errors import ErrorCode
from glasskafka.history import (
    Assign,
    Commit,
    CommitMode,
    Crash,
    Delivery,
    History,
    HistoryRecorder,
    Operation,
    Outcome,
    PartitionOffset,
    Poll,
    Process,
    Rebalance,
    Record,
    Restart,
    Send,
    Subscribe,
)
from glasskafka.history import RebalanceEvent as RebalanceCallback
from glasskafka.ids import Offset, PartitionId, TopicName

__all__ = ["Recording", "history_record"]


def history_record(record: ConsumerRecord) -> Record:
    """A consumed record as the history writes it (its value as text)."""
    value = "" if record.value is None else record.value.decode("utf-8", errors="replace")
    key = None if record.key is None else record.key.decode("utf-8", errors="replace")
    return Record(
        topic=TopicName(record.topic),
        partition=PartitionId(record.partition),
        offset=Offset(record.offset),
        key=key,
        value=value,
    )


@dataclass(slots=True)
class Recording:
    """The operations of one run, each with the simulated time it completed at."""

    delivery: dict[str, Delivery] = field(default_factory=dict)
    processes: dict[str, int] = field(default_factory=dict)
    _operations: list[tuple[int, int, Operation]] = field(default_factory=list)

    def process_of(self, client: str) -> int:
        """The history's process number for ``client`` (1, 2, ... in order of appearance)."""
        return self.processes.setdefault(client, len(self.processes) + 1)

    def add(self, time_ms: int, op: Operation) -> None:
        self._operations.append((time_ms, len(self._operations), op))

    def consumer_events(self, client: str, events: list[ConsumerEvent], group: str) -> None:
        """Add what consumer ``client`` recorded (each event once: pass only new ones)."""
        for event in events:
            self.add(event.time_ms, self._operation(client, event, group))

    def sent(self, time_ms: int, *, topic: str, partition: int, offset: int, value: str) -> None:
        """The producer was told ``value`` is at ``offset`` of ``topic``-``partition``."""
        self.add(
            time_ms,
            Send(
                process=0,
                client="producer",
                topic=TopicName(topic),
                partition=PartitionId(partition),
                key=None,
                value=value,
                outcome=Outcome.OK,
                offset=Offset(offset),
            ),
        )

    def processed(self, time_ms: int, client: str, records: tuple[ConsumerRecord, ...]) -> None:
        """The application finished its work on ``records``."""
        process = self.process_of(client)
        batch = tuple(history_record(r) for r in records)
        self.add(time_ms, Process(process=process, client=client, records=batch))

    def crashed(self, time_ms: int, client: str) -> None:
        self.add(time_ms, Crash(process=self.process_of(client), client=client))

    def restarted(self, time_ms: int, client: str) -> None:
        self.add(time_ms, Restart(process=self.process_of(client), client=client))

    def commits(self, client: str) -> list[str]:
        """Each commit ``client`` made, with its time: ``12000 ms  auto  orders-0:2 ok``."""
        lines = []
        for time_ms, _, op in sorted(self._operations, key=lambda t: t[:2]):
            if isinstance(op, Commit) and op.client == client:
                offsets = " ".join(f"{o.topic}-{o.partition}:{o.offset}" for o in op.offsets)
                outcome = "ok" if op.outcome is Outcome.OK else f"failed {op.error}"
                lines.append(f"  {time_ms:>6} ms  {op.mode.value:<5} {offsets} {outcome}")
        return lines

    def history(self) -> History:
        """Everything so far in time order (ties keep the order they were added in)."""
        return History.of(op for _, _, op in sorted(self._operations, key=lambda t: t[:2]))

    def write(self, path: Path, *, delivery: Delivery | None = None) -> int:
        """Write the history to ``path`` as JSON lines; returns the number of lines.

        ``delivery``, if given, replaces the promise every ``subscribe`` line declares: the same
        run judged against another guarantee.
        """
        operations = self.history().operations
        if delivery is not None:
            operations = tuple(
                dataclasses.replace(op, delivery=delivery) if isinstance(op, Subscribe) else op
                for op in operations
            )
        with path.open("w", encoding="utf-8") as stream:
            recorder = HistoryRecorder(stream)
            for op in operations:
                recorder.write(op)
        return len(operations)

    def _operation(self, client: str, event: ConsumerEvent, group: str) -> Operation:
        process = self.process_of(client)
        match event:
            case PollEvent():
                return Poll(
                    process=process,
                    client=client,
                    outcome=Outcome.OK if event.error is None else Outcome.ERROR,
                    records=tuple(history_record(r) for r in event.records),
                    error=event.error,
                )
            case CommitEvent():
                ok = event.error is ErrorCode.NONE
                return Commit(
                    process=process,
                    client=client,
                    group=group,
                    mode=CommitMode(event.mode.value),
                    offsets=tuple(
                        PartitionOffset(topic=t, partition=p, offset=Offset(o))
                        for (t, p), o in event.offsets
                    ),
                    outcome=Outcome.OK if ok else Outcome.ERROR,
                    error=None if ok else event.error.name,
                )
            case RebalanceEvent():
                return Rebalance(
                    process=process,
                    client=client,
                    group=group,
                    event=RebalanceCallback(event.kind.value),
                    partitions=event.partitions,
                    generation=event.generation if event.generation >= 0 else None,
                )
            case SubscribeEvent():
                return Subscribe(
                    process=process,
                    client=client,
                    group=event.group,
                    topics=tuple(TopicName(t) for t in event.topics),
                    outcome=Outcome.OK,
                    delivery=self.delivery.get(event.group, Delivery.AT_LEAST_ONCE),
                )
            case AssignEvent():
                return Assign(
                    process=process, client=client, partitions=event.partitions, outcome=Outcome.OK
                )
            case _:
                assert_never(event)
