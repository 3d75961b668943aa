"""Replication, step by step: the transition properties REPL-10, 12, 13, 14, 16 and CTRL-1.

Specification
-------------
``specs/replication.py`` states the replication specification and its state invariants.  Some
promises are not about one state but about one *step*: an epoch only rises, a fenced fetch
changes nothing, a replica joins the ISR only when it has caught up, a truncation stops at the
divergence point.  Each predicate here takes the snapshot before a step, the snapshot after it,
and the step's event (``glasskafka.sim.kafka_snapshot.StepEvent``: which fetch the leader
handled, which LeaderAndIsr a broker applied, which ISR write ZooKeeper saw...) or ``None`` for
a step of another kind (a crash, a restart, a tick).  Model tests check them as rule
postconditions.

* **REPL-10, epochs rise.**  The znode's leader epoch rises with every new leader and every ISR
  change the controller makes; no running replica forgets an epoch; along a log and in an epoch
  cache, epochs and start offsets only rise, and the cache agrees with the log (KIP-101).
* **REPL-12, fenced progress.**  A fetch counts toward the HW or the ISR only if it carries the
  leader's own epoch; otherwise it is refused with FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH
  and changes nothing (KIP-320).
* **REPL-13, safe ISR expansion.**  A follower joins the ISR only on a same-epoch fetch at an
  offset of at least the leader's HW and the leader's epoch start offset (KAFKA-7128).
* **REPL-14, truncation safety.**  A truncation never removes a committed record and never cuts
  below the point where the follower's log departs from its leader's epoch history (KIP-279).
* **REPL-16, the minISR gate.**  acks=all meets NOT_ENOUGH_REPLICAS at accept time and
  NOT_ENOUGH_REPLICAS_AFTER_APPEND at completion when the ISR is too small.
* **CTRL-1, controller fencing.**  A broker ignores a LeaderAndIsr from an older controller or
  for an epoch it already has; a leader's ISR write succeeds only at the expected ``zk_version``,
  and a failed one is not applied locally.

Simplified from Kafka: Kafka checks these rules where they happen (``Partition.scala``,
``ReplicaManager.scala``, ``KafkaController.scala``), one broker at a time; here they are judged
from outside with a view of both ends of each step, which only a simulator has.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import assert_never

from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, Offset
from glasskafka.sim.kafka_snapshot import (
    Acks,
    ClusterSnapshot,
    FetchHandled,
    IsrWriteAnswered,
    IsrWriteHandled,
    LeaderAndIsrHandled,
    PartitionSnapshot,
    ProduceCompleted,
    ProduceHandled,
    ReplicaRole,
    ReplicaState,
    StepEvent,
    describe_brokers,
    describe_entry,
)

from specs.catalogue import spec
from specs.replication import first_difference

__all__ = [
    "controller_fencing",
    "divergence_offset",
    "epoch_monotonicity",
    "fenced_progress",
    "min_isr_gate",
    "safe_isr_expansion",
    "truncation_safety",
]


def _pairs(
    before: ClusterSnapshot, after: ClusterSnapshot
) -> Iterator[tuple[PartitionSnapshot, PartitionSnapshot]]:
    """Each partition in both snapshots, as (before, after)."""
    for was in before.partitions:
        now = after.partition(was.topic, was.partition)
        if now is not None:
            yield was, now


def _names(event: StepEvent | None, partition: PartitionSnapshot) -> bool:
    """Whether ``event`` happened to ``partition``."""
    if event is None:
        return False
    return (event.topic, event.partition) == (partition.topic, partition.partition)


def _cache_epoch_at(cache: Sequence[tuple[Epoch, Offset]], offset: int) -> Epoch | None:
    """The epoch of the last cache entry starting at or before ``offset``."""
    covering = [epoch for epoch, start in cache if start <= offset]
    return covering[-1] if covering else None


def divergence_offset(follower: ReplicaState, leader: ReplicaState) -> Offset:
    """Where ``follower``'s log departs from the epoch history in ``leader``'s epoch cache.

    The first offset whose record epoch differs from the epoch the leader's cache gives that
    offset, or that the leader does not have.  This is the fixed point of KIP-279's exchange:
    the follower asks where its last epoch ends, the leader answers with the largest epoch it
    knows not above it and that epoch's end offset, and the follower truncates to the smaller of
    that and its own end of the same epoch, repeating until both agree.
    """
    for offset in range(follower.log_start_offset, follower.log_end_offset):
        if offset >= leader.log_end_offset:
            return Offset(offset)
        if _cache_epoch_at(leader.epoch_cache, offset) != follower.epoch_at(offset):
            return Offset(offset)
    return follower.log_end_offset


@spec("REPL-10", "Epoch monotonicity", kind="transition")
def epoch_monotonicity(
    before: ClusterSnapshot, after: ClusterSnapshot, event: StepEvent | None
) -> list[str]:
    """The ZooKeeper leader epoch never decreases, and increases on every change of leader and
    on every ISR change other than the leader's own ISR write.  A replica that runs before and
    after a step never lowers its known epoch.  After every step, on every running replica,
    record epochs never decrease along the log, and the epoch cache lists strictly increasing
    epochs with strictly increasing start offsets, none past the LEO, agreeing with the log."""
    violations = []
    for was, now in _pairs(before, after):
        old, new = was.zk_state, now.zk_state
        own_write = isinstance(event, IsrWriteHandled) and _names(event, was)
        changed = new.leader != old.leader or (new.isr != old.isr and not own_write)
        same_epoch = new.leader_epoch == old.leader_epoch
        if new.leader_epoch < old.leader_epoch or (same_epoch and changed):
            violations.append(
                f"{now.name}: the znode went from leader {old.leader} epoch {old.leader_epoch} "
                f"ISR {describe_brokers(old.isr)} to leader {new.leader} epoch "
                f"{new.leader_epoch} ISR {describe_brokers(new.isr)}"
            )
        for r in now.replicas:
            prior = was.replica(r.broker_id)
            if prior and prior.running and r.running and r.leader_epoch < prior.leader_epoch:
                violations.append(
                    f"{now.name}: broker {r.broker_id} went back from epoch "
                    f"{prior.leader_epoch} to {r.leader_epoch}"
                )
            if r.running:
                violations += [f"{now.name}: broker {r.broker_id} {p}" for p in _log_epochs(r)]
    return violations


def _log_epochs(r: ReplicaState) -> list[str]:
    """What is wrong with the epochs along ``r``'s log and in its epoch cache."""
    problems = []
    epochs = [epoch for _, epoch in r.log]
    if any(later < earlier for earlier, later in itertools.pairwise(epochs)):
        problems.append(f"has record epochs {epochs} that decrease along the log")
    for (e1, s1), (e2, s2) in itertools.pairwise(r.epoch_cache):
        if not (e1 < e2 and s1 < s2):
            problems.append(f"has epoch cache entries {e1}->{s1}, {e2}->{s2} out of order")
    if r.epoch_cache and r.epoch_cache[-1][1] > r.log_end_offset:
        problems.append(f"has an epoch cache entry past its LEO {r.log_end_offset}")
    for offset in range(r.log_start_offset, r.log_end_offset):
        cached = _cache_epoch_at(r.epoch_cache, offset)
        if cached != r.epoch_at(offset):
            problems.append(f"holds {r.describe_at(offset)} but its epoch cache says {cached}")
            break
    return problems


