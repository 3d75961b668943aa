"""The idempotent producer against a small partition: IDEM-1..6 and ORDER-1/2 after every step.

Theory of operation
-------------------
The machine holds one partition with two replicas (``broker-1`` leads at first, ``broker-2``
follows), each a list of batches plus a real ``ProducerStateTable``
(``glasskafka.log.producer_state``), and one abstract producer that numbers its batches as
KIP-98 says.  Everything else is the environment, chosen by Hypothesis:

* the producer sends a batch of 1-3 records, while at most ``max_in_flight`` batches are
  outstanding counting from the oldest unacknowledged one (the window that makes five enough);
* the connection delivers the first request or the first answer (TCP keeps them in order);
* the leader refuses every queued request with a retriable error (NOT_ENOUGH_REPLICAS: the ISR
  is too small for a while), or answers an appended batch with REQUEST_TIMED_OUT because the
  follower has not copied it in time;
* the follower copies the next batch through the follower path; an acks=all answer is released
  only once the follower has the batch;
* a request times out: the producer closes the connection, losing every answer in flight, but
  the requests it had sent may still be processed later, in their order (a broker may already
  have read them); the producer re-sends its unacknowledged batches, oldest first, unchanged
  (§6.1);
* the producer bumps its epoch (KIP-360), reporting its unacknowledged batches as failed;
* the follower takes over as leader (a clean election: it holds every acknowledged batch), and
  the old leader truncates to it and rebuilds its producer state from a snapshot and its log;
* a replica writes a producer-state snapshot, and the follower restarts from one.

After every step the IDEM invariants are checked on plain views of the replicas, and ORDER-1/2 on
the producer's sends and the leader's log.  The non-idempotent variants and the bug flags are
exercised by ``test_producer_state_teeth.py``.

Spec IDs: IDEM-1, IDEM-2, IDEM-3, IDEM-4, IDEM-5, IDEM-6, ORDER-1, ORDER-2.

Simplified from Kafka: one partition, one producer, no time; a "timeout" is the moment the
producer gives up on its requests, which Kafka reaches after ``request.timeout.ms`` and then
closes the connection, as the machine does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.log.producer_state import (
    DuplicateBatch,
    ProducerStateEntry,
    ProducerStateTable,
    decode_snapshot,
    encode_snapshot,
    rebuild_producer_state,
)
from glasskafka.records.header import BatchHeader
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from specs.catalogue import check
from specs.idempotence import (
    AckView,
    AppendDecision,
    CachedBatchView,
    IdempotenceSnapshot,
    LoggedBatch,
    ProducerEntryView,
    ReplicaView,
    acked_batches_at_their_offsets,
    gaps_are_refused,
    no_sequence_twice,
    producer_state_matches_log,
    sequences_rise_by_one,
    stale_epochs_never_appended,
)
from specs.ordering import (
    OrderingSnapshot,
    ProducerSettingsView,
    SendOutcome,
    SentRecord,
    acknowledged_records_in_send_order,
    ordering_needs_idempotence,
)

PRODUCER_ID = 4000


@dataclass(slots=True, kw_only=True)
class ModelBatch:
    """A batch the producer created: its records and, if idempotent, its epoch and sequences."""

    index: int
    records: tuple[int, ...]
    epoch: int
    first_seq: int
    outcome: SendOutcome = SendOutcome.PENDING
    attempt: int = 0
    in_flight: bool = False

    @property
    def last_seq(self) -> int:
        return -1 if self.first_seq < 0 else (self.first_seq + len(self.records) - 1) % 2**31


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    batch: int
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    batch: int
    attempt: int
    error: ErrorCode
    base_offset: int
    last_offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Stored:
    header: BatchHeader
    records: tuple[int, ...]


@dataclass(slots=True, kw_only=True)
class Replica:
    name: str
    log: list[Stored] = field(default_factory=list)
    table: ProducerStateTable = field(default_factory=ProducerStateTable)
    snapshot: bytes | None = None

    @property
    def log_end_offset(self) -> int:
        return self.log[-1].header.next_offset if self.log else 0


def entry_view(entry: ProducerStateEntry) -> ProducerEntryView:
    """A producer-state entry as the IDEM specs see it."""
    return ProducerEntryView(
        producer_id=entry.producer_id,
        producer_epoch=entry.producer_epoch,
        batches=tuple(
            CachedBatchView(
                first_seq=b.first_seq,
                last_seq=b.last_seq,
                first_offset=b.first_offset,
                last_offset=b.last_offset,
            )
            for b in entry.batches
        ),
    )


def replica_view(replica: Replica) -> ReplicaView:
    """A replica's log and producer state as plain data for the IDEM specs."""
    return ReplicaView(
        name=replica.name,
        log=tuple(
            LoggedBatch(
                base_offset=s.header.base_offset,
                last_offset=s.header.last_offset,
                producer_id=s.header.producer_id,
                producer_epoch=s.header.producer_epoch,
                first_seq=s.header.base_sequence,
                last_seq=s.header.last_sequence,
            )
            for s in replica.log
        ),
        producer_state=tuple(
            entry_view(replica.table.entries[pid]) for pid in sorted(replica.table.entries)
        ),
    )


