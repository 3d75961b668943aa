"""Replication: what ZooKeeper-era Kafka promises about replicated partitions.

Specification
-------------
A partition has *assigned replicas* on different brokers.  The coordination service holds the
partition's authoritative state in one znode: the leader, the leader epoch, the in-sync replica
set (the *ZK ISR*), the znode's ``zk_version`` and the epoch of the controller that wrote it.
The znode changes atomically, by compare-and-set on ``zk_version``.  The controller elects
leaders and tells brokers with LeaderAndIsr; the leader alone shrinks or expands the ISR, by a
conditional write.  Each broker also keeps its own view (role, leader, epoch, local ISR), which
may lag: a deposed leader that has not heard yet is a *zombie*, and any replica that believes it
leads is a *presumed leader*.  The *true leader* is the running replica that the znode names and
that knows the znode's epoch; there is at most one.

Followers pull from the leader.  Each replica has a log end offset (LEO) and a high watermark
(HW), both exclusive; offsets below the HW are visible to consumers.  The leader's HW is the
smallest LEO among the replicas it counts, its *maximal ISR*: the ISR, plus any member proposed
in a write that ZooKeeper has not yet confirmed.  Every batch carries the epoch of the leader
that wrote it and each replica keeps an epoch cache (epoch, start offset), so a follower can find
where its log departs from the leader's and truncate exactly there (KIP-101, KIP-279).  Requests
between replicas carry the sender's epoch and are refused on mismatch (KIP-320).

Some truths are known to no node, so observers keep *ghost state* (reference §2, kept by
``glasskafka.sim.kafka_snapshot.GhostRecorder``): the true high watermark (the largest HW a true
leader ever reached; it never falls), the committed log below it, every answer producers got,
every record consumers read, every leadership the controller granted, and the replicas that
restarted after a lossy crash and have not caught up (*dirty*).  A record is *committed* when
it lies below the true HW.

The promises, each a predicate below over ``ClusterSnapshot`` values (plain data):

* agreement: replicas agree below their HWs (REPL-1), ISR members hold what their leader made
  visible (REPL-3), and consumers never see an offset change its record (REPL-6);
* durability: every clean candidate and the ZK leader hold the committed log (REPL-2, REPL-4), and
  acks=all data accepted with a full enough ISR is never lost (REPL-5);
* structure: the leader is in the ISR, which is never empty (REPL-7); the HW quorum covers the
  ISR (REPL-8); watermarks are sane (REPL-9); one leader per epoch (REPL-11); and, from KIP-966,
  dirty replicas stay out of leadership and the ISR (REPL-15);
* steps (*transition properties*, taking the snapshots before and after one step and the step's
  event): epochs only rise (REPL-10); only same-epoch fetches count (REPL-12); the ISR grows only
  safely (REPL-13); truncation never cuts committed data or below the divergence point
  (REPL-14); the minISR gate answers as Kafka does (REPL-16); stale controllers and stale ISR
  writes are ignored (CTRL-1);
* liveness, checked after faults stop and the cluster has run for a fixed budget: every produce
  is answered (LIVE-1), acked data reaches every live replica (LIVE-2), metadata converges
  (LIVE-3).

The state invariants and the liveness properties are in this module; the transition properties
(REPL-10, 12, 13, 14, 16, CTRL-1) are in ``specs/replication_steps.py``.

Which must hold where (reference §3.1): all of them with no bug flag, clean elections and no lossy
crash.  Unclean elections may break REPL-2, 4, 5, 6, 14 (and REPL-1 until the returning replica
truncates); lossy crashes may break REPL-2, 4, 5, 6, 15 (REPL-1 transiently); acks=0/1 loses
only records these predicates leave out.

Simplified from Kafka: one snapshot sees the whole cluster at once, which no Kafka process can;
liveness is bounded (a budget of steps), not "eventually"; KRaft-only rules (partition epochs,
broker epochs, eligible leader replicas) appear only as REPL-15's target.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

from glasskafka.ids import BrokerId, Epoch
from glasskafka.sim.kafka_snapshot import (
    ClusterSnapshot,
    LogEntry,
    ReplicaRole,
    ReplicaState,
    describe_brokers,
    describe_entry,
)

from specs.catalogue import spec

__all__ = [
    "candidate_completeness",
    "committed_prefix_agreement",
    "consistent_reads",
    "eventual_answer",
    "eventual_full_replication",
    "first_difference",
    "leader_completeness",
    "leader_in_isr",
    "metadata_convergence",
    "no_loss_of_acks_all",
    "one_true_leader_per_epoch",
    "quorum_superset",
    "unclean_exclusion",
    "watermark_sanity",
    "weak_isr",
]


def first_difference(r: ReplicaState, s: ReplicaState, end: int) -> int | None:
    """The first offset below ``end`` that both logs hold and at which they differ, or ``None``."""
    start = max(r.log_start_offset, s.log_start_offset)
    end = min(end, r.log_end_offset, s.log_end_offset)
    return next((o for o in range(start, end) if r.entry_at(o) != s.entry_at(o)), None)


def _first_gap(replica: ReplicaState, expected: Sequence[LogEntry]) -> int | None:
    """The first offset at which ``replica`` does not hold ``expected`` (a log from offset 0)."""
    return next(
        (
            offset
            for offset, entry in enumerate(expected)
            if offset >= replica.log_start_offset and replica.entry_at(offset) != entry
        ),
        None,
    )


def _first_mismatch(replica: ReplicaState, reference: ReplicaState, end: int) -> int | None:
    """The first offset below ``end`` that ``reference`` holds and ``replica`` does not."""
    start = max(replica.log_start_offset, reference.log_start_offset)
    end = min(end, reference.log_end_offset)
    return next(
        (o for o in range(start, end) if replica.entry_at(o) != reference.entry_at(o)), None
    )


# ---------------------------------------------------------------------------------------------
# State invariants, checked after every step


@spec("REPL-1", "Committed-prefix agreement")
def committed_prefix_agreement(snapshot: ClusterSnapshot, *, strong: bool = False) -> list[str]:
    """For any two replicas r and s and every offset o below both of their high watermarks that
    both logs hold, the two logs hold the same record, with the same epoch, at o.  The optional
    strong form (``strong=True``) adds: if both logs hold a record of the same epoch at some
    offset o, the two logs are identical up to o."""
    violations = []
    for p in snapshot.partitions:
        for r, s in itertools.combinations(p.replicas, 2):
            first = first_difference(r, s, max(r.log_end_offset, s.log_end_offset))
            if first is None:
                continue
            if first < min(r.high_watermark, s.high_watermark):
                violations.append(
                    f"{p.name}: offset {first} is below the HW of broker {r.broker_id} "
                    f"({r.high_watermark}) and of broker {s.broker_id} ({s.high_watermark}), "
                    f"but they hold {r.describe_at(first)} and {s.describe_at(first)}"
                )
            end = min(r.log_end_offset, s.log_end_offset)
            same = [o for o in range(first, end) if r.epoch_at(o) == s.epoch_at(o)]
            if strong and same:
                violations.append(
                    f"{p.name}: brokers {r.broker_id} and {s.broker_id} both hold epoch "
                    f"{r.epoch_at(same[0])} records at offset {same[0]}, yet differ at offset "
                    f"{first} ({r.describe_at(first)} against {s.describe_at(first)})"
                )
    return violations


@spec("REPL-2", "Candidate completeness")
def candidate_completeness(snapshot: ClusterSnapshot) -> list[str]:
    """Every ZooKeeper ISR member whose log is intact (running, or stopped without losing data)
    begins with the committed log.  So a clean election can never pick a replica that lacks a
    committed record."""
    violations = []
    for p in snapshot.partitions:
        committed = p.ghost.committed_log
        for member in sorted(p.zk_state.isr):
            replica = p.replica(member)
            if replica is None:
                violations.append(f"{p.name}: the ZK ISR names broker {member}, not a replica")
            elif replica.running or replica.log_intact:
                gap = _first_gap(replica, committed)
                if gap is not None:
                    violations.append(
                        f"{p.name}: broker {member} is in the ZK ISR "
                        f"{describe_brokers(p.zk_state.isr)} but lacks committed "
                        f"{describe_entry(committed[gap], gap)} (holds {replica.describe_at(gap)})"
                    )
    return violations


@spec("REPL-3", "Weak ISR")
def weak_isr(snapshot: ClusterSnapshot) -> list[str]:
    """For every presumed leader L (zombies included) and every member m of L's local ISR view,
    m's log equals L's log on every offset below L's high watermark."""
    violations = []
    for p in snapshot.partitions:
        for leader in (r for r in p.replicas if r.is_presumed_leader):
            for member in sorted(leader.isr - {leader.broker_id}):
                replica = p.replica(member)
                if replica is None:
                    violations.append(f"{p.name}: leader {leader.broker_id}'s ISR names {member}")
                    continue
                gap = _first_mismatch(replica, leader, leader.high_watermark)
                if gap is not None:
                    violations.append(
                        f"{p.name}: broker {member} is in leader {leader.broker_id}'s ISR view "
                        f"but holds {replica.describe_at(gap)} at offset {gap}, below the "
                        f"leader's HW {leader.high_watermark}, where the leader holds "
                        f"{leader.describe_at(gap)}"
                    )
    return violations


