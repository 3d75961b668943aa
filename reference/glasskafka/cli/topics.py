"""``glasskafka topics``: create, describe, list and delete topics (Kafka's ``kafka-topics.sh``).

Theory of operation
-------------------
The same flags and output lines as ``kafka-topics.sh``, so the course's commands work with the
script name changed::

    glasskafka topics --create --topic topic1 --bootstrap-server localhost:9092
    glasskafka topics --describe --topic topic1 --bootstrap-server localhost:9092
    glasskafka topics --list --bootstrap-server localhost:9092
    glasskafka topics --delete --topic topic1 --bootstrap-server localhost:9092

It is a Kafka protocol client (``glasskafka.runtime.kafka_client``), as ``kafka-topics.sh`` is
since Kafka 2.2 (KIP-377): Metadata from a bootstrap server, then CreateTopics or DeleteTopics to
the broker Metadata names as the controller.  ``--partitions`` and ``--replication-factor`` left
out mean the brokers' ``num.partitions`` and ``default.replication.factor`` (KIP-464, sent as -1).
Like Kafka's broker, which answers CreateTopics only once the new partitions have leaders, the
command returns after every broker's Metadata shows the topic with a leader for every partition
(or, after ``--delete``, no longer shows it), so the next command sees it whichever broker it
asks.

Output, exactly as Kafka prints it: ``Created topic topic1.``; for ``--describe`` a summary line
``Topic: topic1<TAB>PartitionCount: 1<TAB>ReplicationFactor: 1<TAB>Configs: `` and then one line per
partition, tab-indented, ``Topic: topic1 Partition: 0 Leader: 1 Replicas: 1 Isr: 1`` (tabs
between the fields, ``none`` for a partition without a leader); for ``--list`` one name per line.
A failure prints ``Error while executing topic command : <reason>`` on standard error and exits 1.

Spec IDs: none.

Simplified from Kafka: no ``TopicId`` in ``--describe`` (ZooKeeper-era topics have none, as
before Kafka 2.8, KIP-516) and ``Configs:`` stays empty, because glasskafka's brokers do not serve
DescribeConfigs; no ``--alter``, ``--under-replicated-partitions`` or ``--command-config``.
"""

from __future__ import annotations

import argparse
import sys
import time

from glasskafka.config import parse_overrides
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
    MetadataResponseTopic,
)
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopic,
    CreatableTopicConfig,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.runtime.kafka_client import KafkaClient

__all__ = ["TopicCommandError", "describe_lines", "register"]

_TIMEOUT_MS = 30000
_SETTLE_S = 30.0
_CLIENT_TIMEOUT_S = 10.0
"""How long to keep trying to reach a bootstrap server or the controller."""


class TopicCommandError(Exception):
    """What ``kafka-topics.sh`` reports as "Error while executing topic command"."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``topics`` subcommand."""
    parser = subparsers.add_parser(
        "topics",
        help="create, describe, list or delete topics (kafka-topics.sh)",
        description="Create, describe, list or delete topics, as kafka-topics.sh does.",
    )
    actions = parser.add_mutually_exclusive_group(required=True)
    for action in ("create", "describe", "list", "delete"):
        actions.add_argument(f"--{action}", action="store_true", help=f"{action} topics")
    parser.add_argument("--bootstrap-server", required=True, metavar="HOST:PORT")
    parser.add_argument("--topic", help="the topic's name")
    parser.add_argument("--partitions", type=int, default=-1, help="(default: num.partitions)")
    parser.add_argument(
        "--replication-factor", type=int, default=-1, help="(default: default.replication.factor)"
    )
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE",
        help="a topic configuration override (repeatable)",
    )  # fmt: skip
    parser.add_argument("--if-not-exists", action="store_true", help="with --create")
    parser.add_argument("--if-exists", action="store_true", help="with --delete or --describe")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if (args.create or args.delete) and not args.topic:
        raise GlassKafkaError("--topic is required with --create and --delete")
    configs = parse_overrides(args.config)
    try:
        with KafkaClient(args.bootstrap_server, timeout_s=_CLIENT_TIMEOUT_S) as client:
            if args.create:
                _create(client, args, configs)
            elif args.delete:
                _delete(client, args.topic, if_exists=args.if_exists)
            elif args.list:
                for topic in sorted(t.name for t in client.metadata().topics):
                    print(topic)
            else:
                print("\n".join(_describe(client, args.topic, if_exists=args.if_exists)))
    except TopicCommandError as error:
        print(f"Error while executing topic command : {error}", file=sys.stderr)
        return 1
    return 0


