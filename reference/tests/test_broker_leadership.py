"""LeaderAndIsr, StopReplica, UpdateMetadata and Metadata: the controller's orders to a broker.

Each test drives one real broker with a fake controller (``broker-100``) and checks every
answer.  CTRL-1 (controller fencing) and REPL-10 (epochs only rise) are the invariants most of
them name.
"""

from __future__ import annotations

from glasskafka.broker import LeaderAndIsrApplied, Role
from glasskafka.errors import ErrorCode
from glasskafka.ids import NodeId
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrResponse
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
)
from glasskafka.protocol.messages.offset_for_leader_epoch import OffsetForLeaderEpochRequest
from glasskafka.protocol.messages.stop_replica import (
    StopReplicaRequest,
    StopReplicaResponse,
    StopReplicaTopicV1,
)
from glasskafka.protocol.messages.topic_admin import CreateTopicsRequest
from glasskafka.protocol.messages.update_metadata import (
    UpdateMetadataBroker,
    UpdateMetadataEndpoint,
    UpdateMetadataPartitionState,
    UpdateMetadataRequest,
    UpdateMetadataResponse,
)
from tests.test_broker_harness import (
    CONTROLLER,
    CONTROLLER_ID,
    TOPIC,
    Bench,
    batch,
    bench,
    leader_and_isr_request,
    produce_request,
)

__all__ = ["bench"]

B1 = NodeId("broker-1")
B2 = NodeId("broker-2")


def errors(response: LeaderAndIsrResponse | StopReplicaResponse) -> list[int]:
    return [e.error_code for e in response.partition_errors]


def test_become_leader_records_the_epoch_start_and_waits_for_followers(bench: Bench) -> None:
    """PR #5678: a new leader notes (epoch, LEO) in its cache; the HW waits (REPL-8)."""
    broker = bench.add_broker(1)
    response = bench.leader_and_isr(1, leader=1, leader_epoch=3, isr=(1, 2))
    assert response.error_code == 0 and errors(response) == [0]
    state = broker.partition_state(TOPIC, 0)
    assert state is not None
    assert state.role is Role.LEADER and state.leader == 1 and state.leader_epoch == 3
    assert state.isr == frozenset({1, 2}) and state.pending_isr is None
    assert state.maximal_isr == frozenset({1, 2})
    assert state.leader_epoch_start_offset == 0
    assert state.epoch_cache == ((3, 0),)
    assert state.zk_version == 0 and state.controller_epoch == 1
    # The epoch start survives a restart: it is in leader-epoch-checkpoint.
    assert bench.disks[B1].read("orders-0/leader-epoch-checkpoint") == b"0\n1\n3 0\n"
    # Producing with acks=1: the LEO moves, the HW does not (follower 2 has not fetched).
    bench.send(NodeId("producer-1"), B1, bench.envelope(produce_request(batch("m1"), acks=1)))
    bench.take(NodeId("producer-1"))
    state = broker.partition_state(TOPIC, 0)
    assert state is not None and (state.log_end_offset, state.high_watermark) == (1, 0)


def test_a_leader_alone_in_its_isr_advances_the_hw_on_append(bench: Bench) -> None:
    broker = bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    bench.send(NodeId("producer-1"), B1, bench.envelope(produce_request(batch("m1", "m2"))))
    bench.take(NodeId("producer-1"))
    state = broker.partition_state(TOPIC, 0)
    assert state is not None and (state.log_end_offset, state.high_watermark) == (2, 2)


def test_become_follower_asks_the_leader_where_its_epoch_ends(bench: Bench) -> None:
    """KIP-279 and KIP-320: the first request carries the follower's latest and current epoch."""
    broker = bench.add_broker(1)
    bench.add_broker(2)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    bench.send(NodeId("producer-1"), B1, bench.envelope(produce_request(batch("m1"))))
    bench.take(NodeId("producer-1"))
    response = bench.leader_and_isr(1, leader=2, leader_epoch=2, isr=(1, 2))
    assert errors(response) == [0]
    state = broker.partition_state(TOPIC, 0)
    assert state is not None and state.role is Role.FOLLOWER and state.leader == 2
    assert state.isr == frozenset() and state.leader_epoch_start_offset is None
    (request,) = [m for a, b, m in bench.in_flight if (a, b) == (B1, B2)]
    assert isinstance(request, KafkaRequest)
    assert isinstance(request.body, OffsetForLeaderEpochRequest)
    (topic,) = request.body.topics
    (asked,) = topic.partitions
    assert (asked.current_leader_epoch, asked.leader_epoch) == (2, 1)
    assert request.body.replica_id == 1
    assert str(broker.fetch_state(TOPIC, 0)) == "FetchState.TRUNCATING"
    bench.drop(B1, B2)


