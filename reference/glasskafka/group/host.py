"""The seam between a broker and the group coordinator role it hosts.

Theory of operation
-------------------
Every Kafka broker runs a ``GroupCoordinator``; which groups it serves depends on which
``__consumer_offsets`` partitions it leads (``placement.py``).  glasskafka's
:class:`~glasskafka.group.coordinator.GroupCoordinator` is plain data embedded in the broker, and
never performs I/O: each input returns a :class:`GroupStep`, which the broker carries out.
The whole contract, for the engineer who hosts it:

**Inputs the host gives the role**

==============================================  ==============================================
``on_request(sender, request, now_ms)``         a ``KafkaRequest`` envelope
                                                whose body is FindCoordinator, JoinGroup,
                                                SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
                                                OffsetFetch, DescribeGroups or ListGroups
``on_timer(name, now_ms)``                      a timer the role set; every name starts with
                                                :data:`TIMER_PREFIX` (``"group:"``)
``become_leader(partition, now_ms)``            this broker now leads ``__consumer_offsets-p``:
                                                requests for its groups get
                                                COORDINATOR_LOAD_IN_PROGRESS until ...
``load(partition, records, now_ms)``            ... the host hands over the partition's batches
                                                (log start to log end, as bytes; see below)
``become_follower(partition, now_ms)``          another broker leads it now: the role drops its
                                                groups and answers their parked requests
                                                NOT_COORDINATOR
``on_append_completed(append_id, error, now)``  an append the role asked for is committed
                                                (``ErrorCode.NONE``) or failed
``set_offsets_topic_leaders(leaders)``          who leads each offsets partition, for
                                                FindCoordinator (from the metadata cache)
``on_connection_lost(peer)``                    the connection to ``peer`` broke: its parked
                                                requests still count (a JoinGroup still makes
                                                its member "joined"), but their answers are
                                                dropped, as Kafka drops a response for a
                                                closed channel
==============================================  ==============================================

**Outputs in a GroupStep**

* ``outputs``: :class:`~glasskafka.node.Send` with a response for the request's sender (a parked
  JoinGroup or SyncGroup is answered in a later step), and ``SetTimer``/``CancelTimer`` for timers
  named ``"group:..."``, which the host routes back to ``on_timer``;
* ``appends``: :class:`OffsetsAppend` values, records the host must append to
  ``__consumer_offsets-<partition>`` as its leader, with ``acks=-1`` semantics (Kafka's
  ``offsets.commit.required.acks``).  When the high watermark passes them, or the append fails
  (not leader any more, too few replicas, too large), the host calls ``on_append_completed``
  with the append's id.  Every append must be completed exactly once, eventually, or the
  requests waiting on it are never answered.

**What to load.**  The whole log of a partition this broker now leads, up to its *log end*, not
its high watermark, as Kafka's ``GroupMetadataManager.doLoadGroupsAndOffsets`` reads it.  A new
leader's high watermark lags the old leader's by a fetch round trip, so records the old leader
had already acknowledged may lie above it; a leader never truncates its own log, and if it loses
the leadership its groups are unloaded, so nothing read from the tail can be taken back.

A host that reads the log synchronously may call ``become_leader`` and ``load`` in the same input;
a host that wants to show COORDINATOR_LOAD_IN_PROGRESS can load later (a timer), as Kafka loads
on a background thread (``GroupMetadataManager.scheduleLoadGroupAndOffsets``).

Spec IDs: GROUP-5 (every parked request is answered) depends on hosts keeping this contract.

Simplified from Kafka: Kafka's coordinator appends through ``ReplicaManager.appendRecords`` itself
and keeps a separate connection muted per request; glasskafka hands the append to the host, and
a parked request keeps only its envelope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from glasskafka.ids import Millis, NodeId, PartitionId
from glasskafka.node import CancelTimer, Message, Output, Send, SetTimer
from glasskafka.protocol.envelope import KafkaRequest, answer
from glasskafka.records import Record, encode_batch

__all__ = [
    "TIMER_PREFIX",
    "CoordinatorEndpoint",
    "Effects",
    "GroupStep",
    "OffsetsAppend",
    "ParkedRequest",
    "parse_timer",
    "timer_name",
]

TIMER_PREFIX = "group:"
"""Every timer the role sets is named ``"group:<kind>:<json arguments>"``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParkedRequest:
    """A request the coordinator will answer later, with the node that sent it."""

    sender: NodeId
    request: KafkaRequest
    detached: bool = False
    """The sender's connection broke: the request still counts, its answer goes nowhere."""

    @property
    def api_version(self) -> int:
        """The request's version, with -1 ("not given") read as "newest"."""
        return self.request.api_version if self.request.api_version >= 0 else 2**15


@dataclass(frozen=True, slots=True, kw_only=True)
class CoordinatorEndpoint:
    """The broker that leads an offsets partition, as FindCoordinator reports it."""

    node_id: int
    host: str
    port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetsAppend:
    """Records the host must append to ``__consumer_offsets-<partition>``, then report back."""

    append_id: int
    partition: PartitionId
    records: tuple[Record, ...]

    def batch(self) -> bytes:
        """The records as one RecordBatch v2 (base offset 0; the leader stamps the real one)."""
        return encode_batch(self.records)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupStep:
    """What one input to the coordinator produced."""

    outputs: tuple[Output, ...] = ()
    appends: tuple[OffsetsAppend, ...] = ()

    def __add__(self, other: GroupStep) -> GroupStep:
        return GroupStep(outputs=self.outputs + other.outputs, appends=self.appends + other.appends)


def timer_name(kind: str, *arguments: str | int) -> str:
    """``"group:<kind>:<json list>"``: readable in a trace, and safe for any group id."""
    return f"{TIMER_PREFIX}{kind}:{json.dumps(list(arguments))}"


def parse_timer(name: str) -> tuple[str, list[str | int]] | None:
    """Split a timer name made by :func:`timer_name`; ``None`` if it is not one."""
    if not name.startswith(TIMER_PREFIX):
        return None
    kind, sep, rest = name[len(TIMER_PREFIX) :].partition(":")
    if not sep:
        return None
    try:
        arguments = json.loads(rest)
    except ValueError:
        return None
    if not isinstance(arguments, list) or not all(
        isinstance(a, str | int) and not isinstance(a, bool) for a in arguments
    ):
        return None
    return kind, arguments


@dataclass(slots=True)
class Effects:
    """The outputs of one input, collected as the handlers run, then frozen into a GroupStep."""

    now_ms: Millis
    outputs: list[Output] = field(default_factory=list)
    appends: list[OffsetsAppend] = field(default_factory=list)

    def respond(self, parked: ParkedRequest, body: Message) -> None:
        """Answer ``parked`` with response ``body`` (dropped if its connection broke)."""
        if parked.detached:
            return
        self.outputs.append(Send(to=parked.sender, message=answer(parked.request, body)))

    def set_timer(self, name: str, at_ms: int) -> None:
        self.outputs.append(SetTimer(name=name, at_ms=Millis(at_ms)))

    def cancel_timer(self, name: str) -> None:
        self.outputs.append(CancelTimer(name=name))

    def append(self, append: OffsetsAppend) -> None:
        self.appends.append(append)

    def step(self) -> GroupStep:
        return GroupStep(outputs=tuple(self.outputs), appends=tuple(self.appends))