@spec("REPL-4", "Leader completeness")
def leader_completeness(snapshot: ClusterSnapshot) -> list[str]:
    """If the ZooKeeper leader is running, its LEO is at least the true high watermark, its log
    begins with the committed log, and it holds every acks=all record at its acknowledged
    offset."""
    violations = []
    for p in snapshot.partitions:
        leader = p.replica(p.zk_state.leader)
        if leader is None or not leader.running:
            continue
        name = f"{p.name}: ZK leader {leader.broker_id}"
        if leader.log_end_offset < p.ghost.true_high_watermark:
            violations.append(
                f"{name} has LEO {leader.log_end_offset}, below the true HW "
                f"{p.ghost.true_high_watermark}"
            )
        gap = _first_gap(leader, p.ghost.committed_log)
        if gap is not None:
            entry = describe_entry(p.ghost.committed_log[gap], gap)
            violations.append(f"{name} lacks committed {entry} (holds {leader.describe_at(gap)})")
        for ack in p.ghost.acked_all:
            if not leader.holds(ack.record, ack.offset):
                violations.append(
                    f"{name} lacks acks=all record {ack.record} at offset {ack.offset} "
                    f"(acknowledged in epoch {ack.leader_epoch}; holds "
                    f"{leader.describe_at(ack.offset)})"
                )
    return violations


