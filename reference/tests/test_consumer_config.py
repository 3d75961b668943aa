"""``consumer.properties``: Kafka 3.x's names and defaults, and clear errors for bad values."""

from __future__ import annotations

import pytest
from glasskafka.assignors import AssignmentStrategy, RebalanceProtocol
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.config import config_from_properties, parse_properties, property_names
from glasskafka.errors import GlassKafkaError

KAFKA_3_DEFAULTS = {
    "group.id": None,
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 5000,
    "auto.offset.reset": "latest",
    "max.poll.records": 500,
    "max.poll.interval.ms": 300000,
    "session.timeout.ms": 45000,
    "heartbeat.interval.ms": 3000,
    "fetch.min.bytes": 1,
    "fetch.max.wait.ms": 500,
    "fetch.max.bytes": 52428800,
    "max.partition.fetch.bytes": 1048576,
    "isolation.level": "read_uncommitted",
    "retry.backoff.ms": 100,
    "metadata.max.age.ms": 300000,
    "default.api.timeout.ms": 60000,
    "exclude.internal.topics": True,
    "allow.auto.create.topics": True,
}


def test_defaults_are_kafkas() -> None:
    config = ConsumerConfig()
    fields = property_names(ConsumerConfig)
    for name, value in KAFKA_3_DEFAULTS.items():
        assert getattr(config, fields[name]) == value, name
    # KIP-726: [range, cooperative-sticky]; the common protocol is still EAGER.
    assert config.strategies == (AssignmentStrategy.RANGE, AssignmentStrategy.COOPERATIVE_STICKY)
    assert config.rebalance_protocol is RebalanceProtocol.EAGER


def test_a_properties_file_with_the_course_settings_loads() -> None:
    text = """
    group.id=test-group
    enable.auto.commit=true
    auto.commit.interval.ms=5000
    max.poll.records=500
    max.partition.fetch.bytes=1048576
    max.poll.interval.ms=300000
    partition.assignment.strategy=org.apache.kafka.clients.consumer.RoundRobinAssignor
    """
    config = config_from_properties(ConsumerConfig, parse_properties(text))
    assert config.group_id == "test-group"
    assert config.strategies == (AssignmentStrategy.ROUND_ROBIN,)


def test_only_cooperative_assignors_make_a_cooperative_member() -> None:
    config = config_from_properties(
        ConsumerConfig, {"partition.assignment.strategy": "cooperative-sticky"}
    )
    assert config.rebalance_protocol is RebalanceProtocol.COOPERATIVE


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"max.poll.record": "10"}, r"unknown property 'max\.poll\.record'.*max\.poll\.records"),
        ({"auto.offset.reset": "smallest"}, r"'auto\.offset\.reset'.*earliest, latest, none"),
        ({"enable.auto.commit": "yes"}, r"true or false"),
        ({"max.poll.records": "0"}, r"'max\.poll\.records'.*>= 1"),
        ({"heartbeat.interval.ms": "45000"}, r"heartbeat\.interval\.ms=45000 must be lower"),
        ({"partition.assignment.strategy": "fair"}, r"unknown assignor 'fair'"),
        ({"isolation.level": "serializable"}, r"read_uncommitted, read_committed"),
        ({"fetch.max.wait.ms": "-1"}, r">= 0"),
    ],
)
def test_bad_values_are_refused_naming_the_key(properties: dict[str, str], message: str) -> None:
    with pytest.raises(GlassKafkaError, match=message):
        config_from_properties(ConsumerConfig, properties)
