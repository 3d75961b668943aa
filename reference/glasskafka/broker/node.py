"""The broker node: one Kafka broker as a sans-IO state machine, hosting its two roles.

Theory of operation
-------------------
:class:`BrokerNode` is what a simulator or runtime drives (``glasskafka.node``); build it as
``BrokerNode(node_id, disk, rng, config=..., bugs=...)``, the factory shape the simulator
expects.  It is Kafka's ``KafkaServer`` in miniature, and mostly routes:

* **start** (:meth:`on_start`): open the log directory (recovering every log) and restore the
  high watermarks (``replica_manager.py``), connect to the coordination service ``zk``, and set
  the periodic timers (isr-expiration every ``replica.lag.time.max.ms / 2``, HW checkpoint);
* **coordination session** (``glasskafka.coordination.client``): one session per broker.  When
  it is up, the broker registers ``/brokers/ids/<id>`` (``registration.py``), reads back ISR
  writes whose outcome was lost, and tells the controller role; when it expires, the broker
  reconnects at once and registers again with the new session;
* **requests** pass connection muting (``request_channel.py``) and are served by ``apis.py``;
  the outcome is an answer now, a parked operation (the peer stays muted), or nothing (acks=0);
* **InitProducerId** is answered from this broker's block of producer ids (``producer_ids.py``);
  the peer waits, muted, while a new block is reserved in ``/latest_producer_id_block``;
* **the controller role** (THE SEAM, ``glasskafka.controller.role``): every broker embeds a
  :class:`~glasskafka.controller.ControllerRole`.  The node gives it session changes, the
  coordination answers whose ``ctx`` starts with ``"controller:"``, every watch event,
  CreateTopics/DeleteTopics while it is active (otherwise the node answers NOT_CONTROLLER),
  the responses to its LeaderAndIsr/UpdateMetadata/StopReplica requests, its timers and lost
  connections; it submits the role's coordination requests through its own session and passes
  its outputs on.  A message to this broker itself -- the role's LeaderAndIsr to its own
  broker, the broker's answer back -- is delivered locally, after the current input and in
  order, because the network has no self-connection;
* **the group coordinator role** (``group_hosting.py``, the seam of ``glasskafka/group/host.py``):
  the nine group APIs, the ``group:`` timers and lost connections go to an embedded
  :class:`~glasskafka.group.GroupCoordinator`; after every LeaderAndIsr and StopReplica it loads
  or unloads the ``__consumer_offsets`` partitions this broker leads, after every UpdateMetadata
  it learns who leads the others, and its offsets appends are made here with ``acks=all``.
  A peer whose group request the role keeps for later (JoinGroup, SyncGroup, OffsetCommit)
  stays muted until it is answered;
* **after every input** the node tries the parked operations and offsets appends watching the
  partitions the input touched, serves the held requests of peers that became unmuted, forwards
  auto-created topics (``__consumer_offsets`` included) to the controller, and hands its
  outputs back.

Read-only introspection, stable for the simulator's cluster harness and the specs' snapshots
(the broker concepts page, "What observers can see"): ``broker_id``, ``partition_state(t, p)``
(a frozen :class:`~glasskafka.broker.partition.PartitionView`), ``log(t, p)``, ``partitions()``,
``fetch_state(t, p)``, ``metadata_cache``, ``controller``, ``controller_epoch``, ``registered``
``groups`` (the group role's hosting) and ``events`` (what the last input did, ``effects.py``).

Spec IDs: CTRL-1, REPL-6..10, REPL-12..14, REPL-16 come together here; :meth:`check_invariants`
asserts the local ones after every input.

Simplified from Kafka: one request at a time, run to completion (Kafka has network and request
handler thread pools); no transaction coordinator; no controlled shutdown; the
coordination service's node id is fixed (``zk``) rather than read from ``zookeeper.connect``; the
log directory is the root of the node's :class:`~glasskafka.storage.Disk` (the runtime roots a
``RealDisk`` at ``log.dirs``), so a broker has exactly one.
"""

