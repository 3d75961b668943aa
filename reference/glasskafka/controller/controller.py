"""The controller role: one broker at a time runs the cluster's metadata.

Theory of operation
-------------------
Every broker embeds a :class:`ControllerRole` (``role.py`` describes the seam).  The role is in one
of four states (``states.py``), changed only by the ``become_*`` methods, each checked against the
table ``TRANSITIONS``:

=============  =================================================================================
state          what the role is doing
=============  =================================================================================
``STANDBY``    not the controller; it stands for election and watches ``/controller``
``ELECTED``    it created the ephemeral ``/controller``; it bumps ``/controller_epoch``
``LOADING``    it reads the live brokers and every topic (Kafka's ``onControllerFailover``)
``ACTIVE``     it is the controller: it answers CreateTopics/DeleteTopics and reacts to watches
=============  =================================================================================

**Election** (Kafka's ``KafkaController.elect``).  On every new session the role sets a watch on
``/controller`` (``exists`` with ``watch``) and tries to create it as an *ephemeral* znode holding
its broker id.  One create wins; the others get ``NODEEXISTS`` and stay ``STANDBY``, their watch
set.  The winner's znode lives as long as its session: if the broker dies, or is cut off from the
coordination service for longer than its session timeout, the znode disappears, every standby's
watch fires ``NodeDeleted``, and they all stand again.

**Controller epoch** (CTRL-1).  The winner reads ``/controller_epoch`` and writes it plus one with
a compare-and-set on its version (creating it with 0 first if it does not exist, so the first
controller has epoch 1).  Every request it sends to brokers carries this epoch, and brokers ignore
requests with an epoch lower than the highest they have seen: a deposed controller that has not
noticed yet (a *zombie*) is fenced.  Its coordination requests are fenced too, because they travel
in the session that lost ``/controller``.

**Failover** (``LOADING``).  The new controller creates the top-level znodes if missing, then scans
``/brokers/ids`` and ``/brokers/topics`` with watches (``watchers.py``).  When both are read it
becomes ``ACTIVE``: it reconciles every partition (``partition_states.py``: leaders on dead brokers
are replaced, dead replicas leave ISRs, missing states are created), sends every live broker a
LeaderAndIsr for its replicas and a full UpdateMetadata, and starts watching deletions and ISR
notifications.

**Reacting** (``ACTIVE``).  Each watch event starts a scan, and each completed scan is handed to
its handler in ``reactions.py`` (named after Kafka's: ``onBrokerFailure``, ``onBrokerStartup``...):

* brokers gone (or bounced, KIP-380): every partition with a replica on them is reconciled --
  clean or unclean election, ISR shrink or offline (``election.py``) -- and brokers are told;
* brokers new: they get the full metadata and a LeaderAndIsr for their replicas, and their
  partitions are reconciled (an offline partition may now elect them);
* topics new: their partitions are created; a waiting CreateTopics is then answered (``admin.py``);
* deletions requested: ``deletion.py``;
* ISR notifications from leaders: the partitions are re-read and brokers told, the notices deleted.

What the role decides is batched (``batch.py``) and sent through its channel (``channel.py``) once
no election or scan is in progress, as Kafka's ``ControllerBrokerRequestBatch`` does.

**Resigning.**  On session expiry, or if ``/controller`` is deleted or changed under it, the role
answers waiting requests NOT_CONTROLLER, forgets its tenure and returns to ``STANDBY``.  If its
session merely hiccuped (requests failed with ``CONNECTIONLOSS``), it re-reads everything when the
session resumes, keeping its epoch.  Every coordination request names the role's *generation* in
its ``ctx``, so answers from an earlier tenure are ignored (``zk_ops.py``).

**Grants** (REPL-11).  Every leadership the role grants is logged in :attr:`ControllerRole.grants`
(``context.py``) for tests and observers; :meth:`ControllerRole.check_invariants` asserts that
each partition's granted epochs strictly rise, so no epoch is granted twice.

Spec IDs: CTRL-1, REPL-7, REPL-10, REPL-11, LIVE-3.

Simplified from Kafka: no controlled shutdown, preferred-replica election, partition reassignment
or topic config changes after creation; Kafka runs the controller on its own event thread with its
own connections, while glasskafka's role shares the broker's (``role.py``).
"""