def _create(client: KafkaClient, args: argparse.Namespace, configs: dict[str, str]) -> None:
    topic = CreatableTopic(
        name=args.topic,
        num_partitions=args.partitions,
        replication_factor=args.replication_factor,
        assignments=(),
        configs=tuple(CreatableTopicConfig(name=k, value=v) for k, v in sorted(configs.items())),
    )
    answer = client.to_controller(CreateTopicsRequest(topics=(topic,), timeout_ms=_TIMEOUT_MS))
    assert isinstance(answer, CreateTopicsResponse)
    result = answer.topics[0]
    if result.error_code == ErrorCode.TOPIC_ALREADY_EXISTS and args.if_not_exists:
        return
    if result.error_code != ErrorCode.NONE:
        raise TopicCommandError(result.error_message or ErrorCode(result.error_code).name)
    _settle(client, args.topic, present=True)
    print(f"Created topic {args.topic}.")


def _delete(client: KafkaClient, name: str, *, if_exists: bool) -> None:
    answer = client.to_controller(DeleteTopicsRequest(topic_names=(name,), timeout_ms=_TIMEOUT_MS))
    assert isinstance(answer, DeleteTopicsResponse)
    code = answer.responses[0].error_code
    if code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
        if if_exists:
            return
        raise TopicCommandError(f"Topic '{name}' does not exist as expected")
    if code != ErrorCode.NONE:
        raise TopicCommandError(ErrorCode(code).name)
    _settle(client, name, present=False)


def _settle(client: KafkaClient, name: str, *, present: bool) -> None:
    """Wait until every broker's Metadata shows ``name`` with a leader for every partition (or,
    after a delete, no longer shows it), so the next command sees it whichever broker it asks."""
    deadline = time.monotonic() + _SETTLE_S
    while time.monotonic() < deadline:
        brokers = client.metadata([]).brokers
        if brokers and all(_shows(client, (b.host, b.port), name) == present for b in brokers):
            return
        time.sleep(0.1)
    state = "have leaders" if present else "be gone"
    raise TopicCommandError(f"Topic '{name}' did not {state} within {_SETTLE_S:.0f} s")


def _shows(client: KafkaClient, address: tuple[str, int], name: str) -> bool:
    """Whether the broker at ``address`` knows ``name`` and a leader for each partition."""
    wanted = (MetadataRequestTopic(name=name),)
    body = MetadataRequest(topics=wanted, allow_auto_topic_creation=False)  # never re-create it
    answer = client.request(address, body)
    assert isinstance(answer, MetadataResponse)
    topics = [t for t in answer.topics if t.error_code == ErrorCode.NONE]
    return bool(topics) and all(p.leader_id >= 0 for p in topics[0].partitions)


def _describe(client: KafkaClient, name: str | None, *, if_exists: bool) -> list[str]:
    metadata = client.metadata(None if name is None else [name])
    topics = _found_topics(metadata)
    if name is not None and not topics and not if_exists:
        raise TopicCommandError(f"Topic '{name}' does not exist as expected")
    return [line for topic in topics for line in describe_lines(topic)]


def _found_topics(metadata: MetadataResponse) -> list[MetadataResponseTopic]:
    return sorted(
        (t for t in metadata.topics if t.error_code != ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        key=lambda t: t.name,
    )


def describe_lines(topic: MetadataResponseTopic) -> list[str]:
    """``kafka-topics.sh --describe`` lines for one topic: a summary, then each partition."""
    partitions = sorted(topic.partitions, key=lambda p: p.partition_index)
    factor = len(partitions[0].replica_nodes) if partitions else 0
    lines = [
        f"Topic: {topic.name}\tPartitionCount: {len(partitions)}"
        f"\tReplicationFactor: {factor}\tConfigs: "
    ]
    for p in partitions:
        leader = str(p.leader_id) if p.leader_id >= 0 else "none"
        replicas = ",".join(map(str, p.replica_nodes))
        isr = ",".join(map(str, p.isr_nodes))
        lines.append(
            f"\tTopic: {topic.name}\tPartition: {p.partition_index}\tLeader: {leader}"
            f"\tReplicas: {replicas}\tIsr: {isr}"
        )
    return lines