@spec("REPL-5", "No loss of acks=all data")
def no_loss_of_acks_all(snapshot: ClusterSnapshot) -> list[str]:
    """Every record acknowledged to an acks=all producer while the leader's ISR had at least
    min.insync.replicas members is present at its acknowledged offset on at least one replica,
    and on the ZooKeeper leader whenever one is running.  acks=0 and acks=1 records are out of
    scope by design (scenario S9), and so are acks=all records accepted with a smaller ISR,
    which the minISR gate (REPL-16) should have refused."""
    violations = []
    for p in snapshot.partitions:
        leader = p.replica(p.zk_state.leader)
        for ack in p.ghost.acked_all:
            if ack.isr_size < p.min_insync_replicas:
                continue
            what = (
                f"{p.name}: acks=all record {ack.record} (offset {ack.offset}, acknowledged in "
                f"epoch {ack.leader_epoch} with an ISR of {ack.isr_size})"
            )
            if not any(r.holds(ack.record, ack.offset) for r in p.replicas):
                violations.append(f"{what} is on no replica")
            elif leader and leader.running and not leader.holds(ack.record, ack.offset):
                violations.append(
                    f"{what} is missing on the running ZK leader {leader.broker_id}, which "
                    f"holds {leader.describe_at(ack.offset)}"
                )
    return violations