@spec("REPL-12", "Fenced progress", kind="transition")
def fenced_progress(
    before: ClusterSnapshot, after: ClusterSnapshot, event: StepEvent | None
) -> list[str]:
    """A leader counts a follower toward its high watermark or ISR only on fetches carrying the
    leader's current epoch: a fetch carrying another epoch, or none, leaves the leader's HW, ISR,
    proposed ISR and maximal ISR unchanged.  An older request epoch is answered
    FENCED_LEADER_EPOCH (74), a newer one UNKNOWN_LEADER_EPOCH (75)."""
    violations: list[str] = []
    for was, now in _pairs(before, after):
        if not isinstance(event, FetchHandled) or not _names(event, was):
            continue
        leader, later = was.replica(event.leader), now.replica(event.leader)
        if leader is None or later is None or not leader.is_presumed_leader:
            continue
        asked, own, error = event.current_leader_epoch, leader.leader_epoch, event.error
        fetch = (
            f"{now.name}: leader {leader.broker_id} (epoch {own}) got a fetch from broker "
            f"{event.follower} carrying epoch {asked}"
        )
        if asked is not None and asked < own and error is not ErrorCode.FENCED_LEADER_EPOCH:
            violations.append(f"{fetch} and answered {error.name}, not FENCED_LEADER_EPOCH")
        if asked is not None and asked > own and error is not ErrorCode.UNKNOWN_LEADER_EPOCH:
            violations.append(f"{fetch} and answered {error.name}, not UNKNOWN_LEADER_EPOCH")
        if asked != own and _progress(leader) != _progress(later):
            violations.append(
                f"{fetch} and counted it: HW {leader.high_watermark} -> {later.high_watermark}, "
                f"maximal ISR {describe_brokers(leader.maximal_isr)} -> "
                f"{describe_brokers(later.maximal_isr)}"
            )
    return violations


