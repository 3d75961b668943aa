"""ISR maintenance on a leader: when to shrink or expand, and the conditional write behind it.

Theory of operation
-------------------
The leader alone changes its partition's ISR (the controller changes it only with a new leader
epoch).  It never applies a change on its own authority: it *proposes* it with a conditional
write to ``/brokers/topics/<t>/partitions/<p>/state`` -- a ``setData`` that names the
``zk_version`` the leader last saw -- and applies it only once the coordination service confirms
(CTRL-1).  While the write is in flight the proposal is ``pending_isr`` and the HW is advanced
over the union of the current and proposed ISR, the maximal ISR (``partition.py``; REPL-8).  At
most one change is in flight per partition.

**Shrink** (Kafka's ``Partition.maybeShrinkIsr``, run by the isr-expiration task every
``replica.lag.time.max.ms / 2``): a follower leaves the ISR when it is not at the leader's LEO
and has not caught up for longer than ``replica.lag.time.max.ms``.  The leader never removes
itself, so the ISR never becomes empty (REPL-7).

**Expand** (``Partition.maybeExpandIsr``, on every counted follower fetch, before the HW is
recomputed): a follower joins when its LEO has reached both the leader's HW and the leader-epoch
start offset, on a fetch made in the leader's current epoch (KIP-320; REPL-13).  Requiring the
LESO matters right after an election, when the new leader's HW may still lag (S6).

**Answers.**  Confirmed: the proposal becomes the ISR, the new ``zk_version`` is kept, a
sequential ``/isr_change_notification/isr_change_`` znode tells the controller (which then
refreshes every broker's metadata), and the HW may rise.  Refused (``BADVERSION``: the znode
changed under the leader): the change is dropped, never applied, and the znode is read back to
learn its version.  Lost in transit (``CONNECTIONLOSS``, ``SESSIONEXPIRED``): the write may or
may not have happened, so the proposal stays pending (the HW keeps waiting for its members) until
the znode is read back after the session is up again; if the znode holds the proposal, it is
applied then.  A read-back adopts the znode's version only if the znode still names this broker
leader in this epoch with the ISR the broker knows or proposed; otherwise the controller has
moved on and its LeaderAndIsr will say so.

Spec IDs: REPL-7, REPL-8, REPL-13, CTRL-1.

Simplified from Kafka: ZooKeeper-era Kafka 2.x wrote the ISR synchronously from the request
thread and, on a version conflict, only logged "Cached zkVersion not equal to that in zookeeper,
skip updating ISR" until the controller's next LeaderAndIsr; glasskafka writes asynchronously with
the pending ISR of KIP-497 (Kafka 2.7+, where the controller applies AlterIsr) and reads the znode
back.  Kafka batches ISR change notifications every 2.5 seconds; glasskafka writes one per change.
"""

from __future__ import annotations

from collections.abc import Mapping

from glasskafka.broker.effects import Effects, IsrWriteResult, IsrWriteSent
from glasskafka.broker.partition import Partition
from glasskafka.controller.role import CoordinationRequest
from glasskafka.controller.znodes import (
    ISR_CHANGE_SEQUENCE_PREFIX,
    PartitionState,
    ZnodeFormatError,
    decode_partition_state,
    encode_isr_change,
    encode_partition_state,
    partition_state_path,
)
from glasskafka.coordination import (
    CreateRequest,
    GetDataRequest,
    GetDataResponse,
    KeeperErrorCode,
    RequestCompleted,
    SetDataRequest,
    SetDataResponse,
)
from glasskafka.ids import BrokerId, Epoch, Millis, PartitionId, TopicName, TopicPartition

__all__ = [
    "ISR_EXPIRATION_TIMER",
    "ISR_NOTIFICATION_CTX",
    "ISR_READ_CTX_PREFIX",
    "ISR_WRITE_CTX_PREFIX",
    "is_follower_in_sync",
    "isr_partition",
    "maybe_expand_isr",
    "maybe_shrink_isr",
    "on_isr_answer",
    "on_isr_read_answer",
    "on_isr_write_answer",
    "out_of_sync_replicas",
    "parse_isr_ctx",
    "read_back",
]

ISR_EXPIRATION_TIMER = "broker:isr-expiration"
ISR_WRITE_CTX_PREFIX = "broker:isr-write:"
ISR_READ_CTX_PREFIX = "broker:isr-read:"
ISR_NOTIFICATION_CTX = "broker:isr-change-notification"

_IN_TRANSIT = (KeeperErrorCode.CONNECTIONLOSS, KeeperErrorCode.SESSIONEXPIRED)
"""Failures after which a write may or may not have happened (ZooKeeper's "maybe" errors)."""