@spec("REPL-6", "Consistent reads")
def consistent_reads(snapshot: ClusterSnapshot) -> list[str]:
    """For every record x a consumer read at offset o: the true leader, if there is one, holds x
    at o, and so does every running replica whose high watermark is above o.  A consumed offset
    is never read again as another record."""
    violations = []
    for p in snapshot.partitions:
        seen: dict[int, str] = {}
        true_leader = p.true_leader()
        for offset, record in p.ghost.consumed:
            if seen.setdefault(offset, record) != record:
                violations.append(
                    f"{p.name}: offset {offset} was consumed as {seen[offset]} and as {record}"
                )
            holders = [r for r in p.replicas if r.running and r.high_watermark > offset]
            if true_leader is not None and true_leader not in holders:
                holders.append(true_leader)
            for replica in holders:
                if not replica.holds(record, offset):
                    violations.append(
                        f"{p.name}: {record} was consumed at offset {offset}, but broker "
                        f"{replica.broker_id} (HW {replica.high_watermark}) holds "
                        f"{replica.describe_at(offset)} there"
                    )
    return violations


@spec("REPL-7", "Leader in ISR")
def leader_in_isr(snapshot: ClusterSnapshot) -> list[str]:
    """The ZooKeeper leader is none or a member of the ZooKeeper ISR, and the ZooKeeper ISR is
    never empty (the rule before KIP-966: the last member is never removed)."""
    violations = []
    for p in snapshot.partitions:
        state = p.zk_state
        if not state.isr:
            violations.append(f"{p.name}: the ZK ISR is empty")
        if state.leader is not None and state.leader not in state.isr:
            violations.append(
                f"{p.name}: ZK leader {state.leader} is not in the ZK ISR "
                f"{describe_brokers(state.isr)}"
            )
    return violations


@spec("REPL-8", "Quorum superset")
def quorum_superset(snapshot: ClusterSnapshot) -> list[str]:
    """The set the true leader advances its high watermark over (its maximal ISR) always contains
    the ZooKeeper ISR and the leader's own ISR view; while an ISR change is in flight it contains
    both the current and the proposed ISR."""
    violations = []
    for p in snapshot.partitions:
        leader = p.true_leader()
        if leader is None:
            continue
        proposed = leader.pending_isr or frozenset()
        missing = (p.zk_state.isr | leader.isr | proposed) - leader.maximal_isr
        if missing:
            violations.append(
                f"{p.name}: leader {leader.broker_id} advances its HW over "
                f"{describe_brokers(leader.maximal_isr)}, leaving out {describe_brokers(missing)} "
                f"(ZK ISR {describe_brokers(p.zk_state.isr)}, own ISR "
                f"{describe_brokers(leader.isr)}, proposed {describe_brokers(proposed)})"
            )
    return violations


@spec("REPL-9", "Watermark sanity")
def watermark_sanity(snapshot: ClusterSnapshot) -> list[str]:
    """On every running replica HW ≤ LEO.  A follower's HW never exceeds the HW carried by the
    last fetch response it applied.  The true leader's HW never exceeds the true high watermark,
    which itself never decreases (the ghost recorder keeps it as a maximum)."""
    violations = []
    for p in snapshot.partitions:
        for r in (r for r in p.replicas if r.running):
            if r.high_watermark > r.log_end_offset:
                violations.append(
                    f"{p.name}: broker {r.broker_id} has HW {r.high_watermark} above its LEO "
                    f"{r.log_end_offset}"
                )
            fetched = r.last_fetched_high_watermark
            follower = r.role is ReplicaRole.FOLLOWER
            if follower and fetched is not None and r.high_watermark > fetched:
                violations.append(
                    f"{p.name}: follower {r.broker_id} has HW {r.high_watermark}, above the HW "
                    f"{fetched} of the last fetch response it applied"
                )
        leader = p.true_leader()
        if leader is not None and leader.high_watermark > p.ghost.true_high_watermark:
            violations.append(
                f"{p.name}: true leader {leader.broker_id} has HW {leader.high_watermark}, above "
                f"the true HW {p.ghost.true_high_watermark}"
            )
    return violations


@spec("REPL-11", "One true leader per epoch")
def one_true_leader_per_epoch(snapshot: ClusterSnapshot) -> list[str]:
    """For each leader epoch the controller granted leadership to at most one replica, and every
    presumed leader (zombies included) leads in an epoch that was granted to it.  So zombies may
    believe they lead, but never two replicas in the same epoch."""
    violations = []
    for p in snapshot.partitions:
        by_epoch: dict[Epoch, set[BrokerId]] = {}
        for replica, epoch in p.ghost.granted:
            by_epoch.setdefault(epoch, set()).add(replica)
        for granted_epoch, holders in sorted(by_epoch.items()):
            if len(holders) > 1:
                violations.append(
                    f"{p.name}: epoch {granted_epoch} was granted to {describe_brokers(holders)}"
                )
        for r in p.replicas:
            if r.is_presumed_leader and (r.broker_id, r.leader_epoch) not in p.ghost.granted:
                violations.append(
                    f"{p.name}: broker {r.broker_id} leads in epoch {r.leader_epoch}, which was "
                    "never granted to it"
                )
    return violations