def _progress(r: ReplicaState) -> tuple[object, ...]:
    return (r.high_watermark, r.isr, r.pending_isr, r.maximal_isr)


@spec("REPL-13", "Safe ISR expansion", kind="transition")
def safe_isr_expansion(
    before: ClusterSnapshot, after: ClusterSnapshot, event: StepEvent | None
) -> list[str]:
    """A replica joins a leader's ISR (current or proposed) only in a step in which that leader
    handled a fetch from it carrying the leader's current epoch, at a fetch offset (the
    follower's LEO) of at least max(the leader's HW, the leader's epoch start offset).  A replica
    joins the ZooKeeper ISR, other than by an election, only if its leader had admitted it."""
    violations = []
    for was, now in _pairs(before, after):
        for later in (r for r in now.replicas if r.is_presumed_leader):
            leader = was.replica(later.broker_id)
            if leader is None or not leader.is_presumed_leader:
                continue
            if leader.leader_epoch != later.leader_epoch:
                continue  # a new leadership starts from the controller's ISR
            for member in sorted(_admitted(later) - _admitted(leader)):
                problem = _expansion_problem(leader, member, event, was)
                if problem:
                    violations.append(f"{now.name}: leader {leader.broker_id} added {problem}")
        old, new = was.zk_state, now.zk_state
        if (old.leader, old.leader_epoch) == (new.leader, new.leader_epoch):
            leader = was.replica(old.leader)
            allowed = _admitted(leader) if leader is not None else frozenset()
            for member in sorted(new.isr - old.isr - allowed):
                violations.append(
                    f"{now.name}: broker {member} joined the ZK ISR though leader {old.leader} "
                    "had not admitted it"
                )
    return violations


def _admitted(r: ReplicaState) -> frozenset[BrokerId]:
    return r.isr | (r.pending_isr or frozenset())


def _expansion_problem(
    leader: ReplicaState, member: BrokerId, event: StepEvent | None, partition: PartitionSnapshot
) -> str:
    """Why adding ``member`` in this step is unsafe (KAFKA-7128, KIP-320), or ``""``."""
    if not (
        isinstance(event, FetchHandled)
        and _names(event, partition)
        and (event.leader, event.follower) == (leader.broker_id, member)
    ):
        return f"broker {member} to its ISR without handling a fetch from it"
    if event.current_leader_epoch != leader.leader_epoch:
        return (
            f"broker {member} on a fetch carrying epoch {event.current_leader_epoch}, not its "
            f"epoch {leader.leader_epoch}"
        )
    floor = max(leader.high_watermark, leader.leader_epoch_start_offset or 0)
    if event.fetch_offset < floor:
        return (
            f"broker {member} at LEO {event.fetch_offset}, below max(HW "
            f"{leader.high_watermark}, epoch start offset {leader.leader_epoch_start_offset})"
        )
    return ""