def _ctx(prefix: str, partition: Partition) -> str:
    return f"{prefix}{partition.topic}:{partition.partition}:{partition.leader_epoch}"


def parse_isr_ctx(ctx: str, prefix: str) -> tuple[TopicName, PartitionId, Epoch] | None:
    """``(topic, partition, leader epoch)`` from an ISR write or read ``ctx``, or None."""
    parts = ctx.removeprefix(prefix).split(":") if ctx.startswith(prefix) else []
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].lstrip("-").isdigit():
        return None
    return TopicName(parts[0]), PartitionId(int(parts[1])), Epoch(int(parts[2]))


# -- deciding -----------------------------------------------------------------------------------


def isr_partition(
    partitions: Mapping[TopicPartition, Partition], ctx: str, prefix: str
) -> tuple[Partition, Epoch] | None:
    """The replica and leader epoch an ISR request's ``ctx`` names, if the replica is here."""
    parsed = parse_isr_ctx(ctx, prefix)
    if parsed is None:
        return None
    topic, partition, epoch = parsed
    found = partitions.get((topic, partition))
    return (found, epoch) if found is not None else None


def out_of_sync_replicas(
    partition: Partition, *, now_ms: Millis, replica_lag_time_max_ms: int
) -> frozenset[BrokerId]:
    """ISR followers that are behind the leader's LEO and have not caught up for too long.

    Kafka's ``Replica.isCaughtUp``: at the leader's LEO, or caught up within the last
    ``replica.lag.time.max.ms``.
    """
    leader_end = partition.log_end_offset
    lagging = set()
    for broker in sorted(partition.isr - {partition.local_broker_id}):
        remote = partition.remote_replicas.get(broker)
        if remote is None:
            lagging.add(broker)
            continue
        at_end = remote.log_end_offset == leader_end
        if not at_end and now_ms - remote.last_caught_up_time_ms > replica_lag_time_max_ms:
            lagging.add(broker)
    return frozenset(lagging)


def is_follower_in_sync(partition: Partition, follower: BrokerId) -> bool:
    """Whether ``follower`` may join the ISR now (REPL-13)."""
    remote = partition.remote_replicas[follower]
    if partition.bugs.expand_isr_on_hw_only:
        # KAFKA-7128: before KIP-320's rule the leader compared the follower with its HW only.
        # Right after an election the new leader's HW may still lag its log, so a follower that
        # lacks committed records passes (S6).
        return remote.log_end_offset >= partition.high_watermark
    start = partition.leader_epoch_start_offset
    return (
        start is not None
        and remote.last_fetch_epoch == partition.leader_epoch
        and remote.log_end_offset >= max(partition.high_watermark, start)
    )


def maybe_shrink_isr(
    partition: Partition, *, now_ms: Millis, replica_lag_time_max_ms: int, effects: Effects
) -> None:
    """Propose removing lagging followers (the isr-expiration task).  Invariants: REPL-7."""
    if not partition.is_leader or partition.pending_isr is not None:
        return
    lagging = out_of_sync_replicas(
        partition, now_ms=now_ms, replica_lag_time_max_ms=replica_lag_time_max_ms
    )
    if lagging:
        _propose(partition, partition.isr - lagging, effects)


def maybe_expand_isr(partition: Partition, follower: BrokerId, *, effects: Effects) -> None:
    """Propose adding ``follower`` after a counted fetch, if it has caught up (REPL-13)."""
    if not partition.is_leader or partition.pending_isr is not None:
        return
    if follower in partition.isr or follower not in partition.remote_replicas:
        return
    if is_follower_in_sync(partition, follower):
        _propose(partition, partition.isr | {follower}, effects)


def _propose(partition: Partition, isr: frozenset[BrokerId], effects: Effects) -> None:
    """Send the conditional write of ``isr`` and mark it pending.  Invariants: CTRL-1, REPL-7."""
    proposed = isr | {partition.local_broker_id}
    partition.pending_isr = proposed
    state = PartitionState(
        leader=partition.local_broker_id,
        leader_epoch=partition.leader_epoch,
        isr=tuple(sorted(proposed)),
        controller_epoch=partition.controller_epoch,
    )
    write = SetDataRequest(
        xid=0,
        path=partition_state_path(partition.topic, partition.partition),
        data=encode_partition_state(state),
        version=partition.zk_version,
    )
    effects.coordination.append(
        CoordinationRequest(request=write, ctx=_ctx(ISR_WRITE_CTX_PREFIX, partition))
    )
    effects.events.append(
        IsrWriteSent(
            topic=partition.topic,
            partition=partition.partition,
            isr=proposed,
            expected_zk_version=partition.zk_version,
        )
    )


# -- answers ------------------------------------------------------------------------------------