from __future__ import annotations

from typing import assert_never

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import BrokerConfig
from glasskafka.controller import deletion, reactions
from glasskafka.controller.admin import TopicAdmin
from glasskafka.controller.channel import ControllerChannel, broker_of_node
from glasskafka.controller.context import ControllerContext, LeadershipGrant
from glasskafka.controller.election import ElectionKind
from glasskafka.controller.partition_states import PartitionStateMachine
from glasskafka.controller.role import RoleStep
from glasskafka.controller.states import TRANSITIONS, ControllerState
from glasskafka.controller.watchers import (
    BrokersFound,
    ClusterWatchers,
    DeletionsFound,
    IsrChangesFound,
    ScanResult,
    TopicsFound,
    WatchedList,
)
from glasskafka.controller.zk_ops import RoleCtx, ZkOutbox, make_ctx, parse_ctx
from glasskafka.controller.znodes import (
    CONFIG_PATH,
    CONFIG_TOPICS_PATH,
    CONTROLLER_EPOCH_PATH,
    CONTROLLER_PATH,
    PERSISTENT_PATHS,
    ZnodeFormatError,
    decode_controller,
    decode_controller_epoch,
    encode_controller,
    encode_controller_epoch,
)
from glasskafka.coordination.client import RequestCompleted, WatchTriggered
from glasskafka.coordination.codes import EventType, KeeperErrorCode
from glasskafka.coordination.messages import (
    CreateResponse,
    GetDataResponse,
    SessionResponse,
    SetDataResponse,
)
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, Millis, NodeId
from glasskafka.node import Output, Send
from glasskafka.protocol import envelope
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrResponse
from glasskafka.protocol.messages.stop_replica import StopReplicaResponse
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopicResult,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeletableTopicResult,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.protocol.messages.update_metadata import UpdateMetadataResponse

__all__ = ["INITIAL_CONTROLLER_EPOCH", "ControllerRole"]

INITIAL_CONTROLLER_EPOCH = Epoch(0)
"""What ``/controller_epoch`` is created with (``KafkaController.InitialControllerEpoch``)."""

_ELECT, _EPOCH, _SETUP = "elect", "epoch", "setup"