@spec("REPL-14", "Truncation safety", kind="transition")
def truncation_safety(
    before: ClusterSnapshot, after: ClusterSnapshot, event: StepEvent | None
) -> list[str]:
    """When a running replica's log loses its suffix from offset t in a step (records removed or
    replaced), no removed record is the committed record at its offset, and t is not below the
    divergence point: the first offset where the replica's log departs from the epoch history
    in its leader's epoch cache (KIP-279).  A replica that leads, or knows no leader, never
    truncates."""
    del event  # the two snapshots say everything this property needs
    violations = []
    for was, now in _pairs(before, after):
        for r in (r for r in now.replicas if r.running):
            prior = was.replica(r.broker_id)
            cut = _truncation_point(prior, r)
            if prior is None or cut is None:
                continue
            name = f"{now.name}: broker {r.broker_id} truncated from offset {cut}"
            committed = was.ghost.committed_log
            reach = min(prior.log_end_offset, len(committed))
            removed = [o for o in range(cut, reach) if prior.entry_at(o) == committed[o]]
            if removed:
                entry = describe_entry(committed[removed[0]], removed[0])
                violations.append(f"{name}, removing committed {entry}")
            leader = was.replica(r.leader)
            if r.role is ReplicaRole.LEADER or leader is None or r.leader == r.broker_id:
                violations.append(f"{name} without a leader to reconcile with")
            elif cut < (point := divergence_offset(prior, leader)):
                violations.append(
                    f"{name}, below the divergence point {point} given by leader "
                    f"{leader.broker_id}'s epoch cache {list(leader.epoch_cache)}"
                )
    return violations


def _truncation_point(prior: ReplicaState | None, now: ReplicaState) -> int | None:
    """The first offset of ``prior``'s log that ``now`` lost or replaced, or ``None``."""
    if prior is None:
        return None
    differ = first_difference(prior, now, prior.log_end_offset)
    if differ is not None:
        return differ
    return now.log_end_offset if now.log_end_offset < prior.log_end_offset else None


@spec("REPL-16", "minISR gate", kind="transition")
def min_isr_gate(
    before: ClusterSnapshot,
    after: ClusterSnapshot,
    event: StepEvent | None,
    *,
    kip966: bool = False,
) -> list[str]:
    """A leader handling an acks=all produce while its ISR is smaller than min.insync.replicas
    refuses it with NOT_ENOUGH_REPLICAS (19) and appends nothing.  A leader answering a waiting
    acks=all produce because its HW passed the record, while its maximal ISR is smaller than
    min.insync.replicas, answers NOT_ENOUGH_REPLICAS_AFTER_APPEND (20) and keeps the record.
    With ``kip966=True`` (KIP-966's optional mode) no presumed leader's HW rises while its ISR
    is smaller than min.insync.replicas."""
    violations = []
    for was, now in _pairs(before, after):
        minimum = now.min_insync_replicas
        if isinstance(event, ProduceHandled | ProduceCompleted) and _names(event, was):
            violations += [f"{now.name}: {p}" for p in _gate_problems(was, now, event, minimum)]
        for later in (r for r in now.replicas if kip966 and r.is_presumed_leader):
            prior = was.replica(later.broker_id)
            if prior and len(later.isr) < minimum and later.high_watermark > prior.high_watermark:
                violations.append(
                    f"{now.name}: leader {later.broker_id} raised its HW to "
                    f"{later.high_watermark} with ISR {describe_brokers(later.isr)} below "
                    f"min.insync.replicas {minimum} (KIP-966)"
                )
    return violations


def _gate_problems(
    was: PartitionSnapshot,
    now: PartitionSnapshot,
    event: ProduceHandled | ProduceCompleted,
    minimum: int,
) -> list[str]:
    leader, later = was.replica(event.leader), now.replica(event.leader)
    if leader is None or later is None:
        return []
    who = f"leader {leader.broker_id}"
    problems = []
    if isinstance(event, ProduceHandled):
        # Kafka checks the ISR size when the request arrives (Partition.appendRecordsToLeader),
        # after the leadership check: a broker that does not lead answers NOT_LEADER_OR_FOLLOWER
        # whatever it believes about the ISR.
        if event.acks is not Acks.ALL or len(leader.isr) >= minimum:
            return []
        if not leader.is_presumed_leader:
            return []
        if event.error is not ErrorCode.NOT_ENOUGH_REPLICAS:
            problems.append(
                f"{who} answered acks=all {event.record} with {event.error.name} while its ISR "
                f"{describe_brokers(leader.isr)} was below min.insync.replicas {minimum}"
            )
        if later.log_end_offset > leader.log_end_offset:
            problems.append(
                f"{who} appended {event.record} with ISR {describe_brokers(leader.isr)}"
            )
        return problems
    # At completion Kafka compares the maximal ISR (Partition.checkEnoughReplicasReachOffset).
    if len(later.maximal_isr) >= minimum:
        return []
    if event.error is not ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        problems.append(
            f"{who} answered {event.record} with {event.error.name} as its HW passed it with "
            f"ISR {describe_brokers(later.maximal_isr)} below min.insync.replicas {minimum}"
        )
    if not later.holds(event.record, event.offset):
        problems.append(f"{who} dropped {event.record} from offset {event.offset}")
    return problems


