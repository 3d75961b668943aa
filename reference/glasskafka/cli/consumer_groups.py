"""``glasskafka consumer-groups``: list and describe consumer groups (``kafka-consumer-groups.sh``).

Theory of operation
-------------------
The same flags and output as Kafka 3.7's ``kafka-consumer-groups.sh``
(``kafka.admin.ConsumerGroupCommand``)::

    glasskafka consumer-groups --bootstrap-server localhost:9092 --list
    glasskafka consumer-groups --bootstrap-server localhost:9092 --describe --group my-group
    glasskafka consumer-groups --bootstrap-server localhost:9092 --describe --all-groups --members

It asks the cluster the questions Kafka's ``Admin`` client asks, with the blocking
:class:`~glasskafka.runtime.kafka_client.KafkaClient`:

* ``--list``: ListGroups to every broker Metadata names (each broker answers for the groups it
  coordinates), keeping the groups whose protocol type is ``consumer`` (or empty: a group that
  only commits offsets, as an assign-mode consumer's does);
* ``--describe``: FindCoordinator for the group, then DescribeGroups (state, members and the
  ``ConsumerProtocol`` assignment bytes each member was given) and OffsetFetch (every committed
  offset, ``topics`` null) at the coordinator, then ListOffsets (latest) at each partition's
  leader.

Default ``--describe`` (or ``--offsets``) prints one row per partition: the members' partitions
first (the member with the most partitions first), then the partitions with a committed offset
that no member holds, with ``-`` for the consumer.  ``LAG`` is ``LOG-END-OFFSET`` minus
``CURRENT-OFFSET``, as ``ConsumerGroupCommand.getLag`` computes it, and ``-`` where either is
unknown (nothing committed, or no leader answered).  Columns are left-aligned at least 15 wide
and widen to the longest group, topic, consumer id and host, exactly as Kafka formats them.
Kafka's state messages go where Kafka sends them: ``Consumer group 'G' has no active members.``
and ``Warning: Consumer group 'G' is rebalancing.`` to standard error, ``Error: Consumer group 'G'
does not exist.`` to standard output.  ``--members`` prints each member's partition count (and
with ``--verbose`` its partitions); ``--state`` the coordinator, assignor and member count.

A transport failure (no broker answers, a broker that does not serve the group APIs) ends with
``Error: Executing consumer group command failed due to <reason>`` on standard error and exit
status 1, as Kafka ends; usage mistakes are argparse's exit status 2.

Spec IDs: none (an admin tool; the group coordinator keeps GROUP-n).

Simplified from Kafka: no ``--reset-offsets``, ``--delete`` or ``--delete-offsets`` (they change
state; Kafka's ``Admin`` sends them to the coordinator the same way); no ``--command-config``.
Rows and groups are sorted (topic, then partition; groups by id) where Kafka's order depends on
Java hash maps.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from glasskafka.assignors.consumer_protocol import ConsumerProtocolError, decode_assignment
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.node import Message
from glasskafka.protocol.messages.committed_offsets import OffsetFetchRequest, OffsetFetchResponse
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.protocol.messages.group_listing import (
    DescribedGroup,
    DescribeGroupsRequest,
    DescribeGroupsResponse,
    ListGroupsRequest,
    ListGroupsResponse,
)
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopic,
)
from glasskafka.runtime.kafka_client import KafkaClient, parse_bootstrap

__all__ = [
    "GroupDescription",
    "MemberDescription",
    "PartitionRow",
    "members_lines",
    "offsets_lines",
    "partition_rows",
    "register",
    "state_lines",
]

MISSING = "-"
"""``ConsumerGroupCommand.MISSING_COLUMN_VALUE``."""

_LATEST = -1
"""ListOffsets' timestamp for "the high watermark" (``ListOffsetsRequest.LATEST_TIMESTAMP``)."""