class ControllerRole:
    """The controller role hosted by one broker (plain data; see ``role.py`` for the seam)."""

    def __init__(
        self, *, broker_id: BrokerId, config: BrokerConfig, bugs: BugFlags = NO_BUGS
    ) -> None:
        self.broker_id = broker_id
        self.config = config
        self.bugs = bugs
        self.state = ControllerState.STANDBY
        self._controller_epoch = Epoch(0)
        self.generation = 0
        self.active_controller_id: BrokerId | None = None
        """The controller this role last read from ``/controller`` (for introspection)."""
        self.zk = ZkOutbox()
        self.channel = ControllerChannel(client_id=f"controller-{broker_id}")
        self.grants: list[LeadershipGrant] = []
        self.resync_needed = False
        self.deferred_broker_rescan = False
        self.admin = TopicAdmin(generation=self.generation)
        self._new_tenure()

    def _new_tenure(self) -> None:
        """Fresh per-tenure state under a new generation (answers to older requests are ignored)."""
        self.generation += 1
        self.context = ControllerContext(
            controller_id=self.broker_id,
            unclean_default=self.config.unclean_leader_election_enable,
            zk=self.zk,
            grants=self.grants,
            epoch=self._controller_epoch,
        )
        self.partitions = PartitionStateMachine(generation=self.generation)
        self.watchers = ClusterWatchers(generation=self.generation)
        self.admin.generation = self.generation
        self.deferred_broker_rescan = False

    def __eq__(self, other: object) -> bool:
        """Roles are plain data: equal when every field is (DESIGN §7, comparable snapshots)."""
        return isinstance(other, ControllerRole) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, like every node's state

    # -- the seam's surface --------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        """Whether this broker is the cluster's controller right now (answers CreateTopics)."""
        return self.state is ControllerState.ACTIVE

    @property
    def controller_epoch(self) -> Epoch:
        """The controller epoch this role last knew (its own while it controls)."""
        return self._controller_epoch

    def on_session_connected(self, *, resumed: bool, now_ms: Millis) -> RoleStep:
        """The broker's session is up: stand for election (a new session), or resynchronise."""
        if resumed:
            if self.resync_needed:
                self._resync(now_ms)
            return self._finish()
        if self.state is not ControllerState.STANDBY:
            self.become_standby("a new session replaced the old one")
        self.resync_needed = False
        self._stand(now_ms)
        return self._finish()

    def on_session_expired(self, now_ms: Millis) -> RoleStep:
        """The session is gone, and ``/controller`` with it: resign at once."""
        del now_ms
        if self.state is not ControllerState.STANDBY:
            self.become_standby("the coordination session expired")
        else:
            self._new_tenure()
        self.resync_needed = False
        return self._finish()

    def on_coordination_event(
        self, event: RequestCompleted | WatchTriggered, now_ms: Millis
    ) -> RoleStep:
        """An answer to one of the role's requests, or any watch event of the broker's session."""
        match event:
            case RequestCompleted(ctx=ctx_text, response=response):
                ctx = parse_ctx(ctx_text)
                if ctx is not None:
                    self._on_answer(ctx, response, now_ms)
            case WatchTriggered(event=watch):
                self._on_watch(watch.type, watch.path, now_ms)
            case _:
                assert_never(event)
        return self._finish()

    def on_message(
        self, sender: NodeId, message: KafkaRequest | KafkaResponse, now_ms: Millis
    ) -> RoleStep:
        """A CreateTopics/DeleteTopics request, or a broker's answer to the role's request."""
        del now_ms
        match message:
            case KafkaRequest(body=CreateTopicsRequest() | DeleteTopicsRequest()):
                self._on_admin_request(sender, message)
            case KafkaResponse(
                body=LeaderAndIsrResponse() | UpdateMetadataResponse() | StopReplicaResponse()
            ):
                broker = broker_of_node(sender)
                if broker is not None:
                    self.channel.on_response(broker, message.correlation_id)
            case _:
                pass  # not the role's business; the broker should not have passed it on
        return self._finish()

    def on_timer(self, name: str, now_ms: Millis) -> RoleStep:
        """One of the role's timers (``controller:resend:<broker>``) fired."""
        del now_ms
        broker = ControllerChannel.broker_of_timer(name)
        if broker is not None:
            live = self.is_active and broker in self.context.live_brokers
            self.channel.on_timer(broker, live=live)
        return self._finish()

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> RoleStep:
        """The connection to ``peer`` broke: re-send what it has not answered, later."""
        broker = broker_of_node(peer)
        if broker is not None:
            self.channel.on_connection_lost(broker, now_ms)
        return self._finish()

    def check_invariants(self) -> None:
        """The role's local invariants.

        Invariants: CTRL-1 (an active controller has bumped the epoch), REPL-11 (this role grants
        each partition strictly rising epochs, so never one epoch twice).
        """
        if self.state in (ControllerState.LOADING, ControllerState.ACTIVE):
            assert self._controller_epoch > INITIAL_CONTROLLER_EPOCH, (
                f"CTRL-1: broker {self.broker_id} controls with epoch {self._controller_epoch}"
            )
            assert self.context.epoch == self._controller_epoch
        last: dict[tuple[str, int], int] = {}
        for grant in self.grants:
            key = (grant.topic, grant.partition)
            # A NEW grant starts a partition's life again (a topic deleted and created anew).
            if grant.kind is not ElectionKind.NEW:
                assert grant.leader_epoch > last.get(key, -1), (
                    f"REPL-11: epoch {grant.leader_epoch} granted again or out of order: {grant}"
                )
            last[key] = grant.leader_epoch
        assert self.partitions.again <= self.partitions.running

    # -- state changes ---------------------------------------------------------------------------

    def _become(self, new: ControllerState) -> None:
        assert new in TRANSITIONS[self.state], (
            f"illegal controller transition {self.state} -> {new}"
        )
        self.state = new

    def become_standby(self, reason: str) -> None:
        """Resign: answer waiting requests NOT_CONTROLLER, forget the tenure, stop re-sending."""
        self._become(ControllerState.STANDBY)
        self.admin.answer_all(ErrorCode.NOT_CONTROLLER, f"The controller resigned: {reason}.")
        self.channel.reset()
        self._new_tenure()

    def become_elected(self, now_ms: Millis) -> None:
        """This broker holds ``/controller``: bump the controller epoch."""
        del now_ms
        self._become(ControllerState.ELECTED)
        self.active_controller_id = self.broker_id
        self._new_tenure()
        self._read_controller_epoch()

    def become_loading(self, epoch: Epoch) -> None:
        """The epoch is ours: read the cluster (Kafka's ``onControllerFailover``)."""
        self._become(ControllerState.LOADING)
        self._controller_epoch = epoch
        self._new_tenure()
        for path in (*PERSISTENT_PATHS, CONFIG_PATH, CONFIG_TOPICS_PATH):
            self.zk.create(path, ctx=make_ctx(_SETUP, self.generation, "create"))
        self.watchers.start(self.context, WatchedList.BROKERS)
        self.watchers.start(self.context, WatchedList.TOPICS)

    def become_active(self) -> None:
        """Everything is read: take charge of every partition and tell every broker."""
        self._become(ControllerState.ACTIVE)
        c = self.context
        for tp in c.partitions():
            c.batch.add_leader_and_isr(c.live_replicas(tp), tp)
        c.batch.add_update_metadata(c.live_ids, c.partitions())
        self.partitions.reconcile(c, c.partitions())
        self.watchers.start(c, WatchedList.DELETIONS)
        self.watchers.start(c, WatchedList.ISR_CHANGES)

    def _resync(self, now_ms: Millis) -> None:
        """The session resumed after requests were lost: redo the current phase from the start."""
        self.resync_needed = False
        match self.state:
            case ControllerState.STANDBY:
                self._new_tenure()
                self._stand(now_ms)
            case ControllerState.ELECTED:
                self._become(ControllerState.ELECTED)
                self._new_tenure()
                self._read_controller_epoch()
            case ControllerState.LOADING | ControllerState.ACTIVE:
                message = "the coordination service connection was lost; retry"
                self.admin.answer_all(ErrorCode.REQUEST_TIMED_OUT, message)
                self.become_loading(self._controller_epoch)
            case _:
                assert_never(self.state)

    # -- election and epoch ----------------------------------------------------------------------

    def _stand(self, now_ms: Millis) -> None:
        """Watch ``/controller`` and try to create it (Kafka's ``elect``)."""
        self.zk.exists(CONTROLLER_PATH, watch=True, ctx=make_ctx(_ELECT, self.generation, "watch"))
        data = encode_controller(self.broker_id, timestamp_ms=now_ms)
        ctx = make_ctx(_ELECT, self.generation, "create")
        self.zk.create(CONTROLLER_PATH, data, ephemeral=True, ctx=ctx)

    def _on_elect(self, ctx: RoleCtx, response: SessionResponse, now_ms: Millis) -> None:
        match response:
            case CreateResponse(error=KeeperErrorCode.OK) if self.state is ControllerState.STANDBY:
                self.become_elected(now_ms)
            case CreateResponse(error=KeeperErrorCode.NODEEXISTS):
                self.zk.get_data(CONTROLLER_PATH, ctx=make_ctx(_ELECT, self.generation, "read"))
            case GetDataResponse(error=KeeperErrorCode.OK):
                self._on_controller_read(response.data, now_ms)
            case _:
                pass  # the watch's answer, or a session problem handled elsewhere
        del ctx

    def _on_controller_read(self, data: bytes, now_ms: Millis) -> None:
        try:
            holder: BrokerId | None = decode_controller(data)
        except ZnodeFormatError:
            holder = None
        self.active_controller_id = holder
        if holder == self.broker_id and self.state is ControllerState.STANDBY:
            # Our own create, whose answer was lost with the connection: the znode is ours (as
            # Kafka's KafkaZkClient.checkControllerAndEpoch concludes when the id is its own).
            self.become_elected(now_ms)
        elif holder != self.broker_id and self.state is not ControllerState.STANDBY:
            self.become_standby(f"/controller now names broker {holder}")

    def _on_controller_watch(self, kind: EventType, now_ms: Millis) -> None:
        if kind is EventType.NodeDeleted:
            if self.state is not ControllerState.STANDBY:
                self.become_standby("/controller was deleted")
            self._stand(now_ms)
        else:
            self.zk.exists(
                CONTROLLER_PATH, watch=True, ctx=make_ctx(_ELECT, self.generation, "watch")
            )
            self.zk.get_data(CONTROLLER_PATH, ctx=make_ctx(_ELECT, self.generation, "read"))

    def _read_controller_epoch(self) -> None:
        self.zk.get_data(CONTROLLER_EPOCH_PATH, ctx=make_ctx(_EPOCH, self.generation, "read"))

    def _on_epoch(self, ctx: RoleCtx, response: SessionResponse) -> None:
        """Read, then compare-and-set ``/controller_epoch`` to one more.  Invariants: CTRL-1"""
        match response:
            case GetDataResponse(error=KeeperErrorCode.OK, stat=stat) if stat is not None:
                try:
                    current = decode_controller_epoch(response.data)
                except ZnodeFormatError:
                    current = INITIAL_CONTROLLER_EPOCH  # written by hand; ours overwrites it
                mine = Epoch(current + 1)
                step = make_ctx(_EPOCH, self.generation, "write", mine)
                self.zk.set_data(
                    CONTROLLER_EPOCH_PATH,
                    encode_controller_epoch(mine),
                    version=stat.version,
                    ctx=step,
                )
            case GetDataResponse(error=KeeperErrorCode.NONODE):
                data = encode_controller_epoch(INITIAL_CONTROLLER_EPOCH)
                self.zk.create(
                    CONTROLLER_EPOCH_PATH, data, ctx=make_ctx(_EPOCH, self.generation, "create")
                )
            case CreateResponse():
                self._read_controller_epoch()  # created by us or by a rival: read it either way
            case SetDataResponse(error=KeeperErrorCode.OK):
                self.become_loading(Epoch(int(ctx.rest)))
            case SetDataResponse(error=KeeperErrorCode.BADVERSION):
                self._read_controller_epoch()
            case _:
                pass

    # -- answers and watches ---------------------------------------------------------------------

    def _on_answer(self, ctx: RoleCtx, response: SessionResponse, now_ms: Millis) -> None:
        if ctx.generation != self.generation:
            return  # an answer to an earlier tenure
        if response.error is KeeperErrorCode.CONNECTIONLOSS:
            # The request may or may not have happened; redo the phase once the session resumes.
            self.resync_needed = True
            return
        c = self.context
        match ctx.kind:
            case "elect":
                self._on_elect(ctx, response, now_ms)
            case "epoch":
                self._on_epoch(ctx, response)
            case "state":
                self.partitions.on_response(c, ctx, response)
            case deletion.DELETION_KIND:
                deletion.on_response(c, ctx, response)
            case "admin":
                self.admin.on_response(c, ctx, response)
            case "brokers" | "topics" | "deletions" | "isr":
                result = self.watchers.on_response(c, ctx, response)
                if result is not None:
                    self._on_scan(result)
            case _:
                pass  # "setup" and "isr-done": nothing to do with the answer

    def _on_watch(self, kind: EventType, path: str, now_ms: Millis) -> None:
        if path == CONTROLLER_PATH:
            self._on_controller_watch(kind, now_ms)
            return
        watched = next((w for w in WatchedList if w.path == path), None)
        if watched is None or self.state not in (ControllerState.LOADING, ControllerState.ACTIVE):
            return
        loading_list = watched in (WatchedList.BROKERS, WatchedList.TOPICS)
        if self.state is ControllerState.ACTIVE or loading_list:
            self.watchers.start(self.context, watched)

    def _on_admin_request(self, sender: NodeId, request: KafkaRequest) -> None:
        if not self.is_active:
            self._refuse(sender, request)
        elif isinstance(request.body, CreateTopicsRequest):
            self.admin.on_create_topics(self.context, sender, request, self.config)
        else:
            self.admin.on_delete_topics(self.context, sender, request)

    def _refuse(self, sender: NodeId, request: KafkaRequest) -> None:
        """NOT_CONTROLLER for every topic (the broker normally does this itself)."""
        code = ErrorCode.NOT_CONTROLLER
        body = request.body
        answer: CreateTopicsResponse | DeleteTopicsResponse
        if isinstance(body, CreateTopicsRequest):
            answer = CreateTopicsResponse(
                topics=tuple(
                    CreatableTopicResult(name=t.name, error_code=code, error_message=None)
                    for t in body.topics
                )
            )
        else:
            assert isinstance(body, DeleteTopicsRequest)
            answer = DeleteTopicsResponse(
                responses=tuple(
                    DeletableTopicResult(name=n, error_code=code) for n in body.topic_names
                )
            )
        self.admin.outputs.append(Send(to=sender, message=envelope.answer(request, answer)))

    # -- what each completed scan means (reactions.py) ---------------------------------------

    def _on_scan(self, result: ScanResult) -> None:
        c, g = self.context, self.generation
        loading = self.state is ControllerState.LOADING
        match result:
            case BrokersFound(brokers=found) if loading:
                c.live_brokers = dict(found)
            case BrokersFound():
                bounced = reactions.on_brokers_changed(c, self.partitions, self.channel, result)
                # A bounced broker comes back as new once its partitions have been re-elected.
                self.deferred_broker_rescan |= bounced
            case TopicsFound(new=new) if loading:
                for topic, (assignment, config) in new.items():
                    c.add_topic(topic, assignment, config)
            case TopicsFound():
                reactions.on_topics_changed(c, self.partitions, result, generation=g)
            case DeletionsFound(topics=topics):
                reactions.on_deletions(c, self.partitions, topics, generation=g)
            case IsrChangesFound():
                reactions.on_isr_changes(c, self.partitions, result, generation=g)
            case _:
                assert_never(result)

    # -- the end of every input ------------------------------------------------------------------

    def _finish(self) -> RoleStep:
        """Advance what can advance now, then hand out everything queued during the input."""
        c = self.context
        if self.state is ControllerState.LOADING and self._loaded():
            self.become_active()
        if self.state is ControllerState.ACTIVE:
            idle = not self.partitions.busy
            if self.deferred_broker_rescan and idle:
                self.deferred_broker_rescan = False
                self.watchers.start(c, WatchedList.BROKERS)
            if idle and not self.watchers.busy and not c.batch.empty:
                self._send_batch()
            self.admin.maybe_answer(c, self.partitions)
        outputs: tuple[Output, ...] = self.channel.drain() + self.admin.drain()
        return RoleStep(outputs=outputs, coordination=self.zk.drain())

    def _loaded(self) -> bool:
        wanted = {WatchedList.BROKERS, WatchedList.TOPICS}
        return wanted <= self.watchers.scanned and not self.watchers.busy

    def _send_batch(self) -> None:
        c = self.context
        requests = c.batch.build(
            controller_id=self.broker_id,
            controller_epoch=self._controller_epoch,
            live={b: live.registration for b, live in c.live_brokers.items()},
            states=c.states,
            replicas=c.replicas,
        )
        for broker, body in requests:
            self.channel.send(broker, body)