def test_a_stale_controller_epoch_is_refused_and_changes_nothing(bench: Bench) -> None:
    """CTRL-1: an older controller cannot undo a newer decision."""
    broker = bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=4, isr=(1, 2), controller_epoch=5)
    before = broker.partition_state(TOPIC, 0)
    stale = leader_and_isr_request(
        leader=2, leader_epoch=9, isr=(1, 2), replicas=(1, 2), controller_epoch=4
    )
    bench.send(CONTROLLER, B1, bench.envelope(stale))
    response = bench.take_one(CONTROLLER, LeaderAndIsrResponse)
    assert response.error_code == ErrorCode.STALE_CONTROLLER_EPOCH
    assert errors(response) == [ErrorCode.STALE_CONTROLLER_EPOCH]
    assert broker.partition_state(TOPIC, 0) == before
    assert broker.controller_epoch == 5
    (event,) = broker.events
    assert isinstance(event, LeaderAndIsrApplied)
    assert event.error is ErrorCode.STALE_CONTROLLER_EPOCH and not event.applied


def test_an_older_leader_epoch_is_stale_and_the_same_epoch_is_a_harmless_repeat(
    bench: Bench,
) -> None:
    """CTRL-1: only a newer leader epoch changes the replica; a repeat is answered NONE."""
    broker = bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=4, isr=(1, 2))
    before = broker.partition_state(TOPIC, 0)
    older = bench.leader_and_isr(1, leader=2, leader_epoch=3, isr=(2,), write_znode=False)
    assert errors(older) == [ErrorCode.STALE_CONTROLLER_EPOCH]
    repeat = bench.leader_and_isr(1, leader=1, leader_epoch=4, isr=(1,), write_znode=False)
    assert errors(repeat) == [ErrorCode.NONE]
    assert broker.partition_state(TOPIC, 0) == before
    assert [e.applied for e in broker.events if isinstance(e, LeaderAndIsrApplied)] == [False]


def test_a_partition_state_not_naming_this_broker_is_unknown(bench: Bench) -> None:
    broker = bench.add_broker(1)
    response = bench.leader_and_isr(1, leader=2, leader_epoch=1, isr=(2, 3), replicas=(2, 3))
    assert errors(response) == [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]
    assert broker.partitions() == [] and broker.log(TOPIC, 0) is None


def test_leading_outside_the_isr_is_refused(bench: Bench) -> None:
    """REPL-7: a leader is always in its own ISR; a state saying otherwise is malformed."""
    broker = bench.add_broker(1)
    response = bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(2,), write_znode=False)
    assert errors(response) == [ErrorCode.INVALID_REQUEST]
    assert broker.partitions() == []


def test_stop_replica_stops_serving_and_may_delete(bench: Bench) -> None:
    broker = bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    keep = StopReplicaRequest(
        controller_id=CONTROLLER_ID,
        controller_epoch=1,
        delete_partitions=False,
        topics=(StopReplicaTopicV1(name=TOPIC, partition_indexes=(0,)),),
    )
    bench.send(CONTROLLER, B1, bench.envelope(keep))
    assert errors(bench.take_one(CONTROLLER, StopReplicaResponse)) == [0]
    state = broker.partition_state(TOPIC, 0)
    assert state is not None and state.role is Role.NONE and state.leader_epoch == 1
    assert broker.log(TOPIC, 0) is not None
    delete = StopReplicaRequest(
        controller_id=CONTROLLER_ID,
        controller_epoch=1,
        delete_partitions=True,
        topics=(StopReplicaTopicV1(name=TOPIC, partition_indexes=(0,)),),
    )
    bench.send(CONTROLLER, B1, bench.envelope(delete))
    assert errors(bench.take_one(CONTROLLER, StopReplicaResponse)) == [0]
    assert broker.partition_state(TOPIC, 0) is None and broker.log(TOPIC, 0) is None
    assert not bench.disks[B1].exists("orders-0/00000000000000000000.log")
    stale = StopReplicaRequest(
        controller_id=CONTROLLER_ID,
        controller_epoch=0,
        delete_partitions=True,
        topics=(StopReplicaTopicV1(name="other", partition_indexes=(0,)),),
    )
    bench.send(CONTROLLER, B1, bench.envelope(stale))
    refused = bench.take_one(CONTROLLER, StopReplicaResponse)
    assert refused.error_code == ErrorCode.STALE_CONTROLLER_EPOCH


