"""One partition replica on this broker: its role, leader epoch, ISR, high watermark, followers.

Theory of operation
-------------------
A broker holds a :class:`Partition` for every partition replica it has a log for.  The controller
decides its **role** with LeaderAndIsr (``replica_manager.py``); only :meth:`Partition.
become_leader`, :meth:`Partition.become_follower` and :meth:`Partition.stop` change it, and each
resets every role-dependent field together (STYLE rule 4), as Kafka's ``Partition.makeLeader``
and ``makeFollower`` do.  The legal changes are the table :data:`ROLE_TRANSITIONS`; the diagram
on the broker concepts page is drawn from it (:func:`role_transitions_dot`).

What a **leader** keeps:

* ``isr`` -- its ISR as last confirmed by the coordination service, and ``pending_isr``, a
  change it has asked for and not yet seen confirmed (at most one at a time);
* the **maximal ISR** ``isr | pending_isr``: the set it advances the high watermark over, so
  that while a change is in flight the HW never outruns a replica that ZooKeeper may still
  count as in sync (Kafka's ``maximalIsr``, KIP-497; REPL-8);
* one :class:`RemoteReplica` per follower: its log end offset (the ``fetch_offset`` of its
  latest counted fetch), when it last caught up, and the epoch its latest fetch carried;
* the **leader-epoch start offset** (LESO): its LEO when it became leader of this epoch.  It
  also records ``(epoch, LEO)`` in the epoch cache at that moment, so it can answer
  OffsetForLeaderEpoch for an epoch it never wrote in (KAFKA-7415, apache/kafka PR #5678);
* the **high watermark**: the smallest LEO over the maximal ISR.  It only rises on a leader
  (``maybe_increment_high_watermark``); a follower whose LEO is unknown (it has not fetched in
  this epoch) holds it where it is, which is how a new leader waits for its followers.

A **follower** keeps its leader and epoch and takes the HW from fetch responses:
``min(its LEO, the leader's HW)`` (REPL-9).  A replica with role ``NONE`` (no LeaderAndIsr yet,
or stopped) serves nothing.

**Fencing** (KIP-320, REPL-12): requests from replicas carry the sender's current leader epoch.
An older one is answered FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH; -1 means "none
given" and is not checked (old clients).  A leader counts a follower's fetch toward its HW and
ISR only if it carried exactly the leader's epoch.

Spec IDs: REPL-8, REPL-9, REPL-10 (known epochs never fall; the epoch cache agrees with the
log), REPL-12, CTRL-1 (role, epoch and ISR change only through ``become_*``).

Simplified from Kafka: ``Partition.scala`` also tracks the log start offsets of followers (for
DeleteRecords), preferred read replicas (KIP-392), reassignment states and a follower's
``lastStableOffset``; glasskafka has no reassignment and no transactions.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, Millis, Offset, PartitionId, TopicName
from glasskafka.log import PartitionLog
from glasskafka.log.producer_state import ProducerStateTable
from glasskafka.records import read_header

__all__ = [
    "NO_EPOCH",
    "ROLE_TRANSITIONS",
    "UNKNOWN_OFFSET",
    "Partition",
    "PartitionView",
    "RemoteReplica",
    "Role",
    "role_transitions_dot",
]

NO_EPOCH = Epoch(-1)
"""Kafka's ``UNDEFINED_EPOCH``: no epoch known, or none given in a request."""

UNKNOWN_OFFSET = Offset(-1)
"""Kafka's ``UnifiedLog.UnknownOffset``: a follower that has not fetched in this epoch."""

FIRST_OFFSET = Offset(0)
NEVER_MS = Millis(0)
"""The time of an event that has not happened (Kafka initialises such times to 0)."""


class Role(enum.Enum):
    """What this broker is for one partition."""

    LEADER = "leader"
    FOLLOWER = "follower"
    NONE = "none"

    def __repr__(self) -> str:
        return f"Role.{self.name}"


ROLE_TRANSITIONS: dict[tuple[Role, Role], str] = {
    (Role.NONE, Role.LEADER): "LeaderAndIsr names this broker",
    (Role.NONE, Role.FOLLOWER): "LeaderAndIsr names another broker",
    (Role.FOLLOWER, Role.LEADER): "elected in a newer epoch",
    (Role.LEADER, Role.FOLLOWER): "another broker elected",
    (Role.LEADER, Role.LEADER): "newer epoch, still leader",
    (Role.FOLLOWER, Role.FOLLOWER): "newer epoch: reconcile again",
    (Role.LEADER, Role.NONE): "StopReplica",
    (Role.FOLLOWER, Role.NONE): "StopReplica",
    (Role.NONE, Role.NONE): "StopReplica",
}
"""Every legal role change and what causes it.  ``become_*`` refuse anything else."""