from __future__ import annotations

import dataclasses
import random

from glasskafka.broker.apis import handle_request, is_served
from glasskafka.broker.delayed_answers import answer_of
from glasskafka.broker.effects import Answer, BrokerEvent, Effects, Outcome, Parked, Unanswered
from glasskafka.broker.fetcher import FETCHER_TIMER_PREFIX, FetchState, ReplicaFetcherManager
from glasskafka.broker.group_hosting import BrokerParts, GroupHosting, is_group_request
from glasskafka.broker.isr import ISR_EXPIRATION_TIMER, on_isr_answer, read_back
from glasskafka.broker.metadata_cache import MetadataCache, auto_create_request
from glasskafka.broker.partition import PartitionView
from glasskafka.broker.producer_ids import ProducerIdManager
from glasskafka.broker.purgatory import DelayedOperation, operation_of_timer
from glasskafka.broker.registration import (
    REGISTRATION_RETRY_TIMER,
    Registration,
    advertised_endpoint,
    broker_id_of,
    checked_broker_id,
)
from glasskafka.broker.replica_manager import (
    HW_CHECKPOINT_INTERVAL_MS,
    HW_CHECKPOINT_TIMER,
    ReplicaManager,
)
from glasskafka.broker.request_channel import AwaitingController, RequestChannel, peer_of_timer
from glasskafka.broker.responses import error_body
from glasskafka.broker.session import COORDINATION_NODE_ID, is_coordination_message, submit
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import BrokerConfig, TopicConfig
from glasskafka.controller import ControllerRole
from glasskafka.controller.role import CONTROLLER_CTX_PREFIX, CoordinationRequest, RoleStep
from glasskafka.coordination import (
    ClientEvent,
    ClientStep,
    CoordinationClient,
    RequestCompleted,
    SessionConnected,
    SessionDisconnected,
    SessionExpired,
    WatchTriggered,
)
from glasskafka.errors import ErrorCode
from glasskafka.ids import (
    Epoch,
    Millis,
    NodeId,
    PartitionId,
    TopicName,
    TopicPartition,
    broker_node_id,
)
from glasskafka.log import LogManager, PartitionLog
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse, answer, request
from glasskafka.protocol.messages.fetch import FetchResponse
from glasskafka.protocol.messages.init_producer_id import InitProducerIdRequest
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrRequest, LeaderAndIsrResponse
from glasskafka.protocol.messages.offset_for_leader_epoch import OffsetForLeaderEpochResponse
from glasskafka.protocol.messages.stop_replica import StopReplicaRequest, StopReplicaResponse
from glasskafka.protocol.messages.topic_admin import (
    CreateTopicsRequest,
    DeleteTopicsRequest,
)
from glasskafka.protocol.messages.update_metadata import (
    UpdateMetadataRequest,
    UpdateMetadataResponse,
)
from glasskafka.storage import Disk

__all__ = ["BrokerNode"]

AUTO_CREATE_TIMEOUT_MS = 30000
"""How long a forwarded auto-create may take at the controller (Kafka's request timeout)."""

INIT_PRODUCER_ID_TIMEOUT_MS = 30000  # how long an InitProducerId may wait for a block of ids


