"""The partition state machine: read a partition's znode, decide, and write it back safely.

Theory of operation
-------------------
Every change the controller makes to a partition -- creating it, electing a leader, removing dead
replicas from its ISR -- goes through one loop, :meth:`PartitionStateMachine.reconcile`:

1. **read** ``/brokers/topics/<t>/partitions/<p>/state`` (the controller's cache may be stale:
   leaders change their ISR on their own);
2. **decide** with :mod:`~glasskafka.controller.election`, from what was read, the assignment and
   the brokers alive *now*;
3. **write** the decision with a compare-and-set on the version just read (``setData`` with
   ``version``).  If a leader changed the ISR in between, the write fails with ``BADVERSION`` and
   the loop goes back to 1 -- Kafka's ``updateLeaderAndIsr`` retries the same way (CTRL-1);
4. on success, **remember** the new state, **record the grant** (REPL-11) and **batch** a
   LeaderAndIsr for the partition's live replicas and an UpdateMetadata for every live broker.

A partition whose state znode does not exist yet is *new*: step 3 then creates the znode (with its
parents ``.../partitions`` and ``.../partitions/<p>``, as Kafka's ``createTopicPartitionStatesRaw``
does) instead of setting it, and the LeaderAndIsr marks it ``is_new``.  If the create finds the
znode already there, the loop reads it again.

Reconciling is idempotent: a partition that needs nothing is read and left alone (its cached state
refreshed, and announced in UpdateMetadata if it changed, which is how ISR changes made by leaders
reach the metadata caches).  So every trigger -- a broker died, a broker came back, a topic
appeared, a leader reported an ISR change, a new controller took over -- simply asks to reconcile
the partitions concerned.  One partition has at most one loop running; a request during a loop
runs it once more afterwards, so no change is missed.

Spec IDs: REPL-7, REPL-10 (decisions, asserted before writing), REPL-11 (one grant per epoch: a
compare-and-set can succeed only once per version), CTRL-1 (conditional writes).

Simplified from Kafka: Kafka reads and writes partitions in bulk and moves each through named
states (``NewPartition``, ``OnlinePartition``, ``OfflinePartition``, ``NonExistentPartition``);
glasskafka keeps no per-partition state name, only "a loop is running", and derives the rest from
the znode each time.  Kafka (2.1+) also wraps every write in a ``multi`` that checks the version of
``/controller_epoch`` (KAFKA-6082); glasskafka relies on its session: a controller that has lost
its ``/controller`` znode has lost its session, and its requests fail with ``SESSIONEXPIRED``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from glasskafka.controller.context import ControllerContext, LeadershipGrant
from glasskafka.controller.election import Election, ElectionKind, elect_leader, initial_state
from glasskafka.controller.zk_ops import RoleCtx, make_ctx
from glasskafka.controller.znodes import (
    NO_LEADER,
    PartitionState,
    ZnodeFormatError,
    decode_partition_state,
    encode_partition_state,
    partition_path,
    partition_state_path,
    partitions_path,
)
from glasskafka.coordination.codes import KeeperErrorCode
from glasskafka.coordination.messages import (
    CreateResponse,
    GetDataResponse,
    SessionResponse,
    SetDataResponse,
)
from glasskafka.ids import PartitionId, TopicName, TopicPartition

__all__ = ["STATE_KIND", "PartitionStateMachine"]

STATE_KIND = "state"
"""The ``ctx`` kind of this machine's requests."""