def batch_header(batch: ModelBatch, *, producer_id: int, base_offset: int) -> BatchHeader:
    """The header a producer batch carries once the leader stamped ``base_offset``."""
    return BatchHeader(
        base_offset=base_offset,
        batch_length=49 + 8 * len(batch.records),
        partition_leader_epoch=0,
        magic=2,
        crc=0,
        attributes=0,
        last_offset_delta=len(batch.records) - 1,
        base_timestamp=batch.index,
        max_timestamp=batch.index,
        producer_id=producer_id,
        producer_epoch=batch.epoch if producer_id >= 0 else -1,
        base_sequence=batch.first_seq,
        records_count=len(batch.records),
    )


class ProducerStateMachine(RuleBasedStateMachine):
    """One idempotent producer, one partition with a leader and a follower (see module doc)."""

    idempotent = True
    max_in_flight = 5
    retries = 2**31 - 1
    bugs: BugFlags = NO_BUGS
    ignores_retries = False  # a broken producer, for ORDER-2's teeth
    # Switches that narrow the environment, so that a teeth search reaches its bug sooner.
    loses_answers = True  # timeouts, expired acks=all waits and failovers
    restarts = True  # failovers, snapshots and restarts
    checked: tuple[str, ...] = ()  # spec IDs to check; empty: all of them
    unchecked: tuple[str, ...] = ()

    @initialize()
    def start(self) -> None:
        self.leader = Replica(name="broker-1", table=ProducerStateTable(bugs=self.bugs))
        self.follower = Replica(name="broker-2", table=ProducerStateTable(bugs=self.bugs))
        self.batches: list[ModelBatch] = []
        self.epoch = 0
        self.next_seq = 0
        self.next_record = 0
        self.requests: list[Request] = []
        self.late: list[list[Request]] = []  # requests of closed connections, each in order
        self.awaiting: list[Response] = []  # answers held until the follower has the batch
        self.responses: list[Response] = []
        self.acks: list[AckView] = []
        self.decisions: list[AppendDecision] = []

    # -- the producer --------------------------------------------------------------------------

    @property
    def retrying(self) -> bool:
        return self.retries > 0 or self.ignores_retries

    def _pending(self) -> list[ModelBatch]:
        return [b for b in self.batches if b.outcome is SendOutcome.PENDING]

    def _window_open(self) -> bool:
        pending = self._pending()
        return not pending or len(self.batches) - pending[0].index < self.max_in_flight

    def _attempt(self, batch: ModelBatch) -> None:
        batch.attempt += 1
        batch.in_flight = True
        self.requests.append(Request(batch=batch.index, attempt=batch.attempt))

    @precondition(lambda self: self._window_open())
    @rule(count=st.integers(min_value=1, max_value=3))
    def send(self, count: int) -> None:
        records = tuple(range(self.next_record, self.next_record + count))
        self.next_record += count
        first_seq = self.next_seq if self.idempotent else -1
        if self.idempotent:
            self.next_seq = (self.next_seq + count) % 2**31
        batch = ModelBatch(
            index=len(self.batches), records=records, epoch=self.epoch, first_seq=first_seq
        )
        self.batches.append(batch)
        self._attempt(batch)

    @precondition(lambda self: self.retrying and any(not b.in_flight for b in self._pending()))
    @rule()
    def retry(self) -> None:
        # Kafka re-sends the oldest unacknowledged batch first, unchanged (§6.1).
        self._attempt(next(b for b in self._pending() if not b.in_flight))

    @precondition(lambda self: self.idempotent and self.epoch < 3)
    @rule()
    def bump_epoch(self) -> None:
        # KIP-360: the idempotent producer bumps its own epoch; what was unacknowledged is
        # reported as failed and never re-sent under the old numbers.
        for batch in self._pending():
            batch.outcome = SendOutcome.FAILED
        self.epoch += 1
        self.next_seq = 0

    @precondition(lambda self: bool(self.responses))
    @rule()
    def deliver_response(self) -> None:
        response = self.responses.pop(0)
        batch = self.batches[response.batch]
        if batch.outcome is not SendOutcome.PENDING or batch.attempt != response.attempt:
            return  # an answer to an abandoned attempt
        batch.in_flight = False
        if response.error is ErrorCode.NONE:
            batch.outcome = SendOutcome.ACKED
            if self.idempotent:
                self.acks.append(
                    AckView(
                        producer_id=PRODUCER_ID,
                        producer_epoch=batch.epoch,
                        first_seq=batch.first_seq,
                        last_seq=batch.last_seq,
                        base_offset=response.base_offset,
                    )
                )
        elif not (response.error.retriable and self.retrying):
            batch.outcome = SendOutcome.FAILED
        # Otherwise it stays pending, and the retry rule re-sends it.

    # -- the connection and the leader ---------------------------------------------------------

    @precondition(lambda self: bool(self.requests))
    @rule()
    def deliver_request(self) -> None:
        request = self.requests.pop(0)
        self._append(request, answer=True)

    @precondition(lambda self: bool(self.late))
    @rule(queue=st.integers(min_value=0, max_value=3))
    def deliver_late_request(self, queue: int) -> None:
        # A request of a closed connection that the broker had already read: it is processed,
        # in its connection's order, but nobody hears the answer.
        chosen = self.late[queue % len(self.late)]
        self._append(chosen.pop(0), answer=False)
        self.late = [waiting for waiting in self.late if waiting]

    def _append(self, request: Request, *, answer: bool) -> None:
        """The leader's produce path for one batch: check, append, answer once replicated."""
        batch = self.batches[request.batch]
        producer_id = PRODUCER_ID if self.idempotent else -1
        header = batch_header(
            batch, producer_id=producer_id, base_offset=self.leader.log_end_offset
        )
        entry = self.leader.table.last_entry(producer_id)
        result = self.leader.table.check_client_append(header)
        if producer_id >= 0:
            self.decisions.append(
                AppendDecision(
                    producer_id=producer_id,
                    producer_epoch=header.producer_epoch,
                    first_seq=header.base_sequence,
                    last_seq=header.last_sequence,
                    entry_before=None if entry is None else entry_view(entry),
                    error_code=0 if isinstance(result, DuplicateBatch) else int(result),
                    duplicate=isinstance(result, DuplicateBatch),
                )
            )
        if isinstance(result, DuplicateBatch):
            first, last, error = result.first_offset, result.last_offset, ErrorCode.NONE
        elif result is ErrorCode.NONE:
            self.leader.log.append(Stored(header=header, records=batch.records))
            self.leader.table.record_append(header)
            first, last, error = header.base_offset, header.last_offset, ErrorCode.NONE
        else:
            first, last, error = -1, -1, result
        if not answer:
            return
        response = Response(
            batch=batch.index,
            attempt=request.attempt,
            error=error,
            base_offset=first,
            last_offset=last,
        )
        if error is ErrorCode.NONE:
            self.awaiting.append(response)
            self._release_replicated()
        else:
            self.responses.append(response)

    @precondition(lambda self: bool(self.requests))
    @rule()
    def refuse_requests(self) -> None:
        # The ISR is below min.insync.replicas while these requests are read (REPL-16).
        for request in self.requests:
            self.responses.append(
                Response(
                    batch=request.batch,
                    attempt=request.attempt,
                    error=ErrorCode.NOT_ENOUGH_REPLICAS,
                    base_offset=-1,
                    last_offset=-1,
                )
            )
        self.requests.clear()

    @precondition(lambda self: self.loses_answers and bool(self.awaiting))
    @rule()
    def expire_awaiting(self) -> None:
        # The batch is in the leader's log, but the follower did not copy it within the
        # request's timeout_ms: the answer is an error, though the append stays.
        response = self.awaiting.pop(0)
        self.responses.append(
            Response(
                batch=response.batch,
                attempt=response.attempt,
                error=ErrorCode.REQUEST_TIMED_OUT,
                base_offset=-1,
                last_offset=-1,
            )
        )

    @precondition(
        lambda self: self.loses_answers and bool(self.requests or self.responses or self.awaiting)
    )
    @rule()
    def time_out(self) -> None:
        if self.requests:
            self.late.append(self.requests)
        self.requests = []
        self._forget_answers()

    def _forget_answers(self) -> None:
        self.responses.clear()
        self.awaiting.clear()
        for batch in self._pending():
            if batch.in_flight and not self.retrying:
                batch.outcome = SendOutcome.FAILED  # nothing will re-send it
            batch.in_flight = False

    def _release_replicated(self) -> None:
        end = self.follower.log_end_offset
        self.responses += [r for r in self.awaiting if r.last_offset < end]
        self.awaiting = [r for r in self.awaiting if r.last_offset >= end]

    # -- replication, failover, snapshots --------------------------------------------------------

    @precondition(lambda self: self.follower.log_end_offset < self.leader.log_end_offset)
    @rule()
    def replicate(self) -> None:
        stored = self.leader.log[len(self.follower.log)]
        self.follower.log.append(stored)
        self.follower.table.append_replicated(stored.header)
        self._release_replicated()

    @precondition(lambda self: self.loses_answers and self.restarts)
    @rule()
    def fail_over(self) -> None:
        old, new = self.leader, self.follower
        old.log = old.log[: len(new.log)]
        self._recover(old)
        self.leader, self.follower = new, old
        # Requests to the old leader are answered NOT_LEADER_OR_FOLLOWER and re-sent.
        self.requests.clear()
        self.late.clear()
        self._forget_answers()

    @precondition(lambda self: self.restarts)
    @rule(leader=st.booleans())
    def write_snapshot(self, leader: bool) -> None:
        replica = self.leader if leader else self.follower
        replica.snapshot = encode_snapshot(replica.table)

    @precondition(lambda self: self.restarts)
    @rule()
    def restart_follower(self) -> None:
        self._recover(self.follower)

    def _recover(self, replica: Replica) -> None:
        """Rebuild the producer state from the newest usable snapshot and the log after it."""
        start = None
        if replica.snapshot is not None:
            loaded = decode_snapshot(replica.snapshot, bugs=self.bugs)
            if loaded.map_end_offset <= replica.log_end_offset:
                start = loaded
            else:
                replica.snapshot = None  # above the truncation point: Kafka deletes it
        headers = [stored.header for stored in replica.log]
        replica.table = rebuild_producer_state(headers, start=start, bugs=self.bugs)

    # -- the invariants ----------------------------------------------------------------------------

    def _checks(self, spec_id: str) -> bool:
        return (not self.checked or spec_id in self.checked) and spec_id not in self.unchecked

    def idempotence_snapshot(self) -> IdempotenceSnapshot:
        return IdempotenceSnapshot(
            leader=self.leader.name,
            replicas=(replica_view(self.leader), replica_view(self.follower)),
            acks=tuple(self.acks),
        )

    def ordering_snapshot(self) -> OrderingSnapshot:
        return OrderingSnapshot(
            settings=ProducerSettingsView(
                idempotent=self.idempotent,
                max_in_flight=self.max_in_flight,
                retries=self.retries,
            ),
            sent=tuple(
                SentRecord(record_id=record, outcome=batch.outcome)
                for batch in self.batches
                for record in batch.records
            ),
            log=tuple(record for stored in self.leader.log for record in stored.records),
        )

    @invariant()
    def no_sequence_twice(self) -> None:
        if self._checks("IDEM-1"):
            check("IDEM-1", no_sequence_twice(self.idempotence_snapshot()))

    @invariant()
    def sequences_rise_by_one(self) -> None:
        if self._checks("IDEM-2"):
            check("IDEM-2", sequences_rise_by_one(self.idempotence_snapshot()))

    @invariant()
    def acked_batches_at_their_offsets(self) -> None:
        if self._checks("IDEM-3"):
            check("IDEM-3", acked_batches_at_their_offsets(self.idempotence_snapshot()))

    @invariant()
    def stale_epochs_never_appended(self) -> None:
        if self._checks("IDEM-4"):
            check("IDEM-4", stale_epochs_never_appended(self.idempotence_snapshot()))

    @invariant()
    def producer_state_matches_log(self) -> None:
        if self._checks("IDEM-5"):
            check("IDEM-5", producer_state_matches_log(self.idempotence_snapshot()))

    @invariant()
    def gaps_are_refused(self) -> None:
        if self._checks("IDEM-6"):
            check("IDEM-6", gaps_are_refused(self.decisions))

    @invariant()
    def acknowledged_records_in_send_order(self) -> None:
        if self._checks("ORDER-1"):
            check("ORDER-1", acknowledged_records_in_send_order(self.ordering_snapshot()))

    @invariant()
    def ordering_needs_idempotence(self) -> None:
        if self._checks("ORDER-2"):
            check("ORDER-2", ordering_needs_idempotence(self.ordering_snapshot()))


