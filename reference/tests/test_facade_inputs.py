"""Bad and hostile input at the blocking facade: a clear error naming what was wrong, nothing
queued or lost, no thread left behind.

No broker is needed: the clients point at a loopback port where nothing listens, and every bad
call must be refused before anything would be sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from glasskafka.errors import GlassKafkaError
from glasskafka.runtime.cluster import free_ports
from glasskafka.runtime.facade import (
    KafkaAdminClient,
    KafkaConsumer,
    KafkaProducer,
    NewTopic,
    TopicPartition,
)
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def nowhere() -> str:
    (port,) = free_ports(1)
    return f"127.0.0.1:{port}"


@pytest.fixture()
def producer(nowhere: str) -> Iterator[KafkaProducer]:
    made = KafkaProducer(bootstrap_servers=nowhere, max_block_ms=100)
    yield made
    made.close(timeout=0)


@pytest.fixture()
def consumer(nowhere: str) -> Iterator[KafkaConsumer]:
    made = KafkaConsumer(bootstrap_servers=nowhere, default_api_timeout_ms=200)
    yield made
    made.close()


def client_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("glasskafka-client")]


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        ({"bootstrap_servers": 42}, "bootstrap_servers=42"),
        ({"bootstrap_servers": "no-port"}, "'no-port' is not valid"),
        ({"bootstrap_servers": ""}, "bootstrap_servers is empty"),
        ({"lingr_ms": 5}, "unknown property 'lingr.ms'.*linger.ms"),
        ({"acks": "most"}, "'acks' has value 'most'; allowed: all, -1, 0, 1"),
        ({"enable_idempotence": True, "acks": 1}, "enable.idempotence=true conflicts with acks=1"),
        ({"linger_ms": -1}, "linger.ms"),
        ({"batch_size": [1]}, "batch_size=\\[1\\] \\(list\\)"),
        ({"value_serializer": 3}, "value_serializer=3"),
    ],
)
def test_bad_producer_settings_are_refused_naming_them(
    nowhere: str, configs: dict[str, object], message: str
) -> None:
    settings_given = {"bootstrap_servers": nowhere, **configs}
    with pytest.raises(GlassKafkaError, match=message):
        KafkaProducer(**settings_given)  # type: ignore[arg-type]
    assert client_threads() == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p.send(None, b"v"), "topic=None"),
        (lambda p: p.send("t"), "needs a key or a value"),
        (lambda p: p.send("../../etc", b"v"), "not a legal topic name"),
        (lambda p: p.send("t", "text"), "ByteArraySerializer cannot serialize str"),
        (lambda p: p.send("t", b"v", headers=[("k",)]), "header \\('k',\\)"),
        (lambda p: p.send("t", b"v", headers=[(1, b"x")]), "header \\(1, b'x'\\)"),
        (lambda p: p.send("t", b"v", headers=[("k", "str")]), "'k' has a str value"),
        (lambda p: p.send("t", b"v", partition=-1), "partition"),
    ],
)
def test_bad_sends_raise_at_once_and_queue_nothing(
    producer: KafkaProducer, call: object, message: str
) -> None:
    assert callable(call)
    with pytest.raises(GlassKafkaError, match=message):
        call(producer)
    assert producer.host.ask(producer.node.statistics).waiting_records == 0


def test_a_serializer_that_fails_or_returns_text_is_refused(nowhere: str) -> None:
    failing = KafkaProducer(bootstrap_servers=nowhere, value_serializer=lambda v: 1 / v)
    with failing, pytest.raises(GlassKafkaError, match=r"serializer failed.*ZeroDivisionError"):
        failing.send("t", 0)
    texting = KafkaProducer(bootstrap_servers=nowhere, value_serializer=str)
    with texting, pytest.raises(GlassKafkaError, match="returned str; it must return bytes"):
        texting.send("t", 1)
    assert client_threads() == []


_KEYWORDS = [
    "acks",
    "linger_ms",
    "batch_size",
    "retries",
    "enable_idempotence",
    "client_id",
    "compression_type",
    "max_in_flight_requests_per_connection",
    "no_such_setting",
]
_VALUES = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40), st.text(max_size=8), st.booleans(),
    st.floats(allow_nan=True), st.none(), st.lists(st.integers(), max_size=2),
)  # fmt: skip


@given(st.dictionaries(st.sampled_from(_KEYWORDS), _VALUES, max_size=3))
@settings(max_examples=40, deadline=None)
def test_any_producer_settings_either_build_or_raise_a_clear_error(
    configs: dict[str, object],
) -> None:
    (port,) = free_ports(1)
    try:
        producer = KafkaProducer(bootstrap_servers=f"127.0.0.1:{port}", **configs)
    except GlassKafkaError as error:
        assert str(error)  # a message, naming what was wrong
    else:
        producer.close(timeout=0)
    assert client_threads() == []


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        ({"auto_offset_reset": "sometimes"}, "'auto.offset.reset' has value 'sometimes'"),
        ({"group_id": "  "}, "group_id='  '; allowed: a non-blank group name"),
        ({"partition_assignment_strategy": ["range", 3]}, "partition_assignment_strategy="),
        ({"partition_assignment_strategy": "fastest"}, "unknown assignor 'fastest'"),
        ({"key_deserializer": "utf-8"}, "key_deserializer='utf-8'"),
        ({"session_timeout_ms": 1000}, "heartbeat.interval.ms=3000 must be lower"),
        ({"max_poll_records": 0}, "max.poll.records"),
        ({"fetch_max_wait": 5}, "unknown property 'fetch.max.wait'"),
    ],
)
def test_bad_consumer_settings_are_refused_naming_them(
    nowhere: str, configs: dict[str, object], message: str
) -> None:
    with pytest.raises(GlassKafkaError, match=message):
        KafkaConsumer(bootstrap_servers=nowhere, **configs)  # type: ignore[arg-type]
    assert client_threads() == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.poll(), "not subscribed to any topics or assigned any partitions"),
        (lambda c: c.poll(timeout_ms=-5), "timeout_ms=-5"),
        (lambda c: c.poll(max_records=0), "max_records=0"),
        (lambda c: c.assign([("t", -1)]), "is not a partition"),
        (lambda c: c.assign(["t"]), "is not a partition"),
        (lambda c: c.seek(TopicPartition("t", 0), -3), "seek\\(offset=-3\\)"),
        (lambda c: c.subscribe(["t"]), "needs a consumer group: set group.id"),
        (lambda c: c.subscribe(), "either topics or pattern"),
        (lambda c: c.subscribe(["t"], pattern="t.*"), "either topics or pattern"),
        (lambda c: c.commit(), "needs a consumer group"),
        (lambda c: c.commit({TopicPartition("t", 0): -1}), "offset -1"),
        (lambda c: c.position(TopicPartition("t", 0)), "not assigned"),
    ],
)
def test_bad_consumer_calls_raise_and_leave_the_consumer_usable(
    consumer: KafkaConsumer, call: object, message: str
) -> None:
    assert callable(call)
    with pytest.raises(GlassKafkaError, match=message):
        call(consumer)
    consumer.assign([TopicPartition("t", 0)])  # still works afterwards
    assert consumer.assignment() == {TopicPartition("t", 0)}


def test_topics_without_a_group_are_refused_and_leave_no_thread(nowhere: str) -> None:
    with pytest.raises(GlassKafkaError, match=r"needs a consumer group: set group\.id"):
        KafkaConsumer("t", bootstrap_servers=nowhere)
    assert client_threads() == []


def test_bad_admin_input_is_refused(nowhere: str) -> None:
    with pytest.raises(GlassKafkaError, match="does not take api_version"):
        KafkaAdminClient(bootstrap_servers=nowhere, api_version=(2, 0))
    with pytest.raises(GlassKafkaError, match="request_timeout_ms=0"):
        KafkaAdminClient(bootstrap_servers=nowhere, request_timeout_ms=0)
    with KafkaAdminClient(bootstrap_servers=nowhere, request_timeout_ms=200) as admin:
        with pytest.raises(GlassKafkaError, match="is not a NewTopic"):
            admin.create_topics([("t", 1, 1)])  # type: ignore[list-item]
        with pytest.raises(GlassKafkaError, match="allowed: topic names"):
            admin.delete_topics([3])  # type: ignore[list-item]
        with pytest.raises(GlassKafkaError, match="no bootstrap server answered"):
            admin.create_topics([NewTopic("t", 1, 1)])
