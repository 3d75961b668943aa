"""Kafka's error codes and glasskafka's identifier types.

Theory of operation
-------------------
A real Kafka client reads an error code as a number and looks it up in its own table, so
glasskafka's numbers must be Kafka's, name for name.  The table below is copied from Kafka's
``clients/src/main/java/org/apache/kafka/common/protocol/Errors.java`` (Kafka 3.x); whether a
code is retriable follows the exception class ``Errors.java`` maps it to, which either extends
``RetriableException`` (directly or through ``InvalidMetadataException``) or does not.  The id
types of ``glasskafka.ids`` are ``NewType``s: distinct to the type checker, plain numbers and
strings at run time.

Spec IDs: none.

Simplified from Kafka: Kafka's table runs past code 100 (KRaft, share groups, KIP-848's
consumer protocol); glasskafka lists codes -1 to 90, the ones its nodes can produce.
"""

from __future__ import annotations

import pytest
from glasskafka import ids
from glasskafka.errors import ErrorCode, GlassKafkaError, KafkaProtocolError
from glasskafka.ids import BrokerId, Millis, Offset, broker_node_id

# (name, code) pairs from Errors.java.
KAFKA_ERRORS: list[tuple[str, int]] = [
    ("UNKNOWN_SERVER_ERROR", -1),
    ("NONE", 0),
    ("OFFSET_OUT_OF_RANGE", 1),
    ("CORRUPT_MESSAGE", 2),
    ("UNKNOWN_TOPIC_OR_PARTITION", 3),
    ("LEADER_NOT_AVAILABLE", 5),
    ("NOT_LEADER_OR_FOLLOWER", 6),  # NOT_LEADER_FOR_PARTITION before KIP-392
    ("REQUEST_TIMED_OUT", 7),
    ("REPLICA_NOT_AVAILABLE", 9),
    ("MESSAGE_TOO_LARGE", 10),
    ("STALE_CONTROLLER_EPOCH", 11),
    ("NETWORK_EXCEPTION", 13),
    ("COORDINATOR_LOAD_IN_PROGRESS", 14),
    ("COORDINATOR_NOT_AVAILABLE", 15),
    ("NOT_COORDINATOR", 16),
    ("INVALID_TOPIC_EXCEPTION", 17),
    ("RECORD_LIST_TOO_LARGE", 18),
    ("NOT_ENOUGH_REPLICAS", 19),
    ("NOT_ENOUGH_REPLICAS_AFTER_APPEND", 20),
    ("INVALID_REQUIRED_ACKS", 21),
    ("ILLEGAL_GENERATION", 22),
    ("INCONSISTENT_GROUP_PROTOCOL", 23),
    ("UNKNOWN_MEMBER_ID", 25),
    ("INVALID_SESSION_TIMEOUT", 26),
    ("REBALANCE_IN_PROGRESS", 27),
    ("UNSUPPORTED_VERSION", 35),
    ("TOPIC_ALREADY_EXISTS", 36),
    ("INVALID_PARTITIONS", 37),
    ("INVALID_REPLICATION_FACTOR", 38),
    ("INVALID_CONFIG", 40),
    ("NOT_CONTROLLER", 41),
    ("INVALID_REQUEST", 42),
    ("OUT_OF_ORDER_SEQUENCE_NUMBER", 45),
    ("DUPLICATE_SEQUENCE_NUMBER", 46),
    ("INVALID_PRODUCER_EPOCH", 47),
    ("KAFKA_STORAGE_ERROR", 56),
    ("UNKNOWN_PRODUCER_ID", 59),
    ("FENCED_LEADER_EPOCH", 74),
    ("UNKNOWN_LEADER_EPOCH", 75),
    ("STALE_BROKER_EPOCH", 77),
    ("MEMBER_ID_REQUIRED", 79),
    ("FENCED_INSTANCE_ID", 82),
    ("INVALID_RECORD", 87),
    ("PRODUCER_FENCED", 90),
]


@pytest.mark.parametrize(("name", "code"), KAFKA_ERRORS, ids=[n for n, _ in KAFKA_ERRORS])
def test_names_and_numbers_are_kafkas(name: str, code: int) -> None:
    assert ErrorCode[name] == code
    assert ErrorCode(code).name == name