def role_transitions_dot() -> str:
    """The role state machine as Graphviz DOT source, drawn from :data:`ROLE_TRANSITIONS`."""
    lines = [
        "digraph partition_roles {",
        "  rankdir=LR;",
        '  node [shape=ellipse, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for (before, after), cause in ROLE_TRANSITIONS.items():
        lines.append(f'  {before.name} -> {after.name} [label="{cause}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass(slots=True, kw_only=True)
class RemoteReplica:
    """What a leader knows of one follower (Kafka's ``Replica`` state on the leader)."""

    broker_id: BrokerId
    log_end_offset: Offset = UNKNOWN_OFFSET
    last_caught_up_time_ms: Millis = NEVER_MS
    last_fetch_leader_log_end_offset: Offset = UNKNOWN_OFFSET
    last_fetch_time_ms: Millis = NEVER_MS
    last_fetch_epoch: Epoch = NO_EPOCH


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionView:
    """A read-only copy of one replica's state, for observers (``BrokerNode.partition_state``)."""

    topic: TopicName
    partition: PartitionId
    role: Role
    leader: BrokerId | None
    leader_epoch: Epoch
    controller_epoch: Epoch
    zk_version: int
    replicas: tuple[BrokerId, ...]
    isr: frozenset[BrokerId]
    pending_isr: frozenset[BrokerId] | None
    maximal_isr: frozenset[BrokerId]
    leader_epoch_start_offset: Offset | None
    log_start_offset: Offset
    log_end_offset: Offset
    high_watermark: Offset
    last_fetched_high_watermark: Offset | None
    epoch_cache: tuple[tuple[Epoch, Offset], ...]
    follower_log_end_offsets: tuple[tuple[BrokerId, Offset], ...]


@dataclass(slots=True, kw_only=True)
class Partition:
    """One partition replica's state on this broker.  Change its role only via ``become_*``."""

    topic: TopicName
    partition: PartitionId
    local_broker_id: BrokerId
    log: PartitionLog
    bugs: BugFlags = NO_BUGS
    role: Role = Role.NONE
    leader: BrokerId | None = None
    leader_epoch: Epoch = NO_EPOCH
    controller_epoch: Epoch = NO_EPOCH
    zk_version: int = -1
    replicas: tuple[BrokerId, ...] = ()
    isr: frozenset[BrokerId] = frozenset()
    pending_isr: frozenset[BrokerId] | None = None
    isr_outcome_unknown: bool = False
    leader_epoch_start_offset: Offset | None = None
    high_watermark: Offset = FIRST_OFFSET
    last_fetched_high_watermark: Offset | None = None
    remote_replicas: dict[BrokerId, RemoteReplica] = field(default_factory=dict)
    producer_state: ProducerStateTable = field(default_factory=ProducerStateTable)
    """The idempotence table of this replica's log, kept by ``idempotence.py`` (IDEM-5).  It
    belongs to the log, not to the role, so ``become_*`` leave it alone."""

    # -- reading --------------------------------------------------------------------------------

    @property
    def log_end_offset(self) -> Offset:
        return Offset(self.log.log_end_offset)

    @property
    def log_start_offset(self) -> Offset:
        return Offset(self.log.log_start_offset)

    @property
    def is_leader(self) -> bool:
        return self.role is Role.LEADER

    @property
    def maximal_isr(self) -> frozenset[BrokerId]:
        """The set the HW is advanced over: the ISR and any proposed change (KIP-497; REPL-8)."""
        if self.pending_isr is None:
            return self.isr
        if self.bugs.apply_isr_change_before_zk_ack:
            # The bug of AsyncIsr.tla and S7: the leader treats its proposal as if it were
            # already in force, taking the smaller set, although ZooKeeper may still hold the
            # larger one and a controller may elect any of its members.
            return self.isr & self.pending_isr
        return self.isr | self.pending_isr

    def view(self) -> PartitionView:
        """A frozen copy of this replica's state (for observers; never read by the broker)."""
        return PartitionView(
            topic=self.topic,
            partition=self.partition,
            role=self.role,
            leader=self.leader,
            leader_epoch=self.leader_epoch,
            controller_epoch=self.controller_epoch,
            zk_version=self.zk_version,
            replicas=self.replicas,
            isr=self.isr,
            pending_isr=self.pending_isr,
            maximal_isr=self.maximal_isr,
            leader_epoch_start_offset=self.leader_epoch_start_offset,
            log_start_offset=self.log_start_offset,
            log_end_offset=self.log_end_offset,
            high_watermark=self.high_watermark,
            last_fetched_high_watermark=self.last_fetched_high_watermark,
            epoch_cache=tuple((Epoch(e), Offset(s)) for e, s in self.log.epoch_cache.entries),
            follower_log_end_offsets=tuple(
                (b, r.log_end_offset) for b, r in sorted(self.remote_replicas.items())
            ),
        )

    # -- role changes ---------------------------------------------------------------------------

    def _change_role(self, role: Role, *, leader_epoch: Epoch) -> None:
        """Check that the change is legal and that the known epoch does not fall (REPL-10)."""
        assert (self.role, role) in ROLE_TRANSITIONS, f"illegal role change {self.role} -> {role}"
        assert leader_epoch >= self.leader_epoch, (
            f"REPL-10: {self.topic}-{self.partition} epoch {self.leader_epoch} -> {leader_epoch}"
        )
        self.role = role
        self.leader_epoch = leader_epoch
        self.pending_isr = None
        self.isr_outcome_unknown = False
        self.remote_replicas = {}
        self.leader_epoch_start_offset = None

    def become_leader(
        self,
        *,
        leader_epoch: Epoch,
        isr: frozenset[BrokerId],
        replicas: tuple[BrokerId, ...],
        zk_version: int,
        controller_epoch: Epoch,
        now_ms: Millis,
    ) -> None:
        """Lead ``leader_epoch`` with ISR ``isr`` (``Partition.makeLeader``).

        The log is kept whole (a leader never truncates).  The LESO is the LEO, and the epoch
        cache records the new epoch there.  Followers in the ISR count as caught up now, others
        not; all their LEOs are unknown until they fetch, so the HW waits for them.  The caller
        then calls :meth:`maybe_increment_high_watermark`.  Invariants: REPL-8, REPL-10, CTRL-1.
        """
        assert self.local_broker_id in isr, f"REPL-7: leader {self.local_broker_id} not in {isr}"
        self._change_role(Role.LEADER, leader_epoch=leader_epoch)
        self.leader = self.local_broker_id
        self.isr = isr
        self.replicas = replicas
        self.zk_version = zk_version
        self.controller_epoch = controller_epoch
        self.leader_epoch_start_offset = self.log_end_offset
        self.log.maybe_assign_epoch_start_offset(leader_epoch=leader_epoch)
        self.remote_replicas = {
            broker: RemoteReplica(
                broker_id=broker, last_caught_up_time_ms=now_ms if broker in isr else NEVER_MS
            )
            for broker in replicas
            if broker != self.local_broker_id
        }
        self.last_fetched_high_watermark = None
        self.high_watermark = self._bounded(self.high_watermark)

    def become_follower(
        self,
        *,
        leader: BrokerId | None,
        leader_epoch: Epoch,
        replicas: tuple[BrokerId, ...],
        zk_version: int,
        controller_epoch: Epoch,
    ) -> None:
        """Follow ``leader`` in ``leader_epoch`` (``Partition.makeFollower``).

        The ISR view and the follower states are dropped (only a leader keeps them).  The log is
        not touched here: the replica fetcher reconciles it with the leader first.
        Invariants: REPL-10, CTRL-1.
        """
        was_leader = self.is_leader
        self._change_role(Role.FOLLOWER, leader_epoch=leader_epoch)
        self.leader = leader
        self.isr = frozenset()
        self.replicas = replicas
        self.zk_version = zk_version
        self.controller_epoch = controller_epoch
        if was_leader:
            self.last_fetched_high_watermark = None
        self.high_watermark = self._bounded(self.high_watermark)

    def stop(self) -> None:
        """Stop serving (StopReplica): role NONE; the known epoch and the log stay."""
        self._change_role(Role.NONE, leader_epoch=self.leader_epoch)
        self.leader = None
        self.isr = frozenset()

    # -- fencing (KIP-320) ----------------------------------------------------------------------

    def fence(self, request_epoch: int) -> tuple[ErrorCode, bool]:
        """Check a replica request's current leader epoch: ``(error, counts)``.

        ``error`` is FENCED_LEADER_EPOCH for an older epoch, UNKNOWN_LEADER_EPOCH for a newer
        one, NONE otherwise (-1: none given, as old clients send).  ``counts`` says whether a
        follower fetch may move the HW or the ISR: only with exactly this leader's epoch.
        Invariants: REPL-12.
        """
        if self.bugs.unfenced_fetch:
            # Before KIP-320 the leader had no epoch to check (KAFKA-6880): every fetch was
            # served and counted, so a zombie follower of an old epoch could move the HW.
            return ErrorCode.NONE, True
        if request_epoch == NO_EPOCH:
            return ErrorCode.NONE, False
        if request_epoch < self.leader_epoch:
            return ErrorCode.FENCED_LEADER_EPOCH, False
        if request_epoch > self.leader_epoch:
            return ErrorCode.UNKNOWN_LEADER_EPOCH, False
        return ErrorCode.NONE, True

    # -- the high watermark ---------------------------------------------------------------------

    def _bounded(self, offset: int) -> Offset:
        """``offset`` kept within ``[log start, LEO]`` (``UnifiedLog.updateHighWatermark``)."""
        return Offset(max(self.log_start_offset, min(offset, self.log_end_offset)))

    def update_follower_fetch_state(
        self, follower: BrokerId, *, fetch_offset: Offset, request_epoch: Epoch, now_ms: Millis
    ) -> None:
        """Record a counted fetch from ``follower`` (Kafka's ``Replica.updateFetchState``).

        A follower has *caught up* at the time of a fetch that reached the leader's LEO, or, if
        it reached the LEO the leader had at its previous fetch, at the time of that previous
        fetch.  ``replica.lag.time.max.ms`` is measured from the last such time (``isr.py``).
        """
        remote = self.remote_replicas[follower]
        leader_end = self.log_end_offset
        if fetch_offset >= leader_end:
            caught_up = max(remote.last_caught_up_time_ms, now_ms)
            remote.last_caught_up_time_ms = Millis(caught_up)
        elif fetch_offset >= remote.last_fetch_leader_log_end_offset:
            caught_up = max(remote.last_caught_up_time_ms, remote.last_fetch_time_ms)
            remote.last_caught_up_time_ms = Millis(caught_up)
        remote.last_fetch_leader_log_end_offset = leader_end
        remote.last_fetch_time_ms = now_ms
        remote.log_end_offset = fetch_offset
        remote.last_fetch_epoch = request_epoch

    def maybe_increment_high_watermark(self) -> bool:
        """On a leader, raise the HW to the smallest LEO over the maximal ISR; never lower it.

        Returns whether it rose.  Invariants: REPL-8, REPL-9.
        """
        if not self.is_leader:
            return False
        candidate = self.log_end_offset
        for broker in sorted(self.maximal_isr - {self.local_broker_id}):
            remote = self.remote_replicas.get(broker)
            known = remote.log_end_offset if remote is not None else UNKNOWN_OFFSET
            candidate = Offset(min(candidate, known))
        if candidate <= self.high_watermark:
            return False
        self.high_watermark = self._bounded(candidate)
        return True

    def apply_leader_high_watermark(self, leader_high_watermark: Offset) -> None:
        """On a follower, take ``min(LEO, the leader's HW)`` from a fetch response (REPL-9)."""
        self.high_watermark = self._bounded(leader_high_watermark)
        self.last_fetched_high_watermark = leader_high_watermark

    def restore_high_watermark(self, checkpointed: int) -> None:
        """Take the HW from ``replication-offset-checkpoint`` after a restart, kept in the log."""
        self.high_watermark = self._bounded(checkpointed)

    def after_truncation(self) -> None:
        """Keep the HW within the log after a truncation (``UnifiedLog.truncateTo``)."""
        self.high_watermark = self._bounded(self.high_watermark)

    # -- local invariants -----------------------------------------------------------------------

    def check_invariants(self) -> None:
        """Assert this replica's local invariants; the message names the spec ID."""
        name = f"{self.topic}-{self.partition} on broker {self.local_broker_id}"
        assert self.log_start_offset <= self.high_watermark <= self.log_end_offset, (
            f"REPL-9: {name} has HW {self.high_watermark} outside "
            f"[{self.log_start_offset}, {self.log_end_offset}]"
        )
        if self.is_leader:
            assert self.local_broker_id in self.isr, f"REPL-7: {name} leads outside its ISR"
            assert self.leader == self.local_broker_id, f"CTRL-1: {name} leads for {self.leader}"
            pending = self.pending_isr
            assert pending is None or self.local_broker_id in pending, f"REPL-7: {name} {pending}"
        else:
            assert not self.isr and self.pending_isr is None, f"REPL-8: {name} keeps an ISR view"
        self._check_epoch_cache(name)

    def _check_epoch_cache(self, name: str) -> None:
        """The epoch cache rises strictly and agrees with the batches it points at (REPL-10)."""
        entries = self.log.epoch_cache.entries
        for (e1, s1), (e2, s2) in itertools.pairwise(entries):
            assert e1 < e2 and s1 < s2, f"REPL-10: {name} epoch cache {entries} is not rising"
        for epoch, start in entries:
            assert start <= self.log_end_offset, f"REPL-10: {name} epoch {epoch} starts past LEO"
            if self.log_start_offset < start < self.log_end_offset:
                found = read_header(self.log.read(start, max_bytes=0))
                assert (found.base_offset, found.partition_leader_epoch) == (start, epoch), (
                    f"REPL-10: {name} epoch cache says epoch {epoch} starts at {start}, the log "
                    f"has a batch of epoch {found.partition_leader_epoch} at {found.base_offset}"
                )
