"""The broker's side of idempotence: InitProducerId, the produce-path checks, replicas' state.

The producer-id blocks are tested on :class:`ProducerIdManager` alone (answers fed by hand,
hostile znode data included) and on a three-broker :class:`KafkaCluster`, which also carries the
produce-path transcripts: a duplicate answered with its first offset, a gap refused with 45, a
stale epoch refused with 47, and followers and restarted brokers holding the leader's state
(IDEM-1, IDEM-3, IDEM-4, IDEM-5, IDEM-6).
"""

from __future__ import annotations

import json

import pytest
from glasskafka.broker.effects import Effects
from glasskafka.broker.idempotence import log_headers
from glasskafka.broker.producer_ids import (
    PRODUCER_ID_BLOCK_PATH,
    PRODUCER_ID_BLOCK_SIZE,
    ProducerIdBlock,
    ProducerIdManager,
    decode_block,
    encode_block,
)
from glasskafka.broker.truncation import truncate_partition
from glasskafka.coordination import (
    GetDataRequest,
    GetDataResponse,
    KeeperErrorCode,
    RequestCompleted,
    SessionId,
    SetDataRequest,
    SetDataResponse,
    Stat,
    Zxid,
)
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Millis, NodeId, PartitionId, TopicName
from glasskafka.log.producer_state import rebuild_producer_state
from glasskafka.protocol.envelope import KafkaRequest, request
from glasskafka.protocol.messages import produce as produce_api
from glasskafka.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)
from glasskafka.records import Record, encode_batch
from glasskafka.sim.kafka_cluster import KafkaCluster

TOPIC = "t"
PRODUCER = NodeId("producer-1")


def _init(transactional_id: str | None = None) -> InitProducerIdRequest:
    return InitProducerIdRequest(transactional_id=transactional_id, transaction_timeout_ms=60000)


def _envelope(body: InitProducerIdRequest) -> KafkaRequest:
    return request(body, correlation_id=0, client_id="p")


# -- the block format and the manager ------------------------------------------------------------


def test_block_json_is_kafkas() -> None:
    block = ProducerIdBlock(broker=2, block_start=1000, block_end=1999)
    assert json.loads(encode_block(block)) == {
        "version": 1,
        "broker": 2,
        "block_start": "1000",
        "block_end": "1999",
    }
    assert decode_block(encode_block(block)) == block
    assert decode_block(b'{"version":1,"broker":1,"block_start":0,"block_end":999}') is not None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"broker":1}',
        b"\xff\xfe",
        b'{"version":1,"broker":1,"block_start":"10","block_end":"5"}',
        b'{"version":1,"broker":1,"block_start":"-3","block_end":"5"}',
        b'{"version":1,"broker":1,"block_start":"x","block_end":"5"}',
    ],
)
def test_hostile_block_data_is_not_a_block(data: bytes) -> None:
    assert decode_block(data) is None


def _stat(version: int) -> Stat:
    return Stat(
        czxid=Zxid(1),
        mzxid=Zxid(1),
        ctime_ms=Millis(0),
        mtime_ms=Millis(0),
        version=version,
        cversion=0,
        aversion=0,
        ephemeral_owner=SessionId(0),
        data_length=0,
        num_children=0,
        pzxid=Zxid(1),
    )


def test_the_manager_reserves_the_block_after_the_stored_one_with_a_conditional_write() -> None:
    manager = ProducerIdManager(broker_id=BrokerId(3))
    answer, submit = manager.on_request(PRODUCER, _envelope(_init()))
    assert answer is None and len(submit) == 1
    assert isinstance(submit[0].request, GetDataRequest)
    assert submit[0].request.path == PRODUCER_ID_BLOCK_PATH
    stored = encode_block(ProducerIdBlock(broker=1, block_start=0, block_end=999))
    read = GetDataResponse(
        xid=1, zxid=Zxid(1), error=KeeperErrorCode.OK, data=stored, stat=_stat(4)
    )
    served, submit = manager.on_answer(RequestCompleted(xid=1, ctx=submit[0].ctx, response=read))
    assert served == []
    write = submit[0].request
    assert isinstance(write, SetDataRequest)
    assert write.version == 4  # compare-and-set on the version read
    assert decode_block(write.data) == ProducerIdBlock(broker=3, block_start=1000, block_end=1999)
    done = SetDataResponse(xid=2, zxid=Zxid(2), error=KeeperErrorCode.OK, stat=_stat(5))
    served, submit = manager.on_answer(RequestCompleted(xid=2, ctx=submit[0].ctx, response=done))
    assert [(peer, body.producer_id, body.producer_epoch) for peer, _, body in served] == [
        (PRODUCER, 1000, 0)
    ]
    answer, submit = manager.on_request(PRODUCER, _envelope(_init()))
    assert answer is not None and answer.producer_id == 1001 and submit == []


