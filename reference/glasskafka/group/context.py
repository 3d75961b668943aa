"""What every request handler of the coordinator is given: settings, time, randomness, effects.

Theory of operation
-------------------
The coordinator's handlers live in small modules by concept (``membership.py`` for JoinGroup and
the join phase, ``sync.py`` for SyncGroup, Heartbeat, LeaveGroup and expiry, ``offsets.py`` for
OffsetCommit and OffsetFetch).  Each is a plain function of a group and a :class:`Context`: the
coordinator's settings and bug flags, the current time, its random stream (for member ids), the
:class:`~glasskafka.group.host.Effects` being collected for this input, and the
:class:`AppendLedger` of appends the host has not completed yet.

An append is remembered as one of three :data:`PendingAppend` kinds, so its completion knows what
to finish: an offset commit to answer, a generation's assignment to hand out, or an Empty group's
record whose failure only matters to the log (``GroupCoordinator.onCompleteJoin`` merely warns).

Spec IDs: none here; see the handlers.

Simplified from Kafka: Kafka's handlers are methods of one 1,700-line Scala class with callbacks
and locks; here they are functions over plain data, and a callback is a ledger entry.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from glasskafka.bugs import BugFlags
from glasskafka.group.coordinator_config import GroupCoordinatorConfig
from glasskafka.group.host import Effects, OffsetsAppend, ParkedRequest
from glasskafka.group.placement import partition_for
from glasskafka.group.records import OffsetCommitValue
from glasskafka.ids import TopicPartition
from glasskafka.records import Record

__all__ = [
    "AppendLedger",
    "Context",
    "PendingAppend",
    "PendingCommit",
    "PendingEmptyGroup",
    "PendingGroupStore",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingCommit:
    """An OffsetCommit waiting for its records: answered when they are committed or fail."""

    group_id: str
    parked: ParkedRequest
    offsets: tuple[tuple[TopicPartition, OffsetCommitValue], ...]
    refused: tuple[tuple[TopicPartition, int], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingGroupStore:
    """A generation's assignment waiting to be stored before the members get it."""

    group_id: str
    generation_id: int
    assignment: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingEmptyGroup:
    """An Empty group's record; a failure is only logged (the next rebalance rewrites it)."""

    group_id: str
    generation_id: int


PendingAppend = PendingCommit | PendingGroupStore | PendingEmptyGroup


@dataclass(slots=True)
class AppendLedger:
    """Appends handed to the host and not yet completed, by append id."""

    next_append_id: int = 0
    pending: dict[int, PendingAppend] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class Context:
    """Everything a handler needs besides the group it works on."""

    config: GroupCoordinatorConfig
    bugs: BugFlags
    rng: random.Random
    effects: Effects
    ledger: AppendLedger

    @property
    def now_ms(self) -> int:
        return self.effects.now_ms

    def new_member_id(self, client_id: str) -> str:
        """``client_id-<uuid>``, as ``GroupMetadata.generateMemberId`` (KIP-394)."""
        return f"{client_id}-{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"

    def append(self, group_id: str, records: tuple[Record, ...], pending: PendingAppend) -> None:
        """Ask the host to append ``records`` to the group's offsets partition."""
        append_id = self.ledger.next_append_id
        self.ledger.next_append_id += 1
        self.ledger.pending[append_id] = pending
        partition = partition_for(group_id, self.config.offsets_topic_num_partitions)
        self.effects.append(
            OffsetsAppend(append_id=append_id, partition=partition, records=records)
        )