_RETRY_BACKOFF_S = 0.2
_RETRIABLE = (
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.NOT_COORDINATOR,
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberDescription:
    """One member of a group, with the partitions its ``ConsumerProtocol`` assignment names."""

    consumer_id: str
    host: str
    client_id: str
    partitions: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupDescription:
    """What DescribeGroups and OffsetFetch said about one group (``committed``: offsets >= 0)."""

    group_id: str
    state: str
    assignment_strategy: str
    coordinator: str
    members: tuple[MemberDescription, ...]
    committed: dict[tuple[str, int], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionRow:
    """One line of ``--describe --offsets``; ``None`` prints as ``-``."""

    group: str
    topic: str | None
    partition: int | None
    current_offset: int | None
    log_end_offset: int | None
    consumer_id: str
    host: str
    client_id: str

    @property
    def lag(self) -> int | None:
        """``getLag``: log end offset minus the committed offset, if both are known."""
        if self.current_offset is None or self.log_end_offset is None:
            return None
        return self.log_end_offset - self.current_offset


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``consumer-groups`` subcommand."""
    parser = subparsers.add_parser(
        "consumer-groups",
        help="list and describe consumer groups, with lag (kafka-consumer-groups.sh)",
        description="List consumer groups, or describe their members, offsets and lag, as "
        "kafka-consumer-groups.sh does.",
    )
    actions = parser.add_mutually_exclusive_group(required=True)
    actions.add_argument("--list", action="store_true", help="list every consumer group")
    actions.add_argument("--describe", action="store_true", help="describe groups")
    parser.add_argument("--bootstrap-server", required=True, metavar="HOST:PORT")
    parser.add_argument("--group", action="append", default=[], help="a group (repeatable)")
    parser.add_argument("--all-groups", action="store_true", help="with --describe: every group")
    parser.add_argument("--offsets", action="store_true", help="partitions, offsets and lag")
    parser.add_argument("--members", action="store_true", help="members and their partitions")
    parser.add_argument("--state", action="store_true", help="coordinator, assignor, state")
    parser.add_argument("--verbose", action="store_true", help="with --members: the partitions")
    parser.add_argument(
        "--timeout",
        type=_positive_ms,
        default=5000,
        metavar="MS",
        help="how long to wait for the cluster (default 5000)",
    )
    parser.set_defaults(func=_run, parser=parser)


def _positive_ms(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of milliseconds above 0")
    return int(text)


def _run(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    if args.describe and bool(args.group) == args.all_groups:
        parser.error("Option [describe] takes one of these options: [all-groups], [group]")
    if args.list and (args.group or args.all_groups or args.offsets or args.members):
        parser.error("Option [list] takes no --group, --all-groups, --offsets or --members")
    if sum((args.offsets, args.members, args.state)) > 1:
        parser.error("Options [offsets], [members] and [state] cannot be used together")
    if args.verbose and not args.members:
        parser.error("Option [verbose] is only valid with [describe] and [members]")
    timeout_s = args.timeout / 1000
    parse_bootstrap(args.bootstrap_server)  # a malformed value is a usage error (exit status 2)
    try:
        with KafkaClient(args.bootstrap_server, timeout_s=timeout_s) as client:
            if args.list:
                for group in list_groups(client):
                    print(group)
                return 0
            groups = list_groups(client) if args.all_groups else sorted(set(args.group))
            for group in groups:
                description = describe_group(client, group, timeout_s=timeout_s)
                _print_description(client, description, args)
    except GlassKafkaError as error:
        print(f"Error: Executing consumer group command failed due to {error}", file=sys.stderr)
        return 1
    return 0


def _print_description(
    client: KafkaClient, description: GroupDescription, args: argparse.Namespace
) -> None:
    if args.members:
        out, err = members_lines(description, verbose=args.verbose)
    elif args.state:
        out, err = state_lines(description)
    else:
        partitions = {tp for m in description.members for tp in m.partitions}
        ends = log_end_offsets(client, partitions | set(description.committed))
        out, err = offsets_lines(description, partition_rows(description, ends))
    for line in err:
        print(line, file=sys.stderr)
    for line in out:
        print(line)


# ---------------------------------------------------------------------------------------------
# Asking the cluster


def list_groups(client: KafkaClient) -> list[str]:
    """Every consumer group any broker coordinates, sorted (ListGroups to each broker)."""
    found: set[str] = set()
    for broker in client.metadata([]).brokers:
        answer = client.request((broker.host, broker.port), ListGroupsRequest())
        assert isinstance(answer, ListGroupsResponse)
        if answer.error_code != ErrorCode.NONE:
            raise GlassKafkaError(
                f"ListGroups at broker {broker.node_id}: {_name(answer.error_code)}"
            )
        found |= {g.group_id for g in answer.groups if g.protocol_type in ("consumer", "")}
    return sorted(found)


def describe_group(client: KafkaClient, group_id: str, *, timeout_s: float) -> GroupDescription:
    """DescribeGroups and OffsetFetch at the group's coordinator, retrying while it moves."""
    deadline = time.monotonic() + timeout_s
    while True:
        coordinator, address = _coordinator(client, group_id)
        described = client.request(address, DescribeGroupsRequest(groups=(group_id,)))
        assert isinstance(described, DescribeGroupsResponse)
        group = described.groups[0]
        fetched = client.request(address, OffsetFetchRequest(group_id=group_id, topics=None))
        assert isinstance(fetched, OffsetFetchResponse)
        codes = [group.error_code, fetched.error_code]
        if all(code == ErrorCode.NONE for code in codes):
            return _description(group, fetched, coordinator)
        if not any(code in _RETRIABLE for code in codes) or time.monotonic() > deadline:
            failed = next(code for code in codes if code != ErrorCode.NONE)
            raise GlassKafkaError(f"describing group '{group_id}': {_name(failed)}")
        time.sleep(_RETRY_BACKOFF_S)


def _coordinator(client: KafkaClient, group_id: str) -> tuple[str, tuple[str, int]]:
    """FindCoordinator at the first bootstrap server that answers, retrying while the group's
    ``__consumer_offsets`` partition has no leader: ``host:port (id)`` and the address."""
    deadline = time.monotonic() + client.timeout_s
    while True:
        answer = _ask_any(client, FindCoordinatorRequest(key=group_id))
        assert isinstance(answer, FindCoordinatorResponse)
        if answer.error_code == ErrorCode.NONE:
            where = (answer.host, answer.port)
            return f"{answer.host}:{answer.port} ({answer.node_id})", where
        if answer.error_code not in _RETRIABLE or time.monotonic() > deadline:
            code = _name(answer.error_code)
            raise GlassKafkaError(f"finding the coordinator of '{group_id}': {code}")
        time.sleep(_RETRY_BACKOFF_S)


def _ask_any(client: KafkaClient, body: FindCoordinatorRequest) -> Message:
    """``body``'s answer from the first bootstrap server that gives one."""
    problems = []
    for address in client.bootstrap:
        try:
            return client.request(address, body)
        except GlassKafkaError as error:
            problems.append(str(error))
    raise GlassKafkaError("no bootstrap server answered: " + "; ".join(problems))


def _description(
    group: DescribedGroup, fetched: OffsetFetchResponse, coordinator: str
) -> GroupDescription:
    members = tuple(
        MemberDescription(
            consumer_id=m.member_id,
            host=m.client_host,
            client_id=m.client_id,
            partitions=_assigned(m.member_assignment),
        )
        for m in group.members
    )
    committed = {
        (topic.name, p.partition_index): p.committed_offset
        for topic in fetched.topics
        for p in topic.partitions
        if p.error_code == ErrorCode.NONE and p.committed_offset >= 0  # -1: nothing committed
    }
    return GroupDescription(
        group_id=group.group_id,
        state=group.group_state,
        assignment_strategy=group.protocol_data,
        coordinator=coordinator,
        members=members,
        committed=committed,
    )


def _assigned(data: bytes) -> tuple[tuple[str, int], ...]:
    """A member's partitions from its ConsumerProtocol assignment; none while it has none yet
    (empty bytes during a rebalance) or if the bytes are not a consumer's."""
    if not data:
        return ()
    try:
        assignment = decode_assignment(data)
    except ConsumerProtocolError:
        return ()
    return tuple(sorted((str(topic), int(partition)) for topic, partition in assignment.partitions))


def log_end_offsets(
    client: KafkaClient, partitions: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], int]:
    """ListOffsets (latest: the high watermark) at each partition's leader; a partition whose
    leader is unknown or answers an error is left out (its columns print ``-``)."""
    wanted = sorted(set(partitions))
    if not wanted:
        return {}
    metadata = client.metadata(sorted({topic for topic, _ in wanted}))
    addresses = {b.node_id: (b.host, b.port) for b in metadata.brokers}
    leaders = {
        (t.name, p.partition_index): p.leader_id for t in metadata.topics for p in t.partitions
    }
    by_leader: dict[int, list[tuple[str, int]]] = {}
    for tp in wanted:
        if leaders.get(tp, -1) in addresses:
            by_leader.setdefault(leaders[tp], []).append(tp)
    ends: dict[tuple[str, int], int] = {}
    for leader, tps in sorted(by_leader.items()):
        topics = tuple(
            ListOffsetsTopic(
                name=name,
                partitions=tuple(
                    ListOffsetsPartition(partition_index=p, timestamp=_LATEST)
                    for t, p in tps
                    if t == name
                ),
            )
            for name in sorted({t for t, _ in tps})
        )
        answer = client.request(addresses[leader], ListOffsetsRequest(replica_id=-1, topics=topics))
        assert isinstance(answer, ListOffsetsResponse)
        for topic in answer.topics:
            for p in topic.partitions:
                if p.error_code == ErrorCode.NONE:
                    ends[(topic.name, p.partition_index)] = p.offset
    return ends


def _name(code: int) -> str:
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"error code {code}"


# ---------------------------------------------------------------------------------------------
# Kafka's layout


def partition_rows(
    description: GroupDescription, log_end_offsets: dict[tuple[str, int], int]
) -> list[PartitionRow]:
    """``collectGroupsOffsets``: members' partitions (most partitions first), then committed
    partitions no member holds."""
    rows: list[PartitionRow] = []
    holders = sorted(
        (m for m in description.members if m.partitions),
        key=lambda m: (-len(m.partitions), m.consumer_id),
    )
    for member in holders:
        rows += _rows(description, member.partitions, log_end_offsets, member)
    held = {tp for m in holders for tp in m.partitions}
    orphans = tuple(sorted(tp for tp in description.committed if tp not in held))
    return rows + _rows(description, orphans, log_end_offsets, None)


def _rows(
    description: GroupDescription,
    partitions: tuple[tuple[str, int], ...],
    log_end_offsets: dict[tuple[str, int], int],
    member: MemberDescription | None,
) -> list[PartitionRow]:
    who = {"consumer_id": MISSING, "host": MISSING, "client_id": MISSING}
    if member is not None:
        who = {
            "consumer_id": member.consumer_id,
            "host": member.host,
            "client_id": member.client_id,
        }
    return [
        PartitionRow(
            group=description.group_id,
            topic=topic,
            partition=partition,
            current_offset=description.committed.get((topic, partition)),
            log_end_offset=log_end_offsets.get((topic, partition)),
            **who,
        )
        for topic, partition in partitions
    ]


def _state_notice(description: GroupDescription, rows: int) -> tuple[list[str], list[str], bool]:
    """``shouldPrintMemberState``: (stdout lines, stderr lines, whether to print the table)."""
    group, state = description.group_id, description.state
    if state == "Dead":
        return ["", f"Error: Consumer group '{group}' does not exist."], [], False
    if state == "Empty":
        return [], ["", f"Consumer group '{group}' has no active members."], rows > 0
    if state in ("PreparingRebalance", "CompletingRebalance"):
        return [], ["", f"Warning: Consumer group '{group}' is rebalancing."], rows > 0
    return [], [], rows > 0


def _cell(value: object) -> str:
    return MISSING if value is None else str(value)


def offsets_lines(
    description: GroupDescription, rows: list[PartitionRow]
) -> tuple[list[str], list[str]]:
    """``printOffsets``: (stdout lines, stderr lines) for one group."""
    out, err, show = _state_notice(description, len(rows))
    if not show:
        return out, err
    group_w = max([15] + [len(r.group) for r in rows])
    topic_w = max([15] + [len(_cell(r.topic)) for r in rows])
    consumer_w = max([15] + [len(r.consumer_id) for r in rows])
    host_w = max([15] + [len(r.host) for r in rows])

    def line(*cells: object) -> str:
        g, t, p, c, e, lag, consumer, host, client = map(_cell, cells)
        return (
            f"{g:<{group_w}} {t:<{topic_w}} {p:<10} {c:<15} {e:<15} {lag:<15} "
            f"{consumer:<{consumer_w}} {host:<{host_w}} {client}"
        )

    out += [
        "",
        line(
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "LOG-END-OFFSET",
            "LAG",
            "CONSUMER-ID",
            "HOST",
            "CLIENT-ID",
        ),
    ]
    out += [
        line(
            r.group,
            r.topic,
            r.partition,
            r.current_offset,
            r.log_end_offset,
            r.lag,
            r.consumer_id,
            r.host,
            r.client_id,
        )
        for r in rows
    ]
    return out, err


def members_lines(description: GroupDescription, *, verbose: bool) -> tuple[list[str], list[str]]:
    """``printMembers``: one line per member; ``--verbose`` adds its partitions."""
    members = description.members
    out, err, show = _state_notice(description, len(members))
    if not show:
        return out, err
    group_w = max(15, len(description.group_id))
    consumer_w = max([15] + [len(m.consumer_id) for m in members])
    host_w = max([15] + [len(m.host) for m in members])
    client_w = max([15] + [len(m.client_id) for m in members])

    def line(group: str, consumer: str, host: str, client: str, count: object) -> str:
        return (
            f"{group:<{group_w}} {consumer:<{consumer_w}} {host:<{host_w}} "
            f"{client:<{client_w}} {count!s:<15} "
        )

    header = line("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS")
    out += ["", header + ("ASSIGNMENT" if verbose else "")]
    for m in members:
        text = line(description.group_id, m.consumer_id, m.host, m.client_id, len(m.partitions))
        out.append(text + (_assignment_text(m.partitions) if verbose else ""))
    return out, err


def _assignment_text(partitions: tuple[tuple[str, int], ...]) -> str:
    """``topic(0,2), other(1)``: the partitions by topic, as ``printMembers`` shows them."""
    if not partitions:
        return MISSING
    topics = sorted({topic for topic, _ in partitions})
    return ", ".join(
        f"{t}({','.join(str(p) for p in sorted(q for s, q in partitions if s == t))})"
        for t in topics
    )


def state_lines(description: GroupDescription) -> tuple[list[str], list[str]]:
    """``printStates``: coordinator, assignor, state and member count."""
    out, err, show = _state_notice(description, 1)
    if not show:
        return out, err
    width = max(25, len(description.coordinator))
    # Kafka sizes the GROUP column by the coordinator's width; kept, so the lines match.
    row = f"{{:<{width}}} {{:<25}} {{:<20}} {{:<15}} {{}}"
    out += [
        "",
        row.format("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"),
        row.format(
            description.group_id,
            description.coordinator,
            description.assignment_strategy,
            description.state,
            len(description.members),
        ),
    ]
    return out, err