def test_every_code_is_unique_and_the_table_has_no_gaps() -> None:
    values = [int(member) for member in ErrorCode.__members__.values()]
    assert len(values) == len(set(values)), "two names share one number (an enum alias)"
    assert sorted(values) == list(range(-1, 91))


def test_every_code_fits_kafkas_int16_field() -> None:
    assert all(-(2**15) <= int(code) < 2**15 for code in ErrorCode)


# Retriable in Kafka 3.x: the exception class extends RetriableException.
RETRIABLE = [
    "CORRUPT_MESSAGE",
    "UNKNOWN_TOPIC_OR_PARTITION",
    "LEADER_NOT_AVAILABLE",
    "NOT_LEADER_OR_FOLLOWER",
    "REQUEST_TIMED_OUT",
    "NETWORK_EXCEPTION",
    "COORDINATOR_LOAD_IN_PROGRESS",
    "COORDINATOR_NOT_AVAILABLE",
    "NOT_COORDINATOR",
    "NOT_ENOUGH_REPLICAS",
    "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
    "NOT_CONTROLLER",  # NotControllerException extends RetriableException
    "KAFKA_STORAGE_ERROR",  # an InvalidMetadataException: refresh metadata, then retry
    "FENCED_LEADER_EPOCH",
    "UNKNOWN_LEADER_EPOCH",
    "ELECTION_NOT_NEEDED",  # ElectionNotNeededException extends InvalidMetadataException
]

# Not retriable: retrying the same request cannot succeed (or would be unsafe).
FATAL = [
    "UNKNOWN_SERVER_ERROR",
    "NONE",
    "OFFSET_OUT_OF_RANGE",
    "MESSAGE_TOO_LARGE",
    "STALE_CONTROLLER_EPOCH",
    "INVALID_TOPIC_EXCEPTION",
    "RECORD_LIST_TOO_LARGE",
    "ILLEGAL_GENERATION",
    "UNKNOWN_MEMBER_ID",
    "REBALANCE_IN_PROGRESS",
    "TOPIC_ALREADY_EXISTS",
    "INVALID_REPLICATION_FACTOR",
    "OUT_OF_ORDER_SEQUENCE_NUMBER",
    "DUPLICATE_SEQUENCE_NUMBER",
    "INVALID_PRODUCER_EPOCH",
    "UNKNOWN_PRODUCER_ID",
    "STALE_BROKER_EPOCH",
    "PRODUCER_FENCED",
]


@pytest.mark.parametrize("name", RETRIABLE)
def test_retriable_errors(name: str) -> None:
    assert ErrorCode[name].retriable


@pytest.mark.parametrize("name", FATAL)
def test_errors_that_are_not_retriable(name: str) -> None:
    assert not ErrorCode[name].retriable


def test_a_protocol_error_is_a_glasskafka_error_carrying_its_code() -> None:
    error = KafkaProtocolError(ErrorCode.NOT_ENOUGH_REPLICAS, "ISR has 1 of 2 replicas")
    assert isinstance(error, GlassKafkaError)
    assert error.code is ErrorCode.NOT_ENOUGH_REPLICAS
    assert str(error) == "NOT_ENOUGH_REPLICAS (19): ISR has 1 of 2 replicas"
    assert str(KafkaProtocolError(ErrorCode.UNKNOWN_SERVER_ERROR)) == "UNKNOWN_SERVER_ERROR (-1)"


def test_ids_are_plain_values_at_run_time() -> None:
    # NewType costs nothing: the value is the int itself, so it prints and compares as one.
    assert Offset(5) == 5 and type(Offset(5)) is int
    assert Millis(0) + 1 == 1
    assert repr(BrokerId(3)) == "3"


@pytest.mark.parametrize(("broker_id", "node_id"), [(0, "broker-0"), (3, "broker-3")])
def test_a_broker_is_driven_as_broker_dash_id(broker_id: int, node_id: str) -> None:
    assert broker_node_id(BrokerId(broker_id)) == node_id


def test_ids_exports_every_name_it_lists() -> None:
    assert all(hasattr(ids, name) for name in ids.__all__)
    partition: ids.TopicPartition = (ids.TopicName("orders"), ids.PartitionId(0))
    assert partition == ("orders", 0)  # a plain tuple at run time