def test_a_lost_race_reads_again() -> None:
    manager = ProducerIdManager(broker_id=BrokerId(1))
    _, submit = manager.on_request(PRODUCER, _envelope(_init()))
    read = GetDataResponse(xid=1, zxid=Zxid(1), error=KeeperErrorCode.OK, data=b"", stat=_stat(0))
    _, submit = manager.on_answer(RequestCompleted(xid=1, ctx=submit[0].ctx, response=read))
    lost = SetDataResponse(xid=2, zxid=Zxid(2), error=KeeperErrorCode.BADVERSION)
    served, submit = manager.on_answer(RequestCompleted(xid=2, ctx=submit[0].ctx, response=lost))
    assert served == [] and submit[0].ctx.endswith("read")
    assert manager.waiting  # still waiting, nothing handed out


def test_unreadable_znode_data_fails_the_waiting_requests_and_allocates_nothing() -> None:
    manager = ProducerIdManager(broker_id=BrokerId(1))
    _, submit = manager.on_request(PRODUCER, _envelope(_init()))
    read = GetDataResponse(
        xid=1, zxid=Zxid(1), error=KeeperErrorCode.OK, data=b"{oops", stat=_stat(2)
    )
    served, submit = manager.on_answer(RequestCompleted(xid=1, ctx=submit[0].ctx, response=read))
    assert submit == []
    assert [body.error_code for _, _, body in served] == [ErrorCode.UNKNOWN_SERVER_ERROR]
    answer, _ = manager.on_request(PRODUCER, _envelope(_init()))
    assert answer is not None and answer.error_code == ErrorCode.UNKNOWN_SERVER_ERROR


@pytest.mark.parametrize("transactional_id", ["", "orders-tx"])
def test_transactional_ids_are_refused(transactional_id: str) -> None:
    manager = ProducerIdManager(broker_id=BrokerId(1))
    answer, submit = manager.on_request(PRODUCER, _envelope(_init(transactional_id)))
    assert answer is not None and answer.error_code == ErrorCode.INVALID_REQUEST and submit == []


# -- on a cluster --------------------------------------------------------------------------------


@pytest.fixture
def cluster() -> KafkaCluster:
    built = KafkaCluster(brokers=3, seed=7)
    built.start()
    built.create_topic(TOPIC, partitions=1, replication_factor=3)
    return built


def _producer_id(
    cluster: KafkaCluster, broker: int, client: str = "client-1"
) -> InitProducerIdResponse:
    answer = cluster.request(cluster.node_of(broker), _init(), client=client)
    assert answer is not None and isinstance(answer.body, InitProducerIdResponse)
    return answer.body