@spec("CTRL-1", "Controller fencing", kind="transition")
def controller_fencing(
    before: ClusterSnapshot, after: ClusterSnapshot, event: StepEvent | None
) -> list[str]:
    """A broker ignores a LeaderAndIsr whose controller epoch is lower than the highest it has
    seen (answering STALE_CONTROLLER_EPOCH, 11) or whose leader epoch is not higher than its own
    for that partition: the replica's role, leader, epoch and ISR stay as they were.  A broker's
    highest seen controller epoch never decreases.  A leader's ISR write changes the znode only
    if its expected zk_version matches; after a failed write the leader does not apply the
    change locally: its ISR view is unchanged, and is not the proposal unless ZooKeeper holds
    it."""
    violations = []
    for broker in before.brokers:
        later = after.broker(broker.broker_id)
        if later is not None and later.controller_epoch < broker.controller_epoch:
            violations.append(
                f"broker {broker.broker_id} went back from controller epoch "
                f"{broker.controller_epoch} to {later.controller_epoch}"
            )
    for was, now in _pairs(before, after):
        if event is not None and _names(event, was):
            violations += [f"{now.name}: {p}" for p in _fencing_problems(before, was, now, event)]
    return violations


def _view(r: ReplicaState | None) -> tuple[object, ...]:
    return (None,) if r is None else (r.role, r.leader, r.leader_epoch, r.isr, r.pending_isr)


def _fencing_problems(
    before: ClusterSnapshot, was: PartitionSnapshot, now: PartitionSnapshot, event: StepEvent
) -> list[str]:
    match event:
        case LeaderAndIsrHandled(broker=broker_id):
            broker, replica = before.broker(broker_id), was.replica(broker_id)
            seen = broker.controller_epoch if broker is not None else -1
            known = replica.leader_epoch if replica is not None else -1
            what = (
                f"broker {broker_id} got LeaderAndIsr (controller epoch "
                f"{event.controller_epoch}, leader epoch {event.leader_epoch})"
            )
            stale = event.controller_epoch < seen
            if stale and event.error is not ErrorCode.STALE_CONTROLLER_EPOCH:
                return [f"{what} after seeing controller epoch {seen}, answered {event.error.name}"]
            changed = _view(replica) != _view(now.replica(broker_id))
            if (stale or event.leader_epoch <= known) and changed:
                return [f"{what} while at epoch {known}, controller epoch {seen}, and applied it"]
        case IsrWriteHandled(expected_zk_version=expected):
            old, new = was.zk_state, now.zk_state
            if expected != old.zk_version and new != old:
                return [
                    f"leader {event.leader}'s ISR write expecting zk_version {expected} changed "
                    f"the znode at version {old.zk_version}"
                ]
        case IsrWriteAnswered(broker=broker_id, succeeded=False):
            prior, later = was.replica(broker_id), now.replica(broker_id)
            if prior is None or later is None:
                return []
            applied = later.isr == event.isr and event.isr != now.zk_state.isr
            if later.isr != prior.isr or applied:
                return [
                    f"leader {broker_id}'s ISR write of {describe_brokers(event.isr)} failed, "
                    f"yet its ISR view is {describe_brokers(later.isr)} (ZK ISR "
                    f"{describe_brokers(now.zk_state.isr)})"
                ]
        case FetchHandled() | ProduceHandled() | ProduceCompleted() | IsrWriteAnswered():
            pass  # other rules' business
        case _:
            assert_never(event)
    return []
