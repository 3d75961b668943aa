"""The consumer node: Kafka's ``KafkaConsumer`` as a sans-IO state machine.

Theory of operation
-------------------
:class:`ConsumerNode` is a :class:`~glasskafka.node.Node` that speaks Kafka's API messages to
brokers named ``"broker-<id>"``; its API calls are inputs like any other.  Calls that block in
Kafka -- ``poll(timeout)``, ``commit_sync``, ``committed``, ``close`` -- *start* here and finish
later: the driver runs the simulation until :attr:`~ConsumerNode.result_ready`, then calls
:meth:`~ConsumerNode.take_result`, which raises the call's error as Kafka's call would throw.
One call at a time, as on Kafka's single application thread; ``subscribe``, ``assign``,
``seek*``, ``position`` and ``commit_async`` return at once.

After every input the node takes each step that is due (:meth:`ConsumerNode._progress`, the body
of Kafka's ``poll`` loop): refresh metadata (``consumer_metadata.py``); take the group protocol's
next step (``consumer_coordinator.py``), a *new* JoinGroup only inside ``poll()`` where the
rebalance callbacks run; inside ``poll()``, a due **auto-commit** of the positions reached by
*earlier* polls (``offset_commit.py``), position lookups, then up to ``max.poll.records``
buffered records or new Fetches (``fetcher.py``); finally the timers for what comes next.

The application processes a poll's records before it polls again, and only earlier polls'
positions are auto-committed, so a crash redelivers at most what came after the last commit
(at-least-once).  With ``record_history`` the node remembers what a client could observe
(``consumer_events.py``) for ``glasskafka.history`` to judge.

Spec IDs: DELIV-19 and DELIV-21 are the consumer's share.  The bug flag
``auto_commit_current_poll`` acts in :meth:`ConsumerNode._progress_poll`;
``resume_after_committed`` in ``offset_commit.py``.

Simplified from Kafka: no ``pause``/``resume``/``wakeup``, no request timeouts (a broken
connection is reported by the network, DESIGN §3), bytes instead of deserializers, and no
client-side session timeout; see each module's own note.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.client import offset_commit as commits
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_coordinator import ConsumerCoordinator
from glasskafka.client.consumer_events import (
    AssignEvent,
    CallKind,
    CallResult,
    CloseResult,
    CommitMode,
    ConsumerEvent,
    ConsumerRebalanceListener,
    PendingCall,
    PollEvent,
    PollResult,
    RebalanceEvent,
    RebalanceKind,
    SubscribeEvent,
    notify,
)
from glasskafka.client.consumer_metadata import ConsumerMetadata
from glasskafka.client.fetcher import Fetcher, drain
from glasskafka.client.offset_commit import CommitCallback, OffsetCommitter
from glasskafka.client.subscription_state import (
    FetchState,
    OffsetResetStrategy,
    SubscriptionState,
    SubscriptionType,
    offsets_of,
    partition_of,
)
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId, TopicPartition
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer
from glasskafka.protocol.apis import api_for
from glasskafka.protocol.envelope import KafkaResponse, request
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitResponse,
    OffsetFetchResponse,
)
from glasskafka.protocol.messages.fetch import FetchRequest, FetchResponse
from glasskafka.protocol.messages.find_coordinator import FindCoordinatorResponse
from glasskafka.protocol.messages.group_membership import (
    HeartbeatResponse,
    JoinGroupResponse,
    SyncGroupResponse,
)
from glasskafka.protocol.messages.list_offsets import ListOffsetsResponse
from glasskafka.protocol.messages.metadata import MetadataRequest, MetadataResponse

__all__ = ["ConsumerNode"]


@dataclass(frozen=True, slots=True)
class _Pending:
    """A request in flight: where it went, what it asked, which commit it carries."""

    to: NodeId
    body: Message
    commit_id: int | None


class ConsumerNode(Node):
    """A Kafka consumer: subscribe or assign, poll, commit, rebalance, close."""

    def __init__(
        self,
        node_id: NodeId,
        *,
        config: ConsumerConfig,
        rng: random.Random,
        bootstrap: Sequence[NodeId] = (NodeId("broker-1"),),
        bugs: BugFlags = NO_BUGS,
        listener: ConsumerRebalanceListener | None = None,
        record_history: bool = False,
    ) -> None:
        if not bootstrap:
            raise GlassKafkaError("bootstrap: name at least one broker node, e.g. 'broker-1'")
        self.node_id = node_id
        # Kafka names an unnamed consumer "consumer-<group>-<n>"; the node id stands in for n.
        self.client_id = config.client_id or f"consumer-{config.group_id or ''}-{node_id}"
        self.config = config
        self.rng = rng
        self.bootstrap = tuple(bootstrap)
        self.bugs = bugs
        self.listener = listener
        self.history: list[ConsumerEvent] | None = [] if record_history else None
        self.now_ms = 0
        self.subscriptions = SubscriptionState()
        self.fetcher = Fetcher()
        self.committer = OffsetCommitter(next_auto_commit_ms=config.auto_commit_interval_ms)
        group = config.group_id
        self.coordinator = ConsumerCoordinator(group_id=group) if group is not None else None
        self.metadata = ConsumerMetadata()
        self.in_flight: dict[int, _Pending] = {}
        self.next_correlation = 0
        self.call: PendingCall | None = None
        self.result: CallResult | GlassKafkaError | None = None
        self.last_poll_ms = 0
        self.closed = False
        self.timers: dict[str, int] = {}
        self.outbox: list[Output] = []

    # -- the node contract ---------------------------------------------------------------------

    def on_start(self, now_ms: Millis) -> list[Output]:
        self.now_ms = self.last_poll_ms = now_ms
        self.committer.next_auto_commit_ms = now_ms + self.config.auto_commit_interval_ms
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        self.now_ms = now_ms
        if isinstance(message, KafkaResponse):
            pending = self.in_flight.pop(message.correlation_id, None)
            if (
                pending is not None
                and pending.to == sender
                and _answers(pending.body, message.body)
            ):
                self._on_response(message.correlation_id, pending, message.body)
            elif pending is not None:
                self._on_failure(pending)  # an answer of the wrong kind counts as none
        return self._step()

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        self.now_ms = now_ms
        self.timers.pop(name, None)
        polling = self.call is not None and self.call.kind is CallKind.POLL
        if name == "max-poll-interval" and self.coordinator is not None and not polling:
            self.coordinator.on_poll_timeout(self, self.last_poll_ms)
        return self._step()

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        self.now_ms = now_ms
        for correlation in sorted(c for c, p in self.in_flight.items() if p.to == peer):
            self._on_failure(self.in_flight.pop(correlation))
        return self._step()

    # -- the API: what to read -----------------------------------------------------------------

    def subscribe(self, topics: Iterable[str], now_ms: Millis) -> list[Output]:
        """``subscribe(topics)``: join the group and read what it assigns from these topics."""
        coordinator = self._group("subscribe()")
        self._enter(now_ms)
        chosen = tuple(sorted(set(topics)))
        if self.subscriptions.subscribe(chosen):
            coordinator.request_rejoin()
        self.metadata.stale = True
        self.record(SubscribeEvent(time_ms=now_ms, group=coordinator.group_id, topics=chosen))
        return self._step()

    def subscribe_pattern(self, pattern: str, now_ms: Millis) -> list[Output]:
        """``subscribe(Pattern)``: every topic whose whole name matches, now and later."""
        coordinator = self._group("subscribe(pattern)")
        self._enter(now_ms)
        self.subscriptions.subscribe_pattern(pattern)
        coordinator.request_rejoin()
        self.metadata.stale = True
        group = coordinator.group_id
        self.record(SubscribeEvent(time_ms=now_ms, group=group, topics=(), pattern=pattern))
        return self._step()

    def assign(self, partitions: Iterable[tuple[str, int]], now_ms: Millis) -> list[Output]:
        """``assign(partitions)``: read exactly these, without joining a group."""
        self._enter(now_ms)
        chosen = [partition_of(topic, index) for topic, index in partitions]
        before = set(self.subscriptions.assignment)
        self.subscriptions.assign_from_user(chosen)
        self.fetcher.discard(before - set(chosen))
        self.metadata.stale = True
        self.record(AssignEvent(time_ms=now_ms, partitions=tuple(chosen)))
        return self._step()

    def unsubscribe(self, now_ms: Millis) -> list[Output]:
        """Give up every partition (revoke callbacks), leave the group, forget the subscription."""
        self._enter(now_ms)
        if self.subscriptions.group_managed and self.coordinator is not None:
            self.coordinator.give_up_and_leave(self)
        self.fetcher.discard(set(self.subscriptions.assignment))
        self.subscriptions.unsubscribe()
        return self._step()

    def assignment(self) -> tuple[TopicPartition, ...]:
        """The partitions this consumer reads now."""
        return tuple(self.subscriptions.assignment)

    def seek(self, partition: tuple[str, int], offset: int, now_ms: Millis) -> list[Output]:
        """Read ``partition`` from ``offset`` on."""
        self._enter(now_ms)
        self.subscriptions.seek(partition_of(*partition), offset)
        return self._step()

    def seek_to_beginning(
        self, partitions: Iterable[tuple[str, int]], now_ms: Millis
    ) -> list[Output]:
        """Read these partitions from their log start (looked up at the next poll)."""
        return self._reset(partitions, OffsetResetStrategy.EARLIEST, now_ms)

    def seek_to_end(self, partitions: Iterable[tuple[str, int]], now_ms: Millis) -> list[Output]:
        """Read these partitions from their high watermark (looked up at the next poll)."""
        return self._reset(partitions, OffsetResetStrategy.LATEST, now_ms)

    def _reset(
        self, partitions: Iterable[tuple[str, int]], strategy: OffsetResetStrategy, now_ms: Millis
    ) -> list[Output]:
        self._enter(now_ms)
        for topic, index in partitions:
            self.subscriptions.request_reset(partition_of(topic, index), strategy)
        return self._step()

    def position(self, partition: tuple[str, int]) -> int | None:
        """The next offset a poll would return from ``partition``; None while looked up."""
        return self.subscriptions.position(partition_of(*partition))

    # -- the API: blocking calls and commits ---------------------------------------------------

    def poll(self, timeout_ms: int, now_ms: Millis) -> list[Output]:
        """Start ``poll(timeout)``: it ends with records, an error, or empty at the timeout."""
        if self.subscriptions.type is SubscriptionType.NONE:
            raise GlassKafkaError(
                "poll(): the consumer is not subscribed to any topics or assigned any partitions"
            )
        self._begin(CallKind.POLL, timeout_ms, now_ms)
        self.last_poll_ms = now_ms
        return self._step()

    def commit_sync(
        self,
        now_ms: Millis,
        offsets: Mapping[tuple[str, int], int] | None = None,
        timeout_ms: int | None = None,
    ) -> list[Output]:
        """Start ``commitSync``: the given offsets, or every current position."""
        self._group("commit_sync()")
        chosen = offsets_of(offsets) if offsets is not None else self.subscriptions.all_consumed()
        call = self._begin(CallKind.COMMIT_SYNC, timeout_ms, now_ms)
        call.offsets = chosen
        return self._step()

    def commit_async(
        self,
        now_ms: Millis,
        offsets: Mapping[tuple[str, int], int] | None = None,
        callback: CommitCallback | None = None,
    ) -> list[Output]:
        """``commitAsync``: send the commit and return; ``callback`` gets the outcome."""
        self._group("commit_async()")
        self._enter(now_ms)
        chosen = offsets_of(offsets) if offsets is not None else self.subscriptions.all_consumed()
        commits.send_commit(self, chosen, CommitMode.ASYNC, callback)
        return self._step()

    def committed(
        self, partitions: Iterable[tuple[str, int]], now_ms: Millis, timeout_ms: int | None = None
    ) -> list[Output]:
        """Start ``committed(partitions)``: read the group's committed offsets."""
        self._group("committed()")
        chosen = tuple(partition_of(t, p) for t, p in partitions)
        self._begin(CallKind.COMMITTED, timeout_ms, now_ms).partitions = chosen
        return self._step()

    def close(self, now_ms: Millis, timeout_ms: int | None = None) -> list[Output]:
        """Start ``close()``: auto-commit, revoke, leave the group; then refuse every call."""
        call = self._begin(CallKind.CLOSE, timeout_ms, now_ms)
        if self.config.enable_auto_commit and commits.may_commit(self):
            call.offsets = self.subscriptions.all_consumed()
        if call.offsets:
            commits.send_commit(self, call.offsets, CommitMode.AUTO, None, call=call)
        return self._step()

    @property
    def result_ready(self) -> bool:
        """Whether the blocking call in progress has finished."""
        return self.result is not None

    def take_result(self) -> CallResult:
        """The finished call's result; raises its error, as the Kafka call would throw."""
        result, self.result = self.result, None
        if result is None:
            raise GlassKafkaError("take_result(): no call has finished (check result_ready)")
        if isinstance(result, GlassKafkaError):
            raise result
        return result

    # -- bookkeeping of calls ------------------------------------------------------------------

    def _enter(self, now_ms: Millis) -> None:
        if self.closed:
            raise GlassKafkaError(f"consumer {self.node_id} is closed")
        self.now_ms = now_ms

    def _begin(self, kind: CallKind, timeout_ms: int | None, now_ms: Millis) -> PendingCall:
        self._enter(now_ms)
        if self.call is not None or self.result is not None:
            raise GlassKafkaError(
                f"{kind.value}(): the previous call has not been taken yet; one call at a "
                "time, and take_result() after each"
            )
        timeout = self.config.default_api_timeout_ms if timeout_ms is None else timeout_ms
        if timeout < 0:
            raise GlassKafkaError(f"{kind.value}(timeout_ms={timeout}): a timeout is 0 or more")
        self.call = PendingCall(kind=kind, deadline_ms=now_ms + timeout)
        return self.call

    def _group(self, api: str) -> ConsumerCoordinator:
        if self.coordinator is None:
            raise GlassKafkaError(f"{api} needs a consumer group: set group.id")
        return self.coordinator

    def finish(self, result: CallResult | GlassKafkaError) -> None:
        """The blocking call in progress is over (``CommitHost``)."""
        call, self.call = self.call, None
        self.result = result
        if call is not None and call.kind is CallKind.POLL:
            records = result.records if isinstance(result, PollResult) else ()
            error = str(result) if isinstance(result, GlassKafkaError) else None
            self.record(PollEvent(time_ms=self.now_ms, records=records, error=error))

    def record(self, event: ConsumerEvent) -> None:
        """Remember ``event`` if this consumer keeps a history."""
        if self.history is not None:
            self.history.append(event)

    # -- after every input ---------------------------------------------------------------------

    def _step(self) -> list[Output]:
        if not self.closed:
            self._progress()
            self._set_timers()
        outputs, self.outbox = self.outbox, []
        return outputs

    def _progress(self) -> None:
        """Take every step that is due now (the loop body of Kafka's ``poll``)."""
        call = self.call
        polling = call is not None and call.kind is CallKind.POLL
        if polling:
            self.last_poll_ms = self.now_ms  # blocked inside poll() counts as polling
        if self.fetcher.wants_metadata:
            self.fetcher.wants_metadata = False
            self.metadata.stale = self.metadata.doubted = True
        self._maybe_refresh_metadata()
        coordinator = self.coordinator
        wanted = call is not None and call.kind is not CallKind.POLL
        if coordinator is not None and (self.subscriptions.group_managed or wanted or polling):
            coordinator.poll(self, may_join=polling and self.subscriptions.group_managed)
        if call is None:
            return
        match call.kind:
            case CallKind.POLL:
                self._progress_poll(call)
            case CallKind.COMMIT_SYNC:
                commits.progress_commit_sync(self, call)
            case CallKind.COMMITTED:
                commits.progress_committed(self, call)
            case CallKind.CLOSE:
                # ``sent`` is None while a failed auto-commit waits to be retried.
                if call.sent is None and call.offsets:
                    commits.retry_close_commit(self, call)
                settled = not call.offsets or (
                    call.sent is not None and call.sent not in self.committer.in_flight
                )
                if settled or self.now_ms >= call.deadline_ms:
                    self._finish_close()

    def _progress_poll(self, call: PendingCall) -> None:
        coordinator = self.coordinator
        if coordinator is not None and coordinator.fatal is not None:
            self.finish(GlassKafkaError(coordinator.fatal))
            return
        ready = not self.subscriptions.group_managed or bool(coordinator and coordinator.stable)
        # Kafka auto-commits at the start of poll(), before this poll returns any record: the
        # positions committed are those of earlier polls, already processed (offset_commit.py).
        if ready and not self.bugs.auto_commit_current_poll:
            commits.maybe_auto_commit(self)
        commits.request_committed(self)
        leaders = self.metadata.leaders(self.subscriptions.assignment)
        lookups = self.fetcher.list_offsets_requests(self.subscriptions, leaders, self.config)
        for leader, body in lookups:
            self.send(leader, body)
        if self.fetcher.error is not None:
            error, self.fetcher.error = self.fetcher.error, None
            self.finish(error)
            return
        records = drain(self.fetcher, self.subscriptions, self.config.max_poll_records)
        if records:
            if ready and self.bugs.auto_commit_current_poll:
                # BUG FLAG auto_commit_current_poll: commit the positions just reached, before
                # the application has seen, let alone processed, these records.
                commits.maybe_auto_commit(self)
            self.finish(PollResult(records=tuple(records)))
        elif self.now_ms >= call.deadline_ms:
            self.finish(PollResult(records=()))
        # Fetch ahead, so the next poll finds data waiting (Kafka sends before it returns); but
        # not on metadata that an error has just put in doubt.
        if not self.metadata.doubted:
            for leader, body in self.fetcher.fetch_requests(
                self.subscriptions, leaders, self.config
            ):
                self.send(leader, body)

    def _finish_close(self) -> None:
        """Revoke (or lose), leave the group, and stop (``KafkaConsumer.close``)."""
        if self.subscriptions.group_managed and self.coordinator is not None:
            self.coordinator.give_up_and_leave(self)
        self.finish(CloseResult())
        self.closed = True
        self.outbox.extend(CancelTimer(name=name) for name in sorted(self.timers))
        self.timers.clear()

    # -- answers -------------------------------------------------------------------------------

    def _on_response(self, correlation: int, pending: _Pending, body: Message) -> None:
        coordinator = self.coordinator
        match body:
            case MetadataResponse() if correlation == self.metadata.request:
                retry = self.config.retry_backoff_ms
                self.metadata.on_response(body, now_ms=self.now_ms, retry_backoff_ms=retry)
                self._after_metadata(body)
            case FetchResponse() if isinstance(asked := pending.body, FetchRequest):
                subscriptions = self.subscriptions
                self.fetcher.on_fetch_response(pending.to, asked, body, subscriptions, self.config)
            case ListOffsetsResponse():
                self.fetcher.on_list_offsets_response(body, self.subscriptions)
            case OffsetCommitResponse() if pending.commit_id is not None:
                commits.commit_done(self, pending.commit_id, commits.commit_error(body))
            case OffsetFetchResponse():
                commits.on_offset_fetch(self, correlation, body)
            case FindCoordinatorResponse() if coordinator is not None:
                coordinator.on_find_coordinator(self, correlation, body)
            case JoinGroupResponse() if coordinator is not None:
                coordinator.on_join_group(self, correlation, body)
            case SyncGroupResponse() if coordinator is not None:
                coordinator.on_sync_group(self, correlation, body)
            case HeartbeatResponse() if coordinator is not None:
                coordinator.on_heartbeat(correlation, body)
            case _:
                pass  # a LeaveGroup answer, or a stale one: nothing left to do

    def _on_failure(self, pending: _Pending) -> None:
        """A request will never be answered: its connection broke, or the answer made no sense."""
        if pending.commit_id is not None:
            commits.commit_done(self, pending.commit_id, commits.NETWORK_ERROR)
        elif isinstance(pending.body, FetchRequest):
            self.fetcher.forget(pending.to)
            # The leader may be gone: a disconnect asks for fresh metadata, as Kafka's
            # NetworkClient does (DefaultMetadataUpdater.handleServerDisconnect).
            self.metadata.stale = True
        elif isinstance(pending.body, MetadataRequest):
            self.metadata.request = None
            self.metadata.stale = True
        else:
            # Lookups, group requests and the committed() call are asked again when due.
            self.fetcher.looking_up.clear()
            self.committer.looking_up.clear()
            if self.call is not None and self.call.kind is CallKind.COMMITTED:
                self.call.sent = None
            coordinator = self.coordinator
            if coordinator is not None and coordinator.coordinator == pending.to:
                coordinator.mark_coordinator_unknown()
            elif coordinator is not None and coordinator.coordinator is None:
                coordinator.find_request = None

    # -- metadata ------------------------------------------------------------------------------

    def _maybe_refresh_metadata(self) -> None:
        subscriptions, max_age_ms = self.subscriptions, self.config.metadata_max_age_ms
        if not self.metadata.due(self.now_ms, max_age_ms, subscriptions.assignment):
            return
        body = self.metadata.request_for(
            {*subscriptions.topics, *(tp[0] for tp in subscriptions.assignment)},
            pattern=subscriptions.pattern is not None,
            auto_create=self.config.allow_auto_create_topics,
        )
        if body is not None:
            self.metadata.request = self.send(self.any_broker(), body)

    def _after_metadata(self, body: MetadataResponse) -> None:
        if self.coordinator is not None and self.subscriptions.group_managed:
            self.coordinator.on_metadata_response(self, body, self.metadata.counts())

    # -- what the group logic asks of the node (ConsumerHost, CommitHost) ----------------------

    def send(self, to: NodeId, body: Message, *, commit_id: int | None = None) -> int:
        """Send a request; returns its correlation id."""
        self.next_correlation = number = self.next_correlation + 1
        envelope = request(body, correlation_id=number, client_id=self.client_id)
        self.in_flight[number] = _Pending(to, body, commit_id)
        self.outbox.append(Send(to=to, message=envelope))
        return number

    def any_broker(self) -> NodeId:
        """The first known broker, else a bootstrap broker (chosen by the random stream)."""
        brokers = self.metadata.brokers()
        if brokers:
            return brokers[0]
        return self.bootstrap[self.rng.randrange(len(self.bootstrap))]

    def request_metadata(self, topics: set[str]) -> None:
        self.metadata.wanted |= topics
        self.metadata.stale, self.metadata.retry_at_ms = True, 0
        self._maybe_refresh_metadata()

    def rebalance_callback(
        self, kind: RebalanceKind, partitions: tuple[TopicPartition, ...]
    ) -> Mapping[TopicPartition, int]:
        generation = self.coordinator.generation.generation_id if self.coordinator else -1
        event = RebalanceEvent(
            time_ms=self.now_ms, kind=kind, partitions=partitions, generation=generation
        )
        self.record(event)
        return notify(self.listener, kind, partitions)

    def commit_before_rejoin(self, offsets: Mapping[TopicPartition, int]) -> int:
        mode = CommitMode.AUTO if self.config.enable_auto_commit else CommitMode.SYNC
        return commits.send_commit(self, offsets, mode, None)

    # -- timers ----------------------------------------------------------------------------------

    def _wanted_timers(self) -> dict[str, int]:
        wanted: dict[str, int] = {}
        call, coordinator = self.call, self.coordinator
        retries = [self.metadata.retry_at_ms]
        if call is not None:
            wanted["call-deadline"] = call.deadline_ms
            retries.append(call.retry_at_ms)
            if call.kind is CallKind.POLL and self.config.enable_auto_commit and coordinator:
                wanted["auto-commit"] = self.committer.next_auto_commit_ms
        if coordinator is not None:
            retries.append(coordinator.retry_at_ms)
            wanted |= coordinator.timers(self, self.last_poll_ms)
        future = [at for at in retries if at > self.now_ms]
        if future:
            wanted["retry"] = min(future)
        return wanted

    def _set_timers(self) -> None:
        # Only future times: whatever is due now was done by _progress, or waits for an answer.
        wanted = {n: at for n, at in self._wanted_timers().items() if at > self.now_ms}
        for name in sorted(set(self.timers) - set(wanted)):
            self.outbox.append(CancelTimer(name=name))
            del self.timers[name]
        for name, at_ms in sorted(wanted.items()):
            if self.timers.get(name) != at_ms:
                self.timers[name] = at_ms
                self.outbox.append(SetTimer(name=name, at_ms=Millis(at_ms)))

    def check_invariants(self) -> None:
        """Local rules: positions are offsets; buffered data belongs to assigned partitions."""
        for partition, state in self.subscriptions.assignment.items():
            if state.fetch_state is FetchState.FETCHING:
                assert state.position is not None and state.position >= 0, f"{partition}: {state}"
        for completed in self.fetcher.buffered:
            assert completed.partition in self.subscriptions.assignment, (
                f"DELIV-21: data buffered for {completed.partition}, which is not assigned"
            )
        assert self.call is None or self.result is None, "a call finished while another runs"


def _answers(request_body: Message, response_body: Message) -> bool:
    """Whether ``response_body`` answers the API that ``request_body`` asked."""
    try:
        return api_for(request_body).key == api_for(response_body).key
    except KeyError:
        return False