@dataclass(slots=True, kw_only=True)
class PartitionStateMachine:
    """Which partitions have a reconcile loop running, and what each is about to write."""

    generation: int
    running: set[TopicPartition] = field(default_factory=set)
    again: set[TopicPartition] = field(default_factory=set)
    proposals: dict[TopicPartition, Election] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        """Whether any loop is running."""
        return bool(self.running)

    def busy_with(self, topic: TopicName) -> bool:
        return any(t == topic for t, _ in self.running)

    def reconcile(self, c: ControllerContext, partitions: list[TopicPartition]) -> None:
        """Start (or schedule once more) the loop for each of ``partitions``."""
        for tp in partitions:
            if tp in self.running:
                self.again.add(tp)
            else:
                self.running.add(tp)
                self._read(c, tp)

    def forget_topic(self, topic: TopicName) -> None:
        """``topic`` is being deleted: stop caring about its loops (late answers are ignored)."""
        for tps in (self.running, self.again):
            tps.difference_update({tp for tp in tps if tp[0] == topic})
        for tp in [tp for tp in self.proposals if tp[0] == topic]:
            del self.proposals[tp]

    # -- the loop ------------------------------------------------------------------------------

    def _ctx(self, step: str, tp: TopicPartition) -> str:
        return make_ctx(STATE_KIND, self.generation, step, tp[1], tp[0])

    def _read(self, c: ControllerContext, tp: TopicPartition) -> None:
        c.zk.get_data(partition_state_path(*tp), ctx=self._ctx("read", tp))

    def _finish(self, c: ControllerContext, tp: TopicPartition) -> None:
        self.running.discard(tp)
        self.proposals.pop(tp, None)
        if tp in self.again:
            self.again.discard(tp)
            self.reconcile(c, [tp])

    def on_response(self, c: ControllerContext, ctx: RoleCtx, response: SessionResponse) -> None:
        """An answer to one of this machine's requests (``ctx.kind == "state"``)."""
        partition, topic = ctx.split(1)
        tp = (TopicName(topic), PartitionId(int(partition)))
        if tp not in self.running:
            return  # the topic was deleted meanwhile
        match response:
            case GetDataResponse():
                self._on_read(c, tp, response)
            case SetDataResponse() | CreateResponse() if ctx.step in ("write", "create"):
                self._on_written(c, tp, response)
            case _:
                pass  # the parents' creates: NODEEXISTS is expected and harmless

    def _on_read(self, c: ControllerContext, tp: TopicPartition, response: GetDataResponse) -> None:
        if not c.knows(tp):
            self._finish(c, tp)
        elif response.error is KeeperErrorCode.NONODE:
            self._create(c, tp)
        elif response.error is not KeeperErrorCode.OK or response.stat is None:
            self._finish(c, tp)
        else:
            try:
                read = decode_partition_state(response.data, zk_version=response.stat.version)
            except ZnodeFormatError:
                # Written by hand and unreadable: leave it alone rather than guess (never crash).
                self._finish(c, tp)
                return
            self._decide(c, tp, read)

    def _decide(self, c: ControllerContext, tp: TopicPartition, read: PartitionState) -> None:
        if c.states.get(tp) != read:
            c.states[tp] = read
            c.batch.add_update_metadata(c.live_ids, [tp])
        election = elect_leader(
            read,
            replicas=c.replicas(tp),
            live=c.live_brokers,
            unclean=c.unclean_enabled(tp[0]),
            controller_epoch=c.epoch,
        )
        if election.kind is ElectionKind.NONE:
            self._finish(c, tp)
            return
        self.proposals[tp] = election
        c.zk.set_data(
            partition_state_path(*tp),
            encode_partition_state(election.state),
            version=read.zk_version,
            ctx=self._ctx("write", tp),
        )

    def _create(self, c: ControllerContext, tp: TopicPartition) -> None:
        state = initial_state(c.replicas(tp), live=c.live_brokers, controller_epoch=c.epoch)
        if state is None:
            self._finish(c, tp)  # no live replica: wait for a broker to come back
            return
        self.proposals[tp] = Election(state=state, kind=ElectionKind.NEW)
        c.zk.create(partitions_path(tp[0]), ctx=self._ctx("parent", tp))
        c.zk.create(partition_path(*tp), ctx=self._ctx("parent", tp))
        c.zk.create(
            partition_state_path(*tp), encode_partition_state(state), ctx=self._ctx("create", tp)
        )

    def _on_written(
        self, c: ControllerContext, tp: TopicPartition, response: SetDataResponse | CreateResponse
    ) -> None:
        proposal = self.proposals.get(tp)
        error = response.error
        if proposal is None or error is KeeperErrorCode.NONODE or not c.knows(tp):
            self._finish(c, tp)
        elif error in (KeeperErrorCode.BADVERSION, KeeperErrorCode.NODEEXISTS):
            # Someone wrote the znode since we read it (a leader's ISR change): read it again.
            self.proposals.pop(tp, None)
            self._read(c, tp)
        elif error is not KeeperErrorCode.OK:
            self._finish(c, tp)
        else:
            self._apply(c, tp, proposal, zk_version=_written_version(response, proposal))
            self._finish(c, tp)

    def _apply(
        self, c: ControllerContext, tp: TopicPartition, proposal: Election, *, zk_version: int
    ) -> None:
        """The write succeeded: cache it, log the grant, tell the brokers.  Invariants: REPL-11"""
        state = dataclasses.replace(proposal.state, zk_version=zk_version)
        c.states[tp] = state
        if state.leader != NO_LEADER:
            c.grants.append(
                LeadershipGrant(
                    topic=tp[0],
                    partition=tp[1],
                    leader=state.leader,
                    leader_epoch=state.leader_epoch,
                    controller_epoch=state.controller_epoch,
                    kind=proposal.kind,
                )
            )
        is_new = proposal.kind is ElectionKind.NEW
        c.batch.add_leader_and_isr(c.live_replicas(tp), tp, is_new=is_new)
        c.batch.add_update_metadata(c.live_ids, [tp])


def _written_version(response: SetDataResponse | CreateResponse, proposal: Election) -> int:
    """The znode's version after a successful write: 0 for a create (ZooKeeper's first version)."""
    if isinstance(response, CreateResponse):
        return 0
    if response.stat is not None:
        return response.stat.version
    return proposal.state.zk_version + 1
