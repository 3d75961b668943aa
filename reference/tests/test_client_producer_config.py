"""ProducerConfig: Kafka 3.7's defaults and the checks Kafka makes between properties.

Spec IDs: none (ORDER-2 is why idempotence is the default).

Simplified from Kafka: only the properties glasskafka's producer acts on.
"""

from __future__ import annotations

import dataclasses

import pytest
from glasskafka.client.producer_config import ProducerConfig, producer_config
from glasskafka.config import property_names
from glasskafka.errors import GlassKafkaError

KAFKA_37_DEFAULTS = {
    "acks": "all",
    "enable.idempotence": True,
    "batch.size": 16384,
    "linger.ms": 0,
    "buffer.memory": 33554432,
    "max.block.ms": 60000,
    "max.in.flight.requests.per.connection": 5,
    "retries": 2147483647,
    "retry.backoff.ms": 100,
    "request.timeout.ms": 30000,
    "delivery.timeout.ms": 120000,
    "max.request.size": 1048576,
    "metadata.max.age.ms": 300000,
    "compression.type": "none",
    "partitioner.class": None,
    "partitioner.ignore.keys": False,
    "transaction.timeout.ms": 60000,
    "client.id": "",
}


def test_the_defaults_are_kafka_37s() -> None:
    config = producer_config()
    names = property_names(ProducerConfig)
    for kafka_name, default in KAFKA_37_DEFAULTS.items():
        assert getattr(config, names[kafka_name]) == default, kafka_name
    assert config.acks_value == -1


def test_every_field_names_its_kafka_property() -> None:
    for field in dataclasses.fields(ProducerConfig):
        assert field.metadata["kafka"].replace(".", "_") == field.name
        assert field.metadata["doc"]


def test_properties_are_read_as_kafka_reads_them() -> None:
    config = producer_config({"acks": "1", "linger.ms": "5", "compression.type": "gzip"})
    assert (config.acks_value, config.linger_ms, config.compression_type) == (1, 5, "gzip")
    assert producer_config({"acks": "-1"}).acks_value == -1


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"lingr.ms": "5"}, "unknown property 'lingr.ms'.*did you mean linger.ms"),
        ({"batch.size": "big"}, "'batch.size' has value 'big'; allowed: an integer"),
        ({"acks": "2"}, "'acks' has value '2'; allowed: all, -1, 0, 1"),
        ({"compression.type": "zstd"}, "allowed: none, gzip"),
        ({"max.in.flight.requests.per.connection": "0"}, "allowed: an integer >= 1"),
        ({"partitioner.class": "com.example.Mine"}, "allowed: org.apache.kafka"),
        ({"key.serializer": "java.lang.String"}, "allowed: org.apache.kafka"),
    ],
)
def test_bad_properties_are_refused_naming_the_key(
    properties: dict[str, str], message: str
) -> None:
    with pytest.raises(GlassKafkaError, match=message):
        producer_config(properties)


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"acks": "1"}, "acks=1"),
        ({"acks": "0"}, "acks=0"),
        ({"retries": "0"}, "retries=0"),
        ({"max.in.flight.requests.per.connection": "6"}, "max.in.flight.requests.per.connection=6"),
    ],
)
def test_explicit_idempotence_with_a_conflict_is_an_error(
    setting: dict[str, str], named: str
) -> None:
    with pytest.raises(GlassKafkaError, match=f"enable.idempotence=true conflicts with {named}"):
        producer_config({"enable.idempotence": "true", **setting})


@pytest.mark.parametrize(
    "setting",
    [{"acks": "1"}, {"retries": "0"}, {"max.in.flight.requests.per.connection": "6"}],
)
def test_default_idempotence_gives_way_to_a_conflicting_setting(setting: dict[str, str]) -> None:
    # KAFKA-13673 (Kafka 3.2): switched off, not an error, when only on by default.
    assert producer_config(setting).enable_idempotence is False


def test_idempotence_survives_settings_that_do_not_conflict() -> None:
    assert producer_config({"max.in.flight.requests.per.connection": "5"}).enable_idempotence
    assert producer_config({"enable.idempotence": "false"}).enable_idempotence is False


def test_an_explicit_delivery_timeout_below_linger_plus_request_timeout_is_an_error() -> None:
    with pytest.raises(
        GlassKafkaError, match=r"delivery.timeout.ms=1000 must be at least .* = 31000"
    ):
        producer_config({"delivery.timeout.ms": "1000", "linger.ms": "1000"})


def test_a_default_delivery_timeout_is_raised_to_linger_plus_request_timeout() -> None:
    config = producer_config({"request.timeout.ms": "200000"})
    assert config.delivery_timeout_ms == 200000


def test_batch_size_zero_means_one_record_per_batch() -> None:
    assert producer_config({"batch.size": "0"}).effective_batch_size == 1