def _current(partition: Partition, epoch: Epoch) -> bool:
    """Whether an answer about ``epoch`` still concerns this leadership."""
    return partition.is_leader and partition.leader_epoch == epoch


def on_isr_write_answer(
    partition: Partition, response: SetDataResponse, *, epoch: Epoch, effects: Effects
) -> None:
    """Apply, drop or keep pending the ISR write made in ``epoch``.  Invariants: CTRL-1."""
    proposed = partition.pending_isr
    if not _current(partition, epoch) or proposed is None or partition.isr_outcome_unknown:
        return  # a newer LeaderAndIsr replaced this leadership, or a read-back is due
    if response.error is KeeperErrorCode.OK and response.stat is not None:
        _apply(partition, proposed, zk_version=response.stat.version, effects=effects)
        return
    unknown = response.error in _IN_TRANSIT
    effects.events.append(
        IsrWriteResult(
            topic=partition.topic,
            partition=partition.partition,
            isr=proposed,
            succeeded=False,
            outcome_unknown=unknown,
        )
    )
    if unknown:
        partition.isr_outcome_unknown = True  # read back once the session is up again
        return
    partition.pending_isr = None
    read_back(partition, effects)


def _apply(
    partition: Partition, isr: frozenset[BrokerId], *, zk_version: int, effects: Effects
) -> None:
    """The coordination service holds ``isr``: make it the ISR, tell the controller."""
    partition.isr = isr
    partition.pending_isr = None
    partition.isr_outcome_unknown = False
    partition.zk_version = zk_version
    effects.events.append(
        IsrWriteResult(
            topic=partition.topic,
            partition=partition.partition,
            isr=isr,
            succeeded=True,
            outcome_unknown=False,
        )
    )
    notification = CreateRequest(
        xid=0,
        path=ISR_CHANGE_SEQUENCE_PREFIX,
        data=encode_isr_change([(partition.topic, partition.partition)]),
        sequential=True,
    )
    effects.coordination.append(CoordinationRequest(request=notification, ctx=ISR_NOTIFICATION_CTX))
    if partition.maybe_increment_high_watermark():
        effects.touch(partition.topic, partition.partition)


def read_back(partition: Partition, effects: Effects) -> None:
    """Read the partition state znode to learn what became of an ISR write."""
    read = GetDataRequest(xid=0, path=partition_state_path(partition.topic, partition.partition))
    effects.coordination.append(
        CoordinationRequest(request=read, ctx=_ctx(ISR_READ_CTX_PREFIX, partition))
    )


def on_isr_read_answer(
    partition: Partition, response: GetDataResponse, *, epoch: Epoch, effects: Effects
) -> None:
    """Settle a refused or lost ISR write from the znode's content (see the module docstring)."""
    if not _current(partition, epoch):
        return
    if response.error in _IN_TRANSIT:
        partition.isr_outcome_unknown = partition.pending_isr is not None
        return  # read again once the session is up
    state = _decode(response)
    proposed = partition.pending_isr
    partition.isr_outcome_unknown = False
    partition.pending_isr = None
    if state is None or state.leader != partition.local_broker_id or state.leader_epoch != epoch:
        return
    held = frozenset(state.isr)
    if proposed is not None and held == proposed:
        _apply(partition, proposed, zk_version=state.zk_version, effects=effects)
    elif held == partition.isr:
        partition.zk_version = state.zk_version


def _decode(response: GetDataResponse) -> PartitionState | None:
    if response.error is not KeeperErrorCode.OK or response.stat is None:
        return None
    try:
        return decode_partition_state(response.data, zk_version=response.stat.version)
    except ZnodeFormatError:
        return None  # someone wrote garbage with zk-shell; wait for the controller


def on_isr_answer(
    partitions: Mapping[TopicPartition, Partition], completed: RequestCompleted, effects: Effects
) -> bool:
    """Route the answer to an ISR write or read-back to its replica; False if not an ISR answer.

    An answer for a replica this broker no longer holds is consumed and ignored.
    """
    ctx, response = completed.ctx, completed.response
    if ctx.startswith(ISR_WRITE_CTX_PREFIX):
        found = isr_partition(partitions, ctx, ISR_WRITE_CTX_PREFIX)
        if found is not None and isinstance(response, SetDataResponse):
            on_isr_write_answer(found[0], response, epoch=found[1], effects=effects)
        return True
    if ctx.startswith(ISR_READ_CTX_PREFIX):
        found = isr_partition(partitions, ctx, ISR_READ_CTX_PREFIX)
        if found is not None and isinstance(response, GetDataResponse):
            on_isr_read_answer(found[0], response, epoch=found[1], effects=effects)
        return True
    return False
