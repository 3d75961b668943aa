"""Model test of the delivery checker: histories from a small abstract Kafka, correct and faulty.

The machine is an obviously-correct abstract model of a Kafka topic and a consumer group, used
to *generate* client histories (the checker and the DELIV-n specs are what is under test):

* a topic ``t`` of two partitions, each a Python list (offset = index);
* two clients (processes 0 and 1), each a producer and an assign-mode reader of both partitions,
  like Jepsen's Kafka workers;
* a group ``g`` of up to three members (processes 2-4) in subscribe mode, eagerly rebalanced
  (revoke everything, then assign partition i to member i mod n) whenever one joins or crashes;
  its application either commits after processing (at-least-once, by ``commitSync`` or by
  auto-commit at the start of the next poll) or before processing (at-most-once).

Rules are the environment: sends with every outcome (an ``unknown`` send may or may not have been
appended), polls, processing, commits that succeed or fail, joins and crashes.  After every step
each DELIV-n invariant is checked on the history so far plus a *final drain* (a fresh process
assigns both partitions, seeks to the beginning and polls everything, then fetches the group's
committed offsets), both by the plain predicate in ``specs/delivery.py`` and by the checker of
``glasskafka.history``: a correct model must satisfy both.

:class:`Fault` lists broken variants of the model, each recreating a known way Kafka deployments
lose or duplicate data; ``test_history_teeth.py`` proves the checks find every one of them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from glasskafka.history import check_history
from glasskafka.history.checker import Report
from glasskafka.history.model import (
    Assign,
    Commit,
    CommitMode,
    Committed,
    Crash,
    Delivery,
    History,
    Operation,
    Outcome,
    PartitionOffset,
    Poll,
    Process,
    Rebalance,
    RebalanceEvent,
    Record,
    Restart,
    Send,
    Subscribe,
)
from glasskafka.history.validate import validate
from glasskafka.ids import Offset, PartitionId, TopicName
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from specs import delivery
from specs.catalogue import check

TOPIC = TopicName("t")
PARTITIONS = (PartitionId(0), PartitionId(1))
CLIENTS = (0, 1)
MEMBERS = (2, 3, 4)
DRAIN = 9
GROUP = "g"
ALL_SPECS = frozenset(f"DELIV-{n}" for n in (1, 2, 3, 5, 7, 13, 15, 19, 20, 21))


class Fault(enum.Enum):
    """A broken variant of the model; each breaks the invariant named in its comment."""

    LOSE_ACKED_WRITE = "the leader truncates its newest record after acknowledging it"  # DELIV-5, 1
    DUPLICATE_APPEND = "a retried batch without idempotence is appended twice"  # DELIV-2
    FAIL_BUT_APPEND = "NOT_ENOUGH_REPLICAS is returned, yet the record was appended"  # DELIV-3
    SKIP_RECORD = "a fetch skips one record (a stale fetch position)"  # DELIV-7
    REORDER_IN_FLIGHT = "two in-flight batches are retried out of order"  # DELIV-13
    RECORD_SEND_LATE = "the recorder writes a send after the client's next poll"  # DELIV-15
    COMMIT_BEFORE_PROCESS = "an at-least-once consumer commits before processing"  # DELIV-19
    AUTO_COMMIT_CURRENT_POLL = "auto-commit commits the current poll's positions"  # DELIV-19
    PROCESS_BEFORE_COMMIT = "an at-most-once consumer processes before committing"  # DELIV-20
    ASSIGN_PARTITION_TWICE = "the assignor gives partition 0 to two members"  # DELIV-21


@dataclass
class Member:
    """One group member's client state, as the abstract model sees it."""

    active: bool = False
    crashed: bool = False
    owned: set[PartitionId] = field(default_factory=set)
    position: dict[PartitionId, int] = field(default_factory=dict)
    processed_upto: dict[PartitionId, int] = field(default_factory=dict)
    # Records returned by poll, not yet processed, each with "its offset has been committed".
    pending: list[tuple[Record, bool]] = field(default_factory=list)


def _may_poll(state: Member) -> bool:
    # A poll loop processes everything a poll returned before it polls again.
    return state.active and bool(state.owned) and not state.pending


def _may_commit(state: Member) -> bool:
    return state.active and bool(state.owned)