class BrokerNode(Node):
    """One broker: replica manager, metadata cache, coordination session, controller role."""

    def __init__(
        self,
        node_id: NodeId,
        disk: Disk,
        rng: random.Random,
        *,
        config: BrokerConfig,
        bugs: BugFlags = NO_BUGS,
    ) -> None:
        """Build a broker that has not started yet (nothing is read from ``disk`` until
        :meth:`on_start`).

        ``config.broker_id`` must agree with ``node_id`` (``broker-<id>``); -1 takes the id
        from the node id.  Raises :class:`GlassKafkaError` naming the value otherwise, or for
        a malformed ``listeners`` value.
        """
        self.node_id = node_id
        self.broker_id = checked_broker_id(node_id, config)
        config = dataclasses.replace(config, broker_id=self.broker_id)
        self.config = config
        self.disk = disk
        self.rng = rng
        self.bugs = bugs
        host, port = advertised_endpoint(config)
        self.metadata_cache = MetadataCache()
        self.replicas = ReplicaManager(
            broker_id=self.broker_id,
            config=config,
            log_manager=LogManager(disk=disk, default_config=TopicConfig.from_broker(config)),
            metadata_cache=self.metadata_cache,
            fetchers=ReplicaFetcherManager(local_broker_id=self.broker_id, config=config),
            bugs=bugs,
        )
        self.client = CoordinationClient(
            server=COORDINATION_NODE_ID,
            session_timeout_ms=config.zookeeper_session_timeout_ms,
            timer_prefix="broker:zk",
        )
        self.registration = Registration(broker_id=self.broker_id, host=host, port=port)
        self.controller = ControllerRole(broker_id=self.broker_id, config=config, bugs=bugs)
        self.producer_ids = ProducerIdManager(broker_id=self.broker_id)
        self.groups = GroupHosting.for_broker(config, rng, bugs=bugs)
        self.channel = RequestChannel()
        self.events: tuple[BrokerEvent, ...] = ()
        self.next_correlation_id = 0
        self._local: list[tuple[NodeId, Message]] = []
        self._effects = Effects()

    # -- introspection (read-only) --------------------------------------------------------------

    def partition_state(self, topic: str, partition: int) -> PartitionView | None:
        """A frozen copy of this broker's replica of ``topic``-``partition``, or None."""
        found = self.replicas.partitions.get((TopicName(topic), PartitionId(partition)))
        return found.view() if found is not None else None

    def log(self, topic: str, partition: int) -> PartitionLog | None:
        """The log of this broker's replica (read it, never write it), or None."""
        return self.replicas.log_manager.get_log(topic, partition)

    def partitions(self) -> list[TopicPartition]:
        return sorted(self.replicas.partitions)

    def fetch_state(self, topic: str, partition: int) -> FetchState | None:
        followed = self.replicas.fetchers.state_of((TopicName(topic), PartitionId(partition)))
        return followed.state if followed is not None else None

    @property
    def controller_epoch(self) -> Epoch:
        """The highest controller epoch this broker has accepted (CTRL-1)."""
        return self.replicas.controller_epoch

    @property
    def registered(self) -> bool:
        return self.registration.registered

    # -- inputs ---------------------------------------------------------------------------------

    def on_start(self, now_ms: Millis) -> list[Output]:
        """Open the log directory, connect to the coordination service, set periodic timers."""
        self._effects = Effects()
        self.replicas = ReplicaManager.open(
            self.disk,
            broker_id=self.broker_id,
            config=self.config,
            metadata_cache=self.metadata_cache,
            bugs=self.bugs,
            now_ms=now_ms,
        )
        self._client(self.client.connect(now_ms), now_ms)
        self._arm(ISR_EXPIRATION_TIMER, now_ms, self._isr_expiration_interval_ms)
        self._arm(HW_CHECKPOINT_TIMER, now_ms, HW_CHECKPOINT_INTERVAL_MS)
        return self._finish(now_ms)

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        """One message from a peer: a request, a response, or the coordination service's."""
        self._effects = Effects()
        self._dispatch(sender, message, now_ms, local=False)
        return self._finish(now_ms)

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        """One of the broker's, the session's or the controller role's timers fired."""
        self._effects = Effects()
        self._timer(name, now_ms)
        return self._finish(now_ms)

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        """Forget what ``peer`` was waiting for; retry what this broker was waiting for."""
        self._effects = Effects()
        if peer == COORDINATION_NODE_ID:
            self._client(self.client.on_connection_lost(now_ms), now_ms)
        reason = self.channel.forget(peer)
        self.producer_ids.forget(peer)
        self.groups.on_connection_lost(peer)
        if isinstance(reason, AwaitingController):
            # The role may still answer; that answer must not reach a fresh connection.
            self.channel.suppressed.add((peer, reason.request.correlation_id))
        for operation_id in self.replicas.purgatory.of_peer(peer):
            taken = self.replicas.purgatory.take(operation_id)
            if taken is not None:
                self._effects.outputs.append(taken[1])
        broker = broker_id_of(peer)
        if broker is not None:
            self.replicas.fetchers.on_connection_lost(broker, now_ms=now_ms, effects=self._effects)
        self._role(self.controller.on_connection_lost(peer, now_ms), now_ms)
        return self._finish(now_ms)

    def check_invariants(self) -> None:
        """The replicas', the fetchers', the roles' and the request channel's invariants."""
        self.replicas.check_invariants()
        self.controller.check_invariants()
        self.groups.check_invariants(self.replicas)
        self.channel.check_invariants(self.replicas.purgatory, local=self.node_id)

    # -- routing --------------------------------------------------------------------------------

    def _dispatch(self, sender: NodeId, message: Message, now_ms: Millis, *, local: bool) -> None:
        match message:
            case KafkaRequest():
                self._request(sender, message, now_ms, local=local)
            case KafkaResponse():
                self._response(sender, message, now_ms)
            case _ if is_coordination_message(sender, message):
                self._client(self.client.on_message(message, now_ms), now_ms)
            case _:
                pass  # nothing a broker expects; ignored like a frame of an unknown API

    def _request(
        self, sender: NodeId, request: KafkaRequest, now_ms: Millis, *, local: bool
    ) -> None:
        """Serve ``request`` unless ``sender`` is muted, in which case it waits its turn."""
        if not local and self.channel.is_muted(sender):
            self.channel.hold(sender, request)
            return
        if isinstance(request.body, CreateTopicsRequest | DeleteTopicsRequest):
            outcome = self._to_controller(sender, request, now_ms, local=local)
        elif isinstance(request.body, InitProducerIdRequest) and is_served(request):
            outcome = self._init_producer_id(sender, request, now_ms)
        elif is_group_request(request) and is_served(request) and not local:
            outcome = self.groups.on_request(sender, request, self.config, self._parts(now_ms))
        else:
            outcome = handle_request(
                self.replicas,
                sender,
                request,
                auto_create_topics_enable=self.config.auto_create_topics_enable,
                now_ms=now_ms,
                effects=self._effects,
            )
            self._after_controller_request(request, now_ms)
        match outcome:
            case Answer(body=body):
                self._send(sender, answer(request, body))
            case Parked(operation_id=operation_id):
                if not local:
                    self.channel.mute_for_operation(sender, operation_id)
            case Unanswered():
                pass

    def _to_controller(
        self, sender: NodeId, request: KafkaRequest, now_ms: Millis, *, local: bool
    ) -> Outcome:
        """Hand CreateTopics/DeleteTopics to the active role; the sender waits for its answer."""
        if not self.controller.is_active:
            refused = error_body(request.body, ErrorCode.NOT_CONTROLLER)
            return Answer(body=refused) if refused is not None else Unanswered()
        if not local:
            body = request.body
            assert isinstance(body, CreateTopicsRequest | DeleteTopicsRequest)
            deadline = Millis(now_ms + max(body.timeout_ms, 0))
            self._effects.outputs.append(
                self.channel.mute_for_controller(sender, request, deadline)
            )
        self._role(self.controller.on_message(sender, request, now_ms), now_ms)
        return Unanswered()  # the role answers, now or later

    def _init_producer_id(self, sender: NodeId, request: KafkaRequest, now_ms: Millis) -> Outcome:
        """Answer from this broker's block of ids or, while a new block is reserved, mute
        ``sender`` as for the controller role (REQUEST_TIMED_OUT after the deadline)."""
        response, coordination = self.producer_ids.on_request(sender, request)
        for submitted in coordination:
            self._submit(submitted, now_ms)
        if response is not None:
            return Answer(body=response)
        deadline = Millis(now_ms + INIT_PRODUCER_ID_TIMEOUT_MS)
        self._effects.outputs.append(self.channel.mute_for_controller(sender, request, deadline))
        return Unanswered()

    def _response(self, sender: NodeId, response: KafkaResponse, now_ms: Millis) -> None:
        match response.body:
            case LeaderAndIsrResponse() | UpdateMetadataResponse() | StopReplicaResponse():
                self._role(self.controller.on_message(sender, response, now_ms), now_ms)
            case FetchResponse() | OffsetForLeaderEpochResponse():
                leader = broker_id_of(sender)
                if leader is not None:
                    self.replicas.fetchers.on_response(
                        leader,
                        response,
                        partitions=self.replicas.partitions,
                        log_manager=self.replicas.log_manager,
                        now_ms=now_ms,
                        effects=self._effects,
                    )
            case _:
                pass  # e.g. the answer to a forwarded auto-create: nothing to do

    def _send(self, to: NodeId, message: Message) -> None:
        """Send, or deliver locally after this input when ``to`` is this broker itself."""
        if to == self.node_id:
            self._local.append((self.node_id, message))
        else:
            self._effects.outputs.append(Send(to=to, message=message))

    # -- the group coordinator role (``group_hosting.py``) -------------------------------------

    def _parts(self, now_ms: Millis) -> BrokerParts:
        return BrokerParts(
            replicas=self.replicas, channel=self.channel, effects=self._effects, now_ms=now_ms
        )

    def _after_controller_request(self, request: KafkaRequest, now_ms: Millis) -> None:
        """Let the group role follow what a controller request changed."""
        if isinstance(request.body, LeaderAndIsrRequest | StopReplicaRequest):
            self.groups.follow_leadership(self._parts(now_ms))
        elif isinstance(request.body, UpdateMetadataRequest):
            self.groups.refresh_leaders(self.replicas)

    # -- the controller role --------------------------------------------------------------------

    def _role(self, step: RoleStep, now_ms: Millis) -> None:
        """Carry out what the role asked for: its messages, timers and coordination requests."""
        for output in step.outputs:
            match output:
                case Send(to=to, message=KafkaResponse() as response):
                    self._send_awaited(to, response)
                case Send(to=to, message=message):
                    self._send(to, message)
                case SetTimer() | CancelTimer():
                    self._effects.outputs.append(output)
        for coordination in step.coordination:
            self._submit(coordination, now_ms)

    def _send_awaited(self, to: NodeId, response: KafkaResponse) -> None:
        """Send the late answer a muted peer waits for, unless it already timed out."""
        if self.channel.take_suppressed(to, response.correlation_id):
            return  # the broker already answered REQUEST_TIMED_OUT
        self._send(to, response)
        cancel = self.channel.controller_answered(to, response.correlation_id)
        if cancel is not None:
            self._effects.outputs.append(cancel)

    # -- the coordination session ---------------------------------------------------------------

    def _submit(self, coordination: CoordinationRequest, now_ms: Millis) -> None:
        """Send a request through this broker's session (``session.py``)."""
        self._client(submit(self.client, coordination, now_ms=now_ms), now_ms)

    def _client(self, step: ClientStep, now_ms: Millis) -> None:
        """Pass the client's outputs on and handle its events, in order."""
        self._effects.outputs.extend(step.outputs)
        if any(isinstance(event, SessionExpired) for event in step.events):
            # Reconnect before anything reacts to the failed requests, so that a request
            # submitted in reaction is queued for the new session rather than failed again.
            self._effects.outputs.extend(self.client.connect(now_ms).outputs)
        for event in step.events:
            self._client_event(event, now_ms)

    def _client_event(self, event: ClientEvent, now_ms: Millis) -> None:
        match event:
            case SessionConnected(resumed=resumed):
                for request in self.registration.on_session_connected(
                    resumed=resumed, now_ms=now_ms
                ):
                    self._submit(request, now_ms)
                self._read_back_lost_isr_writes(now_ms)
                self._role(
                    self.controller.on_session_connected(resumed=resumed, now_ms=now_ms), now_ms
                )
            case SessionDisconnected():
                pass  # the session may well be alive: carry on (ZooKeeperClient does)
            case SessionExpired():
                self.registration.on_session_expired()
                self._role(self.controller.on_session_expired(now_ms), now_ms)
            case RequestCompleted(ctx=ctx) if ctx.startswith(CONTROLLER_CTX_PREFIX):
                self._role(self.controller.on_coordination_event(event, now_ms), now_ms)
            case RequestCompleted():
                self._own_answer(event, now_ms)
            case WatchTriggered():
                self._role(self.controller.on_coordination_event(event, now_ms), now_ms)

    def _own_answer(self, completed: RequestCompleted, now_ms: Millis) -> None:
        """An answer to one of the broker's own coordination requests."""
        ctx = completed.ctx
        if on_isr_answer(self.replicas.partitions, completed, self._effects):
            pass  # an ISR write or read-back (``isr.py``)
        elif self.producer_ids.owns(ctx):
            served, coordination = self.producer_ids.on_answer(completed)
            for peer, waiting, body in served:
                self._send_awaited(peer, answer(waiting, body))
            for submitted in coordination:
                self._submit(submitted, now_ms)
        elif self.registration.owns(ctx):
            requests, retry = self.registration.on_answer(
                completed, session_id=self.client.session_id, now_ms=now_ms
            )
            for request in requests:
                self._submit(request, now_ms)
            if retry is not None:
                self._effects.outputs.append(retry)
        self._submit_effects(now_ms)

    def _read_back_lost_isr_writes(self, now_ms: Millis) -> None:
        """Read back every ISR write whose answer was lost with the connection (``isr.py``)."""
        for partition in self.replicas.partitions.values():
            if partition.is_leader and partition.isr_outcome_unknown:
                read_back(partition, self._effects)
        self._submit_effects(now_ms)

    def _submit_effects(self, now_ms: Millis) -> None:
        """Submit the coordination requests the handlers queued in the effects."""
        while self._effects.coordination:
            self._submit(self._effects.coordination.pop(0), now_ms)

    # -- timers ---------------------------------------------------------------------------------

    @property
    def _isr_expiration_interval_ms(self) -> int:
        """Kafka runs the isr-expiration task every ``replica.lag.time.max.ms / 2``."""
        return max(self.config.replica_lag_time_max_ms // 2, 1)

    def _arm(self, name: str, now_ms: Millis, interval_ms: int) -> None:
        self._effects.outputs.append(SetTimer(name=name, at_ms=Millis(now_ms + interval_ms)))

    def _timer(self, name: str, now_ms: Millis) -> None:
        operation_id = operation_of_timer(name)
        waiting_peer = peer_of_timer(name)
        if name.startswith(CONTROLLER_CTX_PREFIX):
            self._role(self.controller.on_timer(name, now_ms), now_ms)
        elif self.client.owns_timer(name):
            self._client(self.client.on_timer(name, now_ms), now_ms)
        elif name == ISR_EXPIRATION_TIMER:
            self.replicas.on_isr_expiration(now_ms=now_ms, effects=self._effects)
            self._arm(ISR_EXPIRATION_TIMER, now_ms, self._isr_expiration_interval_ms)
        elif name == HW_CHECKPOINT_TIMER:
            self.replicas.checkpoint_high_watermarks()
            self._arm(HW_CHECKPOINT_TIMER, now_ms, HW_CHECKPOINT_INTERVAL_MS)
        elif operation_id is not None:
            self._expire(operation_id)
        elif self.groups.owns_timer(name):
            self.groups.on_timer(name, self._parts(now_ms))
        elif name.startswith(FETCHER_TIMER_PREFIX):
            self.replicas.send_fetches(now_ms=now_ms, effects=self._effects)
        elif waiting_peer is not None:
            self._controller_timed_out(waiting_peer)
        elif name == REGISTRATION_RETRY_TIMER:
            for request in self.registration.on_retry_timer(now_ms):
                self._submit(request, now_ms)

    def _controller_timed_out(self, peer: NodeId) -> None:
        """The role has not answered within ``timeout_ms``: answer REQUEST_TIMED_OUT ourselves."""
        waiting = self.channel.awaiting_controller(peer)
        if waiting is None:
            return
        refused = error_body(waiting.request.body, ErrorCode.REQUEST_TIMED_OUT)
        if refused is not None:
            self._send(peer, answer(waiting.request, refused))
        self.channel.suppressed.add((peer, waiting.request.correlation_id))
        self.channel.unmute(peer)

    # -- parked operations ----------------------------------------------------------------------

    def _expire(self, operation_id: int) -> None:
        """An operation's deadline passed: answer it with what it has."""
        operation = self.replicas.purgatory.get(operation_id)
        if operation is not None:
            body = answer_of(self.replicas, operation, expired=True, effects=self._effects)
            assert body is not None
            self._answer_parked(operation, body)

    def _complete_delayed(self, keys: list[TopicPartition]) -> None:
        """Try every parked operation watching ``keys``; answer those that can be."""
        for operation in self.replicas.purgatory.watching(keys):
            body = answer_of(self.replicas, operation, expired=False, effects=self._effects)
            if body is not None:
                self._answer_parked(operation, body)

    def _answer_parked(self, operation: DelayedOperation, body: Message) -> None:
        taken = self.replicas.purgatory.take(operation.operation_id)
        if taken is None:
            return
        self._effects.outputs.append(taken[1])
        self._send(operation.sender, answer(operation.request, body))
        if operation.sender != self.node_id:
            self.channel.unmute(operation.sender)

    # -- after every input ----------------------------------------------------------------------

    def _finish(self, now_ms: Millis) -> list[Output]:
        """Run everything this input set off, to completion, and return the outputs."""
        effects = self._effects
        while True:
            self._submit_effects(now_ms)
            if self._local:
                sender, message = self._local.pop(0)
                self._dispatch(sender, message, now_ms, local=True)
            elif effects.touched:
                touched = effects.take_touched()
                self._complete_delayed(touched)
                self.groups.complete_appends(touched, self._parts(now_ms))
            elif (peer := self.channel.take_ready()) is not None:
                self._serve_held(peer, now_ms)
            elif effects.auto_create:
                self._forward_auto_create(effects.auto_create.pop(0), now_ms)
            else:
                break
        self.events = tuple(effects.events)
        return list(effects.outputs)

    def _serve_held(self, peer: NodeId, now_ms: Millis) -> None:
        """Serve ``peer``'s held requests in order until one parks again."""
        while (held := self.channel.next_request(peer)) is not None:
            self._request(peer, held, now_ms, local=False)

    def _forward_auto_create(self, topic: str, now_ms: Millis) -> None:
        """Ask the controller to create an unknown topic a Metadata request named."""
        controller = self.metadata_cache.controller_id
        if controller < 0 or (
            controller != self.broker_id and not self.metadata_cache.is_alive(controller)
        ):
            return
        body = auto_create_request(topic, self.config, timeout_ms=AUTO_CREATE_TIMEOUT_MS)
        envelope = request(
            body, correlation_id=self.next_correlation_id, client_id=str(self.node_id)
        )
        self.next_correlation_id += 1
        if controller == self.broker_id:
            if self.controller.is_active:
                self._role(self.controller.on_message(self.node_id, envelope, now_ms), now_ms)
            return
        self._send(broker_node_id(controller), envelope)
