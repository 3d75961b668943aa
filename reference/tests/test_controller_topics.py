"""CreateTopics rules (``controller/topics.py``): Kafka's checks, codes and hostile names."""

from __future__ import annotations

import pytest
from glasskafka.config import BrokerConfig
from glasskafka.controller.topics import (
    MAX_PARTITIONS,
    TopicError,
    TopicPlan,
    collision_of,
    plan_topic,
)
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, PartitionId, TopicName
from glasskafka.protocol.messages.topic_admin import (
    CreatableReplicaAssignment,
    CreatableTopic,
    CreatableTopicConfig,
)

LIVE = [BrokerId(1), BrokerId(2), BrokerId(3)]
EXISTING = {"orders", "page_visits"}


def topic(
    name: str = "events",
    partitions: int = 3,
    factor: int = 2,
    *,
    assignments: tuple[tuple[int, tuple[int, ...]], ...] = (),
    configs: tuple[tuple[str, str | None], ...] = (),
) -> CreatableTopic:
    return CreatableTopic(
        name=name,
        num_partitions=partitions,
        replication_factor=factor,
        assignments=tuple(
            CreatableReplicaAssignment(partition_index=p, broker_ids=b) for p, b in assignments
        ),
        configs=tuple(CreatableTopicConfig(name=k, value=v) for k, v in configs),
    )


def plan(entry: CreatableTopic, config: BrokerConfig | None = None) -> TopicPlan | TopicError:
    return plan_topic(
        entry,
        exists=lambda name: name in EXISTING,
        existing=EXISTING,
        live=LIVE,
        config=config or BrokerConfig(),
    )


def refused(entry: CreatableTopic) -> TopicError:
    result = plan(entry)
    assert isinstance(result, TopicError), f"expected a refusal, got {result!r}"
    return result


def test_a_valid_topic_is_placed_by_the_course_rule_with_its_configs() -> None:
    result = plan(topic(configs=(("cleanup.policy", "compact"),)))
    assert result == TopicPlan(
        name=TopicName("events"),
        assignment={
            PartitionId(0): (BrokerId(1), BrokerId(2)),
            PartitionId(1): (BrokerId(2), BrokerId(3)),
            PartitionId(2): (BrokerId(3), BrokerId(1)),
        },
        configs={"cleanup.policy": "compact"},
    )


def test_minus_one_takes_the_brokers_defaults() -> None:
    config = BrokerConfig(num_partitions=2, default_replication_factor=3)
    result = plan(topic(partitions=-1, factor=-1), config)
    assert isinstance(result, TopicPlan)
    assert [len(r) for r in result.assignment.values()] == [3, 3]


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "a/b",
        "x" * 250,
        "",
        ".",
        "..",
        "with space",
        "tab\tname",
        "naïve",
        "a:b",
        "/etc/passwd",
        "\x00",
    ],
)
def test_illegal_names_are_invalid_topic_exception(name: str) -> None:
    error = refused(topic(name))
    assert error.code is ErrorCode.INVALID_TOPIC_EXCEPTION
    assert error.message


def test_the_longest_legal_name_is_accepted() -> None:
    assert isinstance(plan(topic("x" * 249)), TopicPlan)


def test_an_existing_topic_is_topic_already_exists() -> None:
    error = refused(topic("orders"))
    assert (error.code, error.message) == (
        ErrorCode.TOPIC_ALREADY_EXISTS,
        "Topic 'orders' already exists.",
    )


@pytest.mark.parametrize(("name", "other"), [("page.visits", "page_visits"), ("page_visits", None)])
def test_names_that_collide_after_dots_become_underscores_are_refused(
    name: str, other: str | None
) -> None:
    assert collision_of(name, EXISTING) == other
    if other is not None:
        error = refused(topic(name))
        assert error.code is ErrorCode.INVALID_TOPIC_EXCEPTION and other in error.message


@pytest.mark.parametrize("partitions", [0, -2, -(2**31)])
def test_partitions_below_one_are_invalid_partitions(partitions: int) -> None:
    assert refused(topic(partitions=partitions)).code is ErrorCode.INVALID_PARTITIONS


def test_more_partitions_than_the_cap_are_invalid_partitions() -> None:
    error = refused(topic(partitions=MAX_PARTITIONS + 1))
    assert error.code is ErrorCode.INVALID_PARTITIONS and str(MAX_PARTITIONS) in error.message


@pytest.mark.parametrize("factor", [0, -2, 4, 2**15 - 1])
def test_a_replication_factor_outside_one_to_live_brokers_is_refused(factor: int) -> None:
    error = refused(topic(factor=factor))
    assert error.code is ErrorCode.INVALID_REPLICATION_FACTOR


def test_the_error_names_the_live_broker_count() -> None:
    assert refused(topic(factor=4)).message == (
        "Replication factor: 4 larger than available brokers: 3."
    )


def test_an_explicit_assignment_is_used_as_given() -> None:
    result = plan(topic(partitions=-1, factor=-1, assignments=((0, (3, 1)), (1, (1, 2)))))
    assert isinstance(result, TopicPlan)
    assert result.assignment == {
        PartitionId(0): (BrokerId(3), BrokerId(1)),
        PartitionId(1): (BrokerId(1), BrokerId(2)),
    }


def test_an_explicit_assignment_with_counts_is_invalid_request() -> None:
    error = refused(topic(partitions=2, factor=-1, assignments=((0, (1,)), (1, (2,)))))
    assert error.code is ErrorCode.INVALID_REQUEST


@pytest.mark.parametrize(
    "assignments",
    [
        ((0, (1, 1)),),
        ((0, (1, 9)),),
        ((1, (1,)),),
        ((0, (1,)), (2, (2,))),
        ((0, (1, 2)), (1, (3,))),
        ((0, ()),),
    ],
)
def test_bad_explicit_assignments_are_invalid_replica_assignment(
    assignments: tuple[tuple[int, tuple[int, ...]], ...],
) -> None:
    error = refused(topic(partitions=-1, factor=-1, assignments=assignments))
    assert error.code is ErrorCode.INVALID_REPLICA_ASSIGNMENT


@pytest.mark.parametrize(
    ("configs", "fragment"),
    [
        ((("no.such.config", "1"),), "no.such.config"),
        ((("cleanup.policy", "shred"),), "shred"),
        ((("retention.ms", "soon"),), "soon"),
        ((("min.insync.replicas", None),), "Null value"),
    ],
)
def test_bad_configs_are_invalid_config_naming_the_problem(
    configs: tuple[tuple[str, str | None], ...], fragment: str
) -> None:
    error = refused(topic(configs=configs))
    assert error.code is ErrorCode.INVALID_CONFIG and fragment in error.message


def test_the_name_is_checked_before_existence_and_counts() -> None:
    assert refused(topic("../orders", partitions=0)).code is ErrorCode.INVALID_TOPIC_EXCEPTION
    assert refused(topic("orders", partitions=0)).code is ErrorCode.TOPIC_ALREADY_EXISTS