class NonIdempotentSafeMachine(ProducerStateMachine):
    """Without idempotence or retries: no duplicates, and only failed records out of order."""

    idempotent = False
    retries = 0
    unchecked = ("ORDER-1",)


class NonIdempotentRetryingMachine(ProducerStateMachine):
    """Without idempotence, with retries and five in flight: ORDER-1 may fail, ORDER-2 holds."""

    idempotent = False
    unchecked = ("ORDER-1",)


def with_settings(machine: type[ProducerStateMachine], **settings: object) -> type:
    """A subclass of ``machine`` with class attributes changed (bug flags, settings)."""
    name = machine.__name__ + "_" + "_".join(sorted(settings))
    return type(name, (machine,), dict(settings))


TestProducerState = ProducerStateMachine.TestCase
TestNonIdempotentSafe = NonIdempotentSafeMachine.TestCase
TestNonIdempotentRetrying = NonIdempotentRetryingMachine.TestCase


def test_a_scripted_retry_is_answered_with_the_original_offset() -> None:
    # A readable transcript of IDEM-3: append, lose the answer, re-send, get the same offset.
    machine = ProducerStateMachine()
    machine.start()
    machine.send(count=2)
    machine.deliver_request()
    machine.replicate()
    machine.time_out()
    machine.retry()
    machine.deliver_request()
    machine.deliver_response()
    assert [ack.base_offset for ack in machine.acks] == [0]
    assert len(machine.leader.log) == 1
    machine.acked_batches_at_their_offsets()
    machine.no_sequence_twice()


def test_a_stale_request_processed_late_is_fenced() -> None:
    # IDEM-4 as a transcript: a request of epoch 0 read before the producer gave up on it is
    # processed after epoch 1's first batch, and refused with INVALID_PRODUCER_EPOCH.
    machine = ProducerStateMachine()
    machine.start()
    machine.send(count=1)
    machine.time_out()
    machine.bump_epoch()
    machine.send(count=1)
    machine.deliver_request()

    machine.deliver_late_request(queue=0)
    assert [s.header.producer_epoch for s in machine.leader.log] == [1]
    assert machine.decisions[-1].error_code == ErrorCode.INVALID_PRODUCER_EPOCH
    machine.stale_epochs_never_appended()