def test_every_broker_hands_out_distinct_ids_from_its_own_block(cluster: KafkaCluster) -> None:
    ids = [_producer_id(cluster, b).producer_id for b in (1, 2, 3, 1, 2)]
    assert len(set(ids)) == 5
    assert sorted(i // PRODUCER_ID_BLOCK_SIZE for i in ids[:3]) == [0, 1, 2]
    assert ids[3] == ids[0] + 1 and ids[4] == ids[1] + 1
    stored = cluster.server.znode(PRODUCER_ID_BLOCK_PATH)
    assert stored is not None and decode_block(stored.data) == ProducerIdBlock(
        broker=max(range(1, 4), key=lambda b: ids[b - 1]), block_start=2000, block_end=2999
    )


def test_a_transactional_init_is_refused_on_the_wire(cluster: KafkaCluster) -> None:
    answer = cluster.request(cluster.node_of(1), _init("tx"))
    assert answer is not None and isinstance(answer.body, InitProducerIdResponse)
    assert answer.body.error_code == ErrorCode.INVALID_REQUEST


def _produce(
    cluster: KafkaCluster, values: list[bytes], *, producer_id: int, epoch: int, sequence: int
) -> tuple[ErrorCode, int]:
    records = [Record(key=None, value=v, timestamp=cluster.now_ms) for v in values]
    batch = encode_batch(
        records, producer_id=producer_id, producer_epoch=epoch, base_sequence=sequence
    )
    data = produce_api.PartitionProduceData(index=0, records=batch)
    body = produce_api.ProduceRequest(
        acks=-1,
        timeout_ms=30_000,
        topic_data=(produce_api.TopicProduceData(name=TOPIC, partition_data=(data,)),),
    )
    answer = cluster.request(cluster.node_of(cluster.leader(TOPIC, 0)), body)
    assert answer is not None and isinstance(answer.body, produce_api.ProduceResponse)
    result = answer.body.responses[0].partition_responses[0]
    return ErrorCode(result.error_code), result.base_offset


def test_the_produce_path_runs_the_checks_in_order(cluster: KafkaCluster) -> None:
    pid = _producer_id(cluster, 1).producer_id
    assert _produce(cluster, [b"a", b"b"], producer_id=pid, epoch=0, sequence=0) == (
        ErrorCode.NONE,
        0,
    )
    assert _produce(cluster, [b"c"], producer_id=pid, epoch=0, sequence=2) == (ErrorCode.NONE, 2)
    # A retry of the first batch: its original offset, nothing appended (IDEM-1, IDEM-3).
    assert _produce(cluster, [b"a", b"b"], producer_id=pid, epoch=0, sequence=0) == (
        ErrorCode.NONE,
        0,
    )
    # A gap (IDEM-6), a new epoch not at 0, then a new epoch and a fenced old one (IDEM-4).
    assert _produce(cluster, [b"x"], producer_id=pid, epoch=0, sequence=5)[0] is (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )
    assert _produce(cluster, [b"x"], producer_id=pid, epoch=1, sequence=3)[0] is (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )
    assert _produce(cluster, [b"d"], producer_id=pid, epoch=1, sequence=0) == (ErrorCode.NONE, 3)
    assert _produce(cluster, [b"e"], producer_id=pid, epoch=0, sequence=3)[0] is (
        ErrorCode.INVALID_PRODUCER_EPOCH
    )
    # No sequence on an idempotent batch is an invalid record (LogValidator).
    assert _produce(cluster, [b"f"], producer_id=pid, epoch=1, sequence=-1)[0] is (
        ErrorCode.INVALID_RECORD
    )
    leader = cluster.broker(cluster.leader(TOPIC, 0))
    log = leader.log(TOPIC, 0)
    assert log is not None and log.log_end_offset == 4


def test_followers_and_a_restarted_broker_hold_the_leaders_state(cluster: KafkaCluster) -> None:
    pid = _producer_id(cluster, 2).producer_id
    for sequence in range(7):
        _produce(cluster, [b"v"], producer_id=pid, epoch=0, sequence=sequence)
    cluster.run_for(2000)
    key = (TopicName(TOPIC), PartitionId(0))
    states = {b: cluster.broker(b).replicas.partitions[key].producer_state for b in (1, 2, 3)}
    assert len({repr(sorted(s.entries.items())) for s in states.values()}) == 1
    assert len(states[1].entries[pid].batches) == 5  # the window, IDEM-5
    follower = next(b for b in (1, 2, 3) if b != cluster.leader(TOPIC, 0))
    cluster.kill(follower)
    cluster.restart(follower)
    cluster.run_for(3000)
    restarted = cluster.broker(follower).replicas.partitions[key]
    assert restarted.producer_state.entries == states[1].entries
    log = restarted.log
    assert restarted.producer_state.entries == rebuild_producer_state(log_headers(log)).entries


def test_truncation_rebuilds_the_state_from_what_is_left(cluster: KafkaCluster) -> None:
    pid = _producer_id(cluster, 3).producer_id
    for sequence in range(3):
        _produce(cluster, [b"v"], producer_id=pid, epoch=0, sequence=sequence)
    cluster.run_for(1000)
    follower = next(b for b in (1, 2, 3) if b != cluster.leader(TOPIC, 0))
    broker = cluster.broker(follower)
    partition = broker.replicas.partitions[(TopicName(TOPIC), PartitionId(0))]
    truncate_partition(
        partition,
        broker.replicas.log_manager,
        1,
        reason="test",
        now_ms=cluster.now_ms,
        effects=Effects(),
    )
    entry = partition.producer_state.entries[pid]
    assert [b.first_seq for b in entry.batches] == [0]
    assert partition.producer_state.map_end_offset == 1