class HistoryMachine(RuleBasedStateMachine):
    """Generates a history from the abstract model; checks every DELIV-n after each step."""

    faults: frozenset[Fault] = frozenset()
    checked: frozenset[str] = ALL_SPECS
    initial_members = 0
    client_reads = True
    group_steps = True
    modes: tuple[tuple[Delivery, bool], ...] = (
        (Delivery.AT_LEAST_ONCE, False),
        (Delivery.AT_LEAST_ONCE, True),
        (Delivery.AT_MOST_ONCE, False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.logs: dict[PartitionId, list[tuple[str, str]]] = {p: [] for p in PARTITIONS}
        self.ops: list[Operation] = []
        self.late: dict[int, list[Send]] = {c: [] for c in CLIENTS}
        self.reader: dict[int, dict[PartitionId, int]] = {c: {} for c in CLIENTS}
        self.members = {m: Member() for m in MEMBERS}
        self.committed: dict[PartitionId, int] = {}
        self.generation = 0
        self.values = 0
        self.delivery = Delivery.AT_LEAST_ONCE
        self.auto_commit = False
        self._cache: tuple[int, History, Report] | None = None

    # -- the environment ------------------------------------------------------------------

    @initialize(mode=st.integers(min_value=0, max_value=2), members=st.integers(0, 2))
    def start(self, mode: int, members: int = 0) -> None:
        """Choose the group's commit style; the clients assign; some members join at once."""
        self.delivery, self.auto_commit = self.modes[mode % len(self.modes)]
        for client in CLIENTS:
            self.ops.append(
                Assign(
                    process=client,
                    client=f"client-{client}",
                    partitions=tuple((TOPIC, p) for p in PARTITIONS),
                    outcome=Outcome.OK,
                    seek_to_beginning=True,
                )
            )
        joining = max(members, self.initial_members) if self.group_steps else 0
        for member in MEMBERS[:joining]:
            self.join_member(member)

    def _new_value(self) -> tuple[str, str]:
        self.values += 1
        return (f"k{self.values % 3}", f"v{self.values}")

    def _record_send(self, client: int, send: Send) -> None:
        if Fault.RECORD_SEND_LATE in self.faults and send.outcome is Outcome.OK:
            # The broken recorder: this line only appears after the client's next poll.
            self.late[client].append(send)
        else:
            self.ops.append(send)

    @rule(
        client=st.sampled_from(CLIENTS),
        partition=st.sampled_from(PARTITIONS),
        outcome=st.sampled_from(Outcome),
        appended=st.booleans(),
    )
    def send(self, client: int, partition: PartitionId, outcome: Outcome, appended: bool) -> None:
        key, value = self._new_value()
        log = self.logs[partition]
        offset = len(log)
        stored = outcome is Outcome.OK or (outcome is Outcome.UNKNOWN and appended)
        if outcome is Outcome.ERROR and Fault.FAIL_BUT_APPEND in self.faults:
            stored = True  # the broker appended, then answered NOT_ENOUGH_REPLICAS anyway
        if stored:
            log.append((key, value))
            if outcome is Outcome.OK and Fault.DUPLICATE_APPEND in self.faults:
                log.append((key, value))  # the retry of a batch that had in fact arrived
        self._record_send(
            client,
            Send(
                process=client,
                client=f"client-{client}",
                topic=TOPIC,
                partition=partition if outcome is Outcome.OK else None,
                key=key,
                value=value,
                outcome=outcome,
                offset=Offset(offset) if outcome is Outcome.OK else None,
                error={
                    Outcome.OK: None,
                    Outcome.ERROR: "NOT_ENOUGH_REPLICAS",
                    Outcome.UNKNOWN: "REQUEST_TIMED_OUT",
                }[outcome],
            ),
        )

    @precondition(lambda self: Fault.REORDER_IN_FLIGHT in self.faults)
    @rule(client=st.sampled_from(CLIENTS), partition=st.sampled_from(PARTITIONS))
    def send_two_reordered(self, client: int, partition: PartitionId) -> None:
        first, second = self._new_value(), self._new_value()
        log = self.logs[partition]
        log.extend([second, first])  # the first batch failed, was retried, and landed second
        for (key, value), offset in ((first, len(log) - 1), (second, len(log) - 2)):
            self._record_send(
                client,
                Send(
                    process=client,
                    client=f"client-{client}",
                    topic=TOPIC,
                    partition=partition,
                    key=key,
                    value=value,
                    outcome=Outcome.OK,
                    offset=Offset(offset),
                ),
            )

    @precondition(lambda self: Fault.LOSE_ACKED_WRITE in self.faults)
    @rule(partition=st.sampled_from(PARTITIONS))
    def truncate_newest(self, partition: PartitionId) -> None:
        if self.logs[partition]:
            self.logs[partition].pop()

    def _read(self, partition: PartitionId, start: int, count: int) -> list[Record]:
        return [
            Record(topic=TOPIC, partition=partition, offset=Offset(o), key=k, value=v)
            for o, (k, v) in enumerate(self.logs[partition][start : start + count], start=start)
        ]

    @precondition(lambda self: self.client_reads)
    @rule(client=st.sampled_from(CLIENTS), skip=st.booleans())
    def client_poll(self, client: int, skip: bool) -> None:
        records: list[Record] = []
        for partition in PARTITIONS:
            position = self.reader[client].get(partition, 0)
            found = self._read(partition, position, 2)
            if skip and Fault.SKIP_RECORD in self.faults and len(found) == 2:
                found = [found[0], *self._read(partition, position + 2, 1)]
            if found:
                self.reader[client][partition] = found[-1].offset + 1
            records.extend(found)
        self.ops.append(
            Poll(
                process=client,
                client=f"client-{client}",
                outcome=Outcome.OK,
                records=tuple(records),
            )
        )
        self.ops.extend(self.late[client])
        self.late[client].clear()

    # -- the consumer group ---------------------------------------------------------------

    def _member_op(self, member: int) -> dict[str, object]:
        return {"process": member, "client": f"consumer-{member}"}

    def _rebalance(self) -> None:
        """An eager rebalance: every member revokes everything, then gets its new share."""
        active = [m for m in MEMBERS if self.members[m].active]
        for m in active:
            state = self.members[m]
            if state.owned:
                self.ops.append(
                    Rebalance(
                        process=m,
                        client=f"consumer-{m}",
                        group=GROUP,
                        event=RebalanceEvent.REVOKED,
                        partitions=tuple((TOPIC, p) for p in sorted(state.owned)),
                        generation=self.generation,
                    )
                )
            # Records not yet covered by a commit are dropped; the new owner reads them again.
            state.pending = [(record, done) for record, done in state.pending if done]
            state.owned, state.position, state.processed_upto = set(), {}, {}
        self.generation += 1
        shares: dict[int, set[PartitionId]] = {m: set() for m in active}
        for p in PARTITIONS:
            if active:
                shares[active[p % len(active)]].add(p)
        if Fault.ASSIGN_PARTITION_TWICE in self.faults and len(active) >= 2:
            shares[active[1]].add(PARTITIONS[0])  # the assignor's bug
        for m in active:
            state = self.members[m]
            state.owned = shares[m]
            for p in state.owned:
                state.position[p] = state.processed_upto[p] = self.committed.get(p, 0)
            self.ops.append(
                Rebalance(
                    process=m,
                    client=f"consumer-{m}",
                    group=GROUP,
                    event=RebalanceEvent.ASSIGNED,
                    partitions=tuple((TOPIC, p) for p in sorted(state.owned)),
                    generation=self.generation,
                )
            )

    # Each group rule draws its member among those for whom the step makes sense, so the search
    # spends no steps on no-ops.  The helpers below them are the steps themselves, which the
    # transcript tests in test_history_teeth.py call directly.

    def _eligible(self, test: Callable[[Member], bool]) -> list[int]:
        return [m for m in MEMBERS if test(self.members[m])]

    def _can_process(self, state: Member) -> bool:
        if not state.active or not state.pending:
            return False
        if (
            self.delivery is Delivery.AT_MOST_ONCE
            and Fault.PROCESS_BEFORE_COMMIT not in self.faults
        ):
            return all(done for _, done in state.pending)  # process only what a commit covers
        return True

    @precondition(lambda self: self.group_steps and bool(self._eligible(lambda m: not m.active)))
    @rule(data=st.data())
    def join(self, data: st.DataObject) -> None:
        self.join_member(data.draw(st.sampled_from(self._eligible(lambda m: not m.active))))

    @precondition(lambda self: bool(self._eligible(lambda m: m.active)))
    @rule(data=st.data())
    def crash(self, data: st.DataObject) -> None:
        self.crash_member(data.draw(st.sampled_from(self._eligible(lambda m: m.active))))

    @precondition(lambda self: bool(self._eligible(_may_poll)))
    @rule(data=st.data())
    def member_poll(self, data: st.DataObject) -> None:
        self.poll_member(data.draw(st.sampled_from(self._eligible(_may_poll))))

    @precondition(lambda self: not self.auto_commit and bool(self._eligible(_may_commit)))
    @rule(data=st.data(), ok=st.booleans())
    def member_commit(self, data: st.DataObject, ok: bool) -> None:
        self.commit_member(data.draw(st.sampled_from(self._eligible(_may_commit))), ok=ok)

    @precondition(lambda self: bool(self._eligible(self._can_process)))
    @rule(data=st.data())
    def member_process(self, data: st.DataObject) -> None:
        self.process_member(data.draw(st.sampled_from(self._eligible(self._can_process))))

    def join_member(self, member: int) -> None:
        """``member`` (re)starts if it crashed, subscribes, and the group rebalances."""
        state = self.members[member]
        if state.crashed:
            self.ops.append(Restart(process=member, client=f"consumer-{member}"))
            state.crashed = False
        self.ops.append(
            Subscribe(
                process=member,
                client=f"consumer-{member}",
                group=GROUP,
                topics=(TOPIC,),
                outcome=Outcome.OK,
                delivery=self.delivery,
            )
        )
        state.active = True
        self._rebalance()

    def crash_member(self, member: int) -> None:
        """``member`` crashes, losing everything it held; the group rebalances without it."""
        self.ops.append(Crash(process=member, client=f"consumer-{member}"))
        self.members[member] = Member(crashed=True)
        self._rebalance()

    def _commit(
        self, member: int, offsets: dict[PartitionId, int], ok: bool, mode: CommitMode
    ) -> None:
        self.ops.append(
            Commit(
                process=member,
                client=f"consumer-{member}",
                group=GROUP,
                mode=mode,
                offsets=tuple(
                    PartitionOffset(topic=TOPIC, partition=p, offset=Offset(o))
                    for p, o in sorted(offsets.items())
                ),
                outcome=Outcome.OK if ok else Outcome.ERROR,
                error=None if ok else "REBALANCE_IN_PROGRESS",
            )
        )
        if ok:
            self.committed.update(offsets)

    def poll_member(self, member: int) -> None:
        """One ``poll()``: up to two records per owned partition (auto-commit first, if on)."""
        state = self.members[member]
        if self.auto_commit and Fault.AUTO_COMMIT_CURRENT_POLL not in self.faults:
            # Auto-commit at the start of poll() commits the previous poll's positions, whose
            # records the loop has processed by now: safe (KafkaConsumer's auto-commit).
            self._commit(member, dict(state.position), True, CommitMode.AUTO)
        records: list[Record] = []
        for p in sorted(state.owned):
            found = self._read(p, state.position[p], 2)
            if found:
                state.position[p] = found[-1].offset + 1
            records.extend(found)
        if self.auto_commit and Fault.AUTO_COMMIT_CURRENT_POLL in self.faults:
            self._commit(member, dict(state.position), True, CommitMode.AUTO)  # the bug
            state.pending = [(r, True) for r in records]
        else:
            state.pending = [(r, False) for r in records]
        self.ops.append(
            Poll(
                process=member,
                client=f"consumer-{member}",
                outcome=Outcome.OK,
                records=tuple(records),
            )
        )
        if Fault.PROCESS_BEFORE_COMMIT in self.faults and self.delivery is Delivery.AT_MOST_ONCE:
            self.process_member(member)  # the bug: work done first, the commit comes later
        sync = self.delivery is Delivery.AT_LEAST_ONCE and not self.auto_commit
        if Fault.COMMIT_BEFORE_PROCESS in self.faults and sync:
            self.commit_member(member, ok=True)  # the bug: commitSync right after poll()

    def commit_member(self, member: int, *, ok: bool) -> None:
        """``commitSync``: of the processed positions (at-least-once) or polled ones (at-most)."""
        state = self.members[member]
        at_most_once = self.delivery is Delivery.AT_MOST_ONCE
        if at_most_once or Fault.COMMIT_BEFORE_PROCESS in self.faults:
            offsets = dict(state.position)  # everything polled, processed or not
        else:
            offsets = dict(state.processed_upto)  # only what has been processed
        self._commit(member, offsets, ok, CommitMode.SYNC)
        if ok and offsets == state.position:
            state.pending = [(record, True) for record, _ in state.pending]

    def process_member(self, member: int) -> None:
        """The application processes every record the member's last poll returned."""
        state = self.members[member]
        records = tuple(record for record, _ in state.pending)
        self.ops.append(Process(process=member, client=f"consumer-{member}", records=records))
        for record in records:
            if record.partition in state.owned:
                upto = state.processed_upto.get(record.partition, 0)
                state.processed_upto[record.partition] = max(upto, record.offset + 1)
        state.pending = []

    # -- the invariants -------------------------------------------------------------------

    def drained(self) -> tuple[History, Report]:
        """The history so far, its late lines flushed, plus a final drain; and its report."""
        if self._cache is not None and self._cache[0] == len(self.ops):
            return self._cache[1], self._cache[2]
        ops = list(self.ops) + [send for c in CLIENTS for send in self.late[c]]
        everything = tuple(r for p in PARTITIONS for r in self._read(p, 0, len(self.logs[p])))
        ops += [
            Assign(
                process=DRAIN,
                client="drain",
                partitions=tuple((TOPIC, p) for p in PARTITIONS),
                outcome=Outcome.OK,
                seek_to_beginning=True,
            ),
            Poll(process=DRAIN, client="drain", outcome=Outcome.OK, records=everything),
            Committed(
                process=DRAIN,
                client="drain",
                group=GROUP,
                offsets=tuple(
                    PartitionOffset(topic=TOPIC, partition=p, offset=Offset(o))
                    for p, o in sorted(self.committed.items())
                ),
            ),
        ]
        history = History.of(dataclasses.replace(op, index=i) for i, op in enumerate(ops))
        validate(history)
        report = check_history(history)
        self._cache = (len(self.ops), history, report)
        return history, report

    def _check(self, spec_id: str, predicate: Callable[[History], list[str]]) -> None:
        """Check ``spec_id`` by the checker's cases and by the plain predicate of the spec."""
        if spec_id not in self.checked:
            return
        history, report = self.drained()
        # The checker's cases first, so a failure message names the anomaly kind it found.
        found = report.spec_violations(spec_id)
        check(spec_id, found + [f"spec: {v}" for v in predicate(history)])

    @invariant()
    def at_least_once_per_group(self) -> None:
        self._check("DELIV-19", delivery.at_least_once_per_group)

    @invariant()
    def at_most_once_per_group(self) -> None:
        self._check("DELIV-20", delivery.at_most_once_per_group)

    @invariant()
    def acknowledged_writes_kept(self) -> None:
        self._check("DELIV-5", delivery.acknowledged_writes_kept)

    @invariant()
    def no_offset_reuse(self) -> None:
        self._check("DELIV-1", delivery.no_offset_reuse)

    @invariant()
    def no_duplicate_records(self) -> None:
        self._check("DELIV-2", delivery.no_duplicate_records)

    @invariant()
    def no_read_of_failed_write(self) -> None:
        self._check("DELIV-3", delivery.no_read_of_failed_write)

    @invariant()
    def consumers_read_in_order(self) -> None:
        self._check("DELIV-7", delivery.consumers_read_in_order)

    @invariant()
    def producer_sends_in_order(self) -> None:
        self._check("DELIV-13", delivery.producer_sends_in_order)

    @invariant()
    def no_circular_information_flow(self) -> None:
        self._check("DELIV-15", delivery.no_circular_information_flow)

    @invariant()
    def one_owner_per_generation(self) -> None:
        self._check("DELIV-21", delivery.one_owner_per_generation)

    @invariant()
    def correct_model_is_judged_valid(self) -> None:
        """With no fault, the checker's whole verdict is valid (or unknown before any work)."""
        if not self.faults:
            report = self.drained()[1]
            assert report.verdict.value in {"valid", "unknown"}, report.reason


def machine(
    faults: frozenset[Fault] = frozenset(),
    *,
    checked: frozenset[str] = ALL_SPECS,
    modes: tuple[tuple[Delivery, bool], ...] | None = None,
    narrow: str | None = None,
) -> type[HistoryMachine]:
    """A variant of :class:`HistoryMachine` with ``faults`` on, checking only ``checked``.

    ``narrow`` focuses the search so a fault is found in fewer steps: ``"group"`` has two members
    join at the start and the assign-mode clients only write; ``"clients"`` leaves the group out.
    """
    attributes: dict[str, object] = {"faults": faults, "checked": checked}
    if narrow == "group":
        attributes |= {"initial_members": 2, "client_reads": False}
    elif narrow == "clients":
        attributes |= {"group_steps": False}
    if modes is not None:
        attributes["modes"] = modes
    return type("FaultyHistoryMachine", (HistoryMachine,), attributes)


TestCorrectHistories = HistoryMachine.TestCase