@spec("REPL-15", "Unclean exclusion")
def unclean_exclusion(snapshot: ClusterSnapshot) -> list[str]:
    """A replica that restarted after a lossy crash and has not caught up (the ghost's dirty set)
    is neither the ZooKeeper leader nor in the ZooKeeper ISR or the true leader's ISR view.
    This is KIP-966's target; ZooKeeper-era Kafka does not enforce it (scenario S10).  It must
    hold in runs without lossy crashes, where the dirty set stays empty, and only there do the
    model tests check it."""
    violations = []
    for p in snapshot.partitions:
        leader = p.true_leader()
        local_isr = leader.isr if leader is not None else frozenset()
        for broker_id in sorted(p.ghost.dirty):
            places = [
                label
                for label, inside in (
                    ("the ZK leader", p.zk_state.leader == broker_id),
                    ("in the ZK ISR", broker_id in p.zk_state.isr),
                    ("in the true leader's ISR view", broker_id in local_isr),
                )
                if inside
            ]
            if places:
                violations.append(
                    f"{p.name}: broker {broker_id} restarted dirty after a lossy crash and has "
                    f"not caught up, yet is {' and '.join(places)}"
                )
    return violations


# ---------------------------------------------------------------------------------------------
# Liveness, checked once faults have stopped and the cluster has run for its budget


@spec("LIVE-1", "Eventual answer")
def eventual_answer(snapshot: ClusterSnapshot) -> list[str]:
    """Once faults stop and the cluster has run for its budget, every produce attempt has
    received an answer: a success or an error."""
    violations = []
    for p in snapshot.partitions:
        waiting = Counter(p.ghost.sent)
        waiting.subtract(ack.record for ack in p.ghost.acked)
        waiting.subtract(record for record, _ in p.ghost.nacked)
        for record, count in sorted(waiting.items()):
            if count > 0:
                violations.append(f"{p.name}: {count} produce attempt(s) of {record} unanswered")
    return violations


@spec("LIVE-2", "Eventual full replication")
def eventual_full_replication(snapshot: ClusterSnapshot) -> list[str]:
    """Once faults stop and the cluster has run for its budget, every acks=all record is at its
    acknowledged offset on every running assigned replica."""
    violations = []
    for p in snapshot.partitions:
        for ack in p.ghost.acked_all:
            for r in (r for r in p.replicas if r.running):
                if not r.holds(ack.record, ack.offset):
                    violations.append(
                        f"{p.name}: acks=all record {ack.record} has not reached broker "
                        f"{r.broker_id}, which holds {r.describe_at(ack.offset)} at {ack.offset}"
                    )
    return violations


@spec("LIVE-3", "Metadata convergence")
def metadata_convergence(snapshot: ClusterSnapshot) -> list[str]:
    """Once faults stop and the cluster has run for its budget, every running broker's cached
    leader, leader epoch and ISR for every partition equal the ZooKeeper state."""
    violations = []
    for broker in (b for b in snapshot.brokers if b.running):
        for p in snapshot.partitions:
            cached = broker.metadata_for(p.topic, p.partition)
            truth = _state(p.zk_state.leader, p.zk_state.leader_epoch, p.zk_state.isr)
            seen = (
                "nothing"
                if cached is None
                else _state(cached.leader, cached.leader_epoch, cached.isr)
            )
            if seen != truth:
                violations.append(
                    f"{p.name}: broker {broker.broker_id} caches {seen}, ZooKeeper holds {truth}"
                )
    return violations


def _state(leader: BrokerId | None, epoch: Epoch, isr: frozenset[BrokerId]) -> str:
    return f"leader {leader} epoch {epoch} ISR {describe_brokers(isr)}"