def update_metadata(
    controller_epoch: int = 1, *, leader: int = 1, live: tuple[int, ...] = (1, 2)
) -> UpdateMetadataRequest:
    brokers = tuple(
        UpdateMetadataBroker(
            id=b,
            endpoints=(UpdateMetadataEndpoint(port=9092, host=f"broker{b}", security_protocol=0),),
        )
        for b in live
    )
    states = (
        UpdateMetadataPartitionState(
            topic_name=TOPIC,
            partition_index=0,
            controller_epoch=controller_epoch,
            leader=leader,
            leader_epoch=3,
            isr=(1, 2),
            zk_version=4,
            replicas=(1, 2),
            offline_replicas=(),
        ),
    )
    return UpdateMetadataRequest(
        controller_id=CONTROLLER_ID,
        controller_epoch=controller_epoch,
        ungrouped_partition_states=states,
        live_brokers=brokers,
    )


def test_update_metadata_fills_the_cache_that_metadata_answers_from(bench: Bench) -> None:
    broker = bench.add_broker(1)
    bench.send(CONTROLLER, B1, bench.envelope(update_metadata(2)))
    assert bench.take_one(CONTROLLER, UpdateMetadataResponse).error_code == 0
    (cached,) = broker.metadata_cache.entries()
    assert (cached.leader, cached.leader_epoch, cached.isr, cached.zk_version) == (1, 3, (1, 2), 4)
    ask = MetadataRequest(topics=(MetadataRequestTopic(name=TOPIC),))
    bench.send(NodeId("client-1"), B1, bench.envelope(ask))
    answer = bench.take_one(NodeId("client-1"), MetadataResponse)
    assert [(b.node_id, b.host, b.port) for b in answer.brokers] == [
        (1, "broker1", 9092),
        (2, "broker2", 9092),
    ]
    assert answer.controller_id == CONTROLLER_ID
    (topic,) = answer.topics
    assert (topic.error_code, topic.name, topic.is_internal) == (0, TOPIC, False)
    (partition,) = topic.partitions
    assert (partition.leader_id, partition.leader_epoch) == (1, 3)
    assert (partition.replica_nodes, partition.isr_nodes) == ((1, 2), (1, 2))
    # CTRL-1: an older controller's UpdateMetadata is refused and changes nothing.
    bench.send(CONTROLLER, B1, bench.envelope(update_metadata(1, leader=2)))
    refused = bench.take_one(CONTROLLER, UpdateMetadataResponse)
    assert refused.error_code == ErrorCode.STALE_CONTROLLER_EPOCH
    assert broker.metadata_cache.entries() == (cached,)


def test_metadata_for_unknown_topics(bench: Bench) -> None:
    """UNKNOWN_TOPIC_OR_PARTITION, or LEADER_NOT_AVAILABLE while auto-creation runs."""
    bench.add_broker(1, auto_create_topics_enable=False)
    bench.add_broker(2)
    with_controller = update_metadata(1, live=(1, 2, CONTROLLER_ID))
    bench.send(CONTROLLER, B1, bench.envelope(with_controller))
    bench.send(CONTROLLER, B2, bench.envelope(with_controller))
    bench.take(CONTROLLER)
    for broker, expected in (
        (B1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        (B2, ErrorCode.LEADER_NOT_AVAILABLE),
    ):
        ask = MetadataRequest(
            topics=(MetadataRequestTopic(name="new"), MetadataRequestTopic(name="bad/name"))
        )
        bench.send(NodeId("client-1"), broker, bench.envelope(ask))
        answer = bench.take_one(NodeId("client-1"), MetadataResponse)
        assert [(t.name, t.error_code) for t in answer.topics] == [
            ("new", expected),
            ("bad/name", ErrorCode.INVALID_TOPIC_EXCEPTION),
        ]
    # Broker 2 forwarded a CreateTopics for "new" to the controller the cache names.
    (forwarded,) = bench.take(CONTROLLER)
    assert isinstance(forwarded, KafkaRequest) and isinstance(forwarded.body, CreateTopicsRequest)
    (created,) = forwarded.body.topics
    assert (created.name, created.num_partitions, created.replication_factor) == ("new", 1, 1)


def test_metadata_v0_empty_means_every_topic(bench: Bench) -> None:
    bench.add_broker(1)
    bench.send(CONTROLLER, B1, bench.envelope(update_metadata(1)))
    bench.take(CONTROLLER)
    bench.send(NodeId("client-1"), B1, bench.envelope(MetadataRequest(topics=()), api_version=0))
    assert [t.name for t in bench.take_one(NodeId("client-1"), MetadataResponse).topics] == [TOPIC]
    bench.send(NodeId("client-1"), B1, bench.envelope(MetadataRequest(topics=()), api_version=1))
    assert bench.take_one(NodeId("client-1"), MetadataResponse).topics == ()
