"""``KafkaAdminClient``: topics and groups, with kafka-python's method names.

Theory of operation
-------------------
Every admin call is one question and one answer, so :class:`KafkaAdminClient` needs no node and
no thread: it asks through :class:`~glasskafka.runtime.facade_lookups.ClusterLookups` (the
blocking client of the command-line tools) and routes each request where Kafka routes it
(wire-protocol.md §6, §11):

* CreateTopics and DeleteTopics go to the **controller** that Metadata names, again after
  NOT_CONTROLLER (the controller moved);
* ListGroups goes to **every broker** (each lists the groups it coordinates);
* DescribeGroups and OffsetFetch go to the group's **coordinator** (FindCoordinator).

Errors in an answer raise :class:`~glasskafka.errors.KafkaProtocolError` naming the code and the
topic or group, as kafka-python raises ``TopicAlreadyExistsError`` and kin (pass
``raise_errors=False`` to get the codes back instead, for ``create_topics``/``delete_topics``).

Spec IDs: none.

Simplified from kafka-python: no ACLs, configs, partition reassignments, or
``delete_consumer_groups``; results are small named tuples and dicts rather than response objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from glasskafka.errors import ErrorCode, GlassKafkaError, KafkaProtocolError
from glasskafka.protocol.messages.committed_offsets import OffsetFetchRequest, OffsetFetchResponse
from glasskafka.protocol.messages.group_listing import (
    DescribeGroupsRequest,
    DescribeGroupsResponse,
    ListGroupsRequest,
    ListGroupsResponse,
)
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopic,
    CreatableTopicConfig,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.runtime.facade_lookups import ClusterLookups
from glasskafka.runtime.facade_values import (
    NewTopic,
    OffsetAndMetadata,
    TopicPartition,
    bootstrap_addresses,
    code_of,
)

__all__ = ["GroupDescription", "GroupMember", "KafkaAdminClient"]


class GroupMember(NamedTuple):
    """One member of a described group (the assignment as the leader's bytes)."""

    member_id: str
    client_id: str
    client_host: str
    member_metadata: bytes
    member_assignment: bytes


class GroupDescription(NamedTuple):
    """A described group (kafka-python's ``GroupInformation``, shortened)."""

    error_code: int
    group: str
    state: str
    protocol_type: str
    protocol: str
    members: list[GroupMember]


class KafkaAdminClient:
    """Blocking administration of a Kafka cluster, with kafka-python's method names."""

    def __init__(
        self,
        bootstrap_servers: str | list[str] = "localhost:9092",
        *,
        client_id: str = "glasskafka-admin",
        request_timeout_ms: int = 30000,
        **configs: Any,
    ) -> None:
        """Raises :class:`GlassKafkaError` for bad arguments (nothing connects yet)."""
        if configs:
            raise GlassKafkaError(
                f"KafkaAdminClient does not take {', '.join(sorted(configs))}; allowed: "
                "bootstrap_servers, client_id, request_timeout_ms"
            )
        if not isinstance(request_timeout_ms, int) or request_timeout_ms <= 0:
            raise GlassKafkaError(f"request_timeout_ms={request_timeout_ms!r}; allowed: an int > 0")
        bootstrap = ",".join(f"{h}:{p}" for h, p in bootstrap_addresses(bootstrap_servers))
        self.lookups = ClusterLookups(
            bootstrap, client_id=client_id, timeout_s=request_timeout_ms / 1000
        )
        self.request_timeout_ms = request_timeout_ms

    def __enter__(self) -> KafkaAdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.lookups.close()

    # -- topics ----------------------------------------------------------------------------------

    def create_topics(
        self,
        new_topics: Iterable[NewTopic],
        timeout_ms: int | None = None,
        validate_only: bool = False,
        raise_errors: bool = True,
    ) -> dict[str, list[dict[str, object]]]:
        """Create topics at the controller; ``{"topics": [{name, error_code, error_message}]}``."""
        topics = []
        for topic in new_topics:
            if not isinstance(topic, NewTopic):
                raise GlassKafkaError(f"{topic!r} is not a NewTopic(name, partitions, replicas)")
            configs = tuple(
                CreatableTopicConfig(name=k, value=v)
                for k, v in sorted(topic.topic_configs.items())
            )
            topics.append(
                CreatableTopic(
                    name=topic.name,
                    num_partitions=topic.num_partitions,
                    replication_factor=topic.replication_factor,
                    assignments=(),
                    configs=configs,
                )
            )
        body = CreateTopicsRequest(
            topics=tuple(topics),
            timeout_ms=timeout_ms or self.request_timeout_ms,
            validate_only=validate_only,
        )
        answer = self.lookups.client.to_controller(body)
        assert isinstance(answer, CreateTopicsResponse)
        results: list[dict[str, object]] = [
            {"name": t.name, "error_code": t.error_code, "error_message": t.error_message}
            for t in answer.topics
        ]
        if raise_errors:
            _raise_first((str(r["name"]), int(str(r["error_code"]))) for r in results)
        return {"topics": results}

    def delete_topics(
        self, topics: Iterable[str], timeout_ms: int | None = None, raise_errors: bool = True
    ) -> dict[str, list[dict[str, object]]]:
        """Delete topics at the controller; ``{"topics": [{name, error_code}]}``."""
        names = list(topics)
        if not all(isinstance(name, str) for name in names):
            raise GlassKafkaError(f"topics={names!r}; allowed: topic names (str)")
        body = DeleteTopicsRequest(
            topic_names=tuple(names), timeout_ms=timeout_ms or self.request_timeout_ms
        )
        answer = self.lookups.client.to_controller(body)
        assert isinstance(answer, DeleteTopicsResponse)
        results: list[dict[str, object]] = [
            {"name": t.name, "error_code": t.error_code} for t in answer.responses
        ]
        if raise_errors:
            _raise_first((str(r["name"]), int(str(r["error_code"]))) for r in results)
        return {"topics": results}

    def list_topics(self) -> list[str]:
        """Every topic's name, sorted."""
        return sorted(t.name for t in self.lookups.metadata().topics if t.error_code == 0)

    def describe_topics(self, topics: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Each topic's partitions: leader, replicas, isr (kafka-python's dict shape)."""
        wanted = None if topics is None else list(topics)
        described = []
        for topic in self.lookups.metadata(wanted).topics:
            partitions = [
                {
                    "partition": p.partition_index,
                    "leader": p.leader_id,
                    "replicas": list(p.replica_nodes),
                    "isr": list(p.isr_nodes),
                    "error_code": p.error_code,
                }
                for p in sorted(topic.partitions, key=lambda p: p.partition_index)
            ]
            described.append(
                {
                    "topic": topic.name,
                    "error_code": topic.error_code,
                    "is_internal": topic.is_internal,
                    "partitions": partitions,
                }
            )
        return sorted(described, key=lambda t: str(t["topic"]))

    # -- groups ----------------------------------------------------------------------------------

    def list_consumer_groups(self) -> list[tuple[str, str]]:
        """(group id, protocol type) of every group, asked of every broker."""
        metadata = self.lookups.metadata([])
        groups: set[tuple[str, str]] = set()
        for broker in sorted(metadata.brokers, key=lambda b: b.node_id):
            answer = self.lookups.client.request((broker.host, broker.port), ListGroupsRequest())
            assert isinstance(answer, ListGroupsResponse)
            _raise_first([(f"ListGroups at broker {broker.node_id}", answer.error_code)])
            groups |= {(g.group_id, g.protocol_type) for g in answer.groups}
        return sorted(groups)

    def describe_consumer_groups(self, group_ids: Iterable[str]) -> list[GroupDescription]:
        """Each group's state, protocol and members, from its coordinator."""
        described = []
        for group in group_ids:
            answer = self.lookups.to_broker(
                self.lookups.coordinator(group), DescribeGroupsRequest(groups=(group,))
            )
            assert isinstance(answer, DescribeGroupsResponse)
            for found in answer.groups:
                _raise_first([(f"group {found.group_id!r}", found.error_code)])
                members = [
                    GroupMember(
                        m.member_id,
                        m.client_id,
                        m.client_host,
                        m.member_metadata,
                        m.member_assignment,
                    )
                    for m in found.members
                ]
                described.append(
                    GroupDescription(
                        found.error_code,
                        found.group_id,
                        found.group_state,
                        found.protocol_type,
                        found.protocol_data,
                        members,
                    )
                )
        return described

    def list_consumer_group_offsets(self, group_id: str) -> dict[TopicPartition, OffsetAndMetadata]:
        """Every offset ``group_id`` has committed, from its coordinator."""
        answer = self.lookups.to_broker(
            self.lookups.coordinator(group_id), OffsetFetchRequest(group_id=group_id, topics=None)
        )
        assert isinstance(answer, OffsetFetchResponse)
        _raise_first([(f"group {group_id!r}", answer.error_code)])
        offsets = {}
        for topic in answer.topics:
            for partition in topic.partitions:
                if partition.error_code == 0 and partition.committed_offset >= 0:
                    tp = TopicPartition(topic.name, partition.partition_index)
                    offsets[tp] = OffsetAndMetadata(
                        partition.committed_offset, partition.metadata or ""
                    )
        return dict(sorted(offsets.items()))


def _raise_first(outcomes: Iterable[tuple[str, int]]) -> None:
    for what, code in outcomes:
        if code != ErrorCode.NONE:
            raise KafkaProtocolError(code_of(code), what)
