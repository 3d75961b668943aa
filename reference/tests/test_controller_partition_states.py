"""The read-decide-write loop (``controller/partition_states.py``), driven by hand.

Each test plays the coordination service: it takes the requests the machine queued, checks every
one, and feeds back the answers -- including the version conflicts (BADVERSION) that a leader's
concurrent ISR write causes (CTRL-1).
"""

from __future__ import annotations

from glasskafka.controller.context import ControllerContext, LiveBroker
from glasskafka.controller.election import ElectionKind
from glasskafka.controller.partition_states import PartitionStateMachine
from glasskafka.controller.role import CoordinationRequest
from glasskafka.controller.zk_ops import ZkOutbox, parse_ctx
from glasskafka.controller.znodes import (
    BrokerRegistration,
    PartitionState,
    decode_partition_state,
    encode_partition_state,
)
from glasskafka.coordination.codes import KeeperErrorCode, SessionId, Zxid
from glasskafka.coordination.messages import (
    CreateRequest,
    CreateResponse,
    GetDataRequest,
    GetDataResponse,
    SessionResponse,
    SetDataRequest,
    SetDataResponse,
)
from glasskafka.coordination.znode import Stat
from glasskafka.ids import BrokerId, Epoch, Millis, PartitionId, TopicName

TOPIC = TopicName("orders")
TP = (TOPIC, PartitionId(0))
STATE_PATH = "/brokers/topics/orders/partitions/0/state"


def context(live: tuple[int, ...] = (2, 3), *, unclean: bool = False) -> ControllerContext:
    c = ControllerContext(
        controller_id=BrokerId(2),
        unclean_default=unclean,
        zk=ZkOutbox(),
        grants=[],
        epoch=Epoch(4),
    )
    for b in live:
        registration = BrokerRegistration(broker_id=BrokerId(b), host="h", port=9092)
        c.live_brokers[BrokerId(b)] = LiveBroker(registration=registration, broker_epoch=b)
    c.add_topic(TOPIC, {PartitionId(0): (BrokerId(1), BrokerId(2), BrokerId(3))}, {})
    return c


def stat(version: int) -> Stat:
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


def state(leader: int, epoch: int, isr: tuple[int, ...]) -> PartitionState:
    return PartitionState(
        leader=BrokerId(leader),
        leader_epoch=Epoch(epoch),
        isr=tuple(BrokerId(b) for b in isr),
        controller_epoch=Epoch(1),
    )


def take(c: ControllerContext) -> list[CoordinationRequest]:
    return list(c.zk.drain())


def answer(
    machine: PartitionStateMachine,
    c: ControllerContext,
    request: CoordinationRequest,
    response: SessionResponse,
) -> None:
    ctx = parse_ctx(request.ctx)
    assert ctx is not None and ctx.kind == "state"
    machine.on_response(c, ctx, response)


def read_ok(request: CoordinationRequest, found: PartitionState, version: int) -> GetDataResponse:
    assert isinstance(request.request, GetDataRequest)
    assert request.request.path == STATE_PATH
    return GetDataResponse(
        xid=request.request.xid,
        zxid=Zxid(9),
        error=KeeperErrorCode.OK,
        data=encode_partition_state(found),
        stat=stat(version),
    )


def test_a_dead_leader_is_replaced_by_a_compare_and_set_on_the_version_read() -> None:
    c, machine = context(), PartitionStateMachine(generation=1)
    machine.reconcile(c, [TP])
    [read] = take(c)
    answer(machine, c, read, read_ok(read, state(1, 6, (1, 2, 3)), version=11))
    [write] = take(c)
    assert isinstance(write.request, SetDataRequest)
    assert (write.request.path, write.request.version) == (STATE_PATH, 11)
    written = decode_partition_state(write.request.data)
    assert (written.leader, written.leader_epoch, written.isr) == (2, 7, (2, 3))
    assert written.controller_epoch == 4, "the state carries this controller's epoch (CTRL-1)"
    answer(
        machine,
        c,
        write,
        SetDataResponse(
            xid=write.request.xid, zxid=Zxid(10), error=KeeperErrorCode.OK, stat=stat(12)
        ),
    )
    assert not machine.busy and take(c) == []
    assert c.states[TP] == PartitionState(
        leader=BrokerId(2),
        leader_epoch=Epoch(7),
        isr=(BrokerId(2), BrokerId(3)),
        controller_epoch=Epoch(4),
        zk_version=12,
    )
    assert [(g.leader, g.leader_epoch, g.kind) for g in c.grants] == [(2, 7, ElectionKind.CLEAN)]
    assert c.batch.leader_and_isr == {BrokerId(2): {TP: False}, BrokerId(3): {TP: False}}
    assert c.batch.update_metadata == {BrokerId(2): {TP}, BrokerId(3): {TP}}


def test_a_version_conflict_rereads_and_decides_again_from_the_new_state() -> None:
    c, machine = context(), PartitionStateMachine(generation=1)
    machine.reconcile(c, [TP])
    [read] = take(c)
    answer(machine, c, read, read_ok(read, state(1, 6, (1, 2, 3)), version=11))
    [write] = take(c)
    conflict = SetDataResponse(
        xid=write.request.xid, zxid=Zxid(10), error=KeeperErrorCode.BADVERSION
    )
    answer(machine, c, write, conflict)
    [reread] = take(c)
    assert isinstance(reread.request, GetDataRequest), "BADVERSION: read again, never overwrite"
    assert c.grants == [], "a failed write grants nothing (REPL-11)"
    # Meanwhile leader 1 shrank the ISR to {1, 3} itself.
    answer(machine, c, reread, read_ok(reread, state(1, 6, (1, 3)), version=12))
    [rewrite] = take(c)
    assert isinstance(rewrite.request, SetDataRequest) and rewrite.request.version == 12
    decided = decode_partition_state(rewrite.request.data)
    assert (decided.leader, decided.leader_epoch, decided.isr) == (3, 7, (3,))


def test_a_missing_state_is_created_with_its_parents_and_marked_new() -> None:
    c, machine = context(), PartitionStateMachine(generation=1)
    machine.reconcile(c, [TP])
    [read] = take(c)
    answer(machine, c, read, GetDataResponse(xid=1, zxid=Zxid(1), error=KeeperErrorCode.NONODE))
    parents_and_state = take(c)
    paths = [r.request.path for r in parents_and_state if isinstance(r.request, CreateRequest)]
    assert paths == [
        "/brokers/topics/orders/partitions",
        "/brokers/topics/orders/partitions/0",
        STATE_PATH,
    ]
    create = parents_and_state[-1]
    assert isinstance(create.request, CreateRequest)
    created = decode_partition_state(create.request.data)
    assert (created.leader, created.leader_epoch, created.isr) == (2, 0, (2, 3))
    for parent in parents_and_state[:2]:
        answer(
            machine,
            c,
            parent,
            CreateResponse(xid=1, zxid=Zxid(2), error=KeeperErrorCode.NODEEXISTS),
        )
    assert machine.busy, "the parents' NODEEXISTS does not end the loop"
    answer(machine, c, create, CreateResponse(xid=1, zxid=Zxid(3), error=KeeperErrorCode.OK))
    assert c.states[TP].zk_version == 0
    assert c.batch.leader_and_isr[BrokerId(2)] == {TP: True}, "is_new for a created partition"
    assert [g.kind for g in c.grants] == [ElectionKind.NEW]


def test_a_state_created_by_someone_else_first_is_read_again() -> None:
    c, machine = context(), PartitionStateMachine(generation=1)
    machine.reconcile(c, [TP])
    [read] = take(c)
    answer(machine, c, read, GetDataResponse(xid=1, zxid=Zxid(1), error=KeeperErrorCode.NONODE))
    create = take(c)[-1]
    answer(
        machine, c, create, CreateResponse(xid=1, zxid=Zxid(3), error=KeeperErrorCode.NODEEXISTS)
    )
    [reread] = take(c)
    assert isinstance(reread.request, GetDataRequest)


def test_no_live_replica_means_no_state_yet() -> None:
    c, machine = context(live=(7,)), PartitionStateMachine(generation=1)
    machine.reconcile(c, [TP])
    [read] = take(c)
    answer(machine, c, read, GetDataResponse(xid=1, zxid=Zxid(1), error=KeeperErrorCode.NONODE))
    assert take(c) == [] and not machine.busy and TP not in c.states


def test_a_state_that_needs_nothing_is_only_cached_and_announced_if_it_changed() -> None:
    c, machine = context(live=(1, 2, 3)), PartitionStateMachine(generation=1)
    machine.reconcile(c, [TP])
    [read] = take(c)
    answer(machine, c, read, read_ok(read, state(1, 6, (1, 3)), version=5))
    assert take(c) == [] and not machine.busy
    assert c.states[TP].isr == (1, 3) and c.states[TP].zk_version == 5
    assert c.batch.update_metadata == {b: {TP} for b in (BrokerId(1), BrokerId(2), BrokerId(3))}
    assert c.batch.leader_and_isr == {}
    c.batch.clear()
    machine.reconcile(c, [TP])
    [again] = take(c)
    answer(machine, c, again, read_ok(again, state(1, 6, (1, 3)), version=5))
    assert c.batch.empty, "an unchanged state is not announced twice"


def test_a_request_during_a_loop_runs_the_loop_once_more_afterwards() -> None:
    c, machine = context(live=(1, 2, 3)), PartitionStateMachine(generation=1)
    machine.reconcile(c, [TP])
    machine.reconcile(c, [TP])
    [read] = take(c)
    assert machine.again == {TP}
    answer(machine, c, read, read_ok(read, state(1, 6, (1, 2, 3)), version=5))
    [second] = take(c)
    assert isinstance(second.request, GetDataRequest) and machine.again == set()


def test_an_unreadable_state_is_left_alone_without_a_crash() -> None:
    c, machine = context(), PartitionStateMachine(generation=1)
    machine.reconcile(c, [TP])
    [read] = take(c)
    garbage = GetDataResponse(
        xid=1, zxid=Zxid(1), error=KeeperErrorCode.OK, data=b"{not json", stat=stat(1)
    )
    answer(machine, c, read, garbage)
    assert take(c) == [] and not machine.busy and c.grants == []


def test_answers_for_a_forgotten_topic_are_ignored() -> None:
    c, machine = context(), PartitionStateMachine(generation=1)
    machine.reconcile(c, [TP])
    [read] = take(c)
    machine.forget_topic(TOPIC)
    c.remove_topic(TOPIC)
    answer(machine, c, read, read_ok(read, state(1, 6, (1, 2, 3)), version=11))
    assert take(c) == [] and not machine.busy and c.batch.empty


def test_unclean_election_follows_the_topic_config_over_the_broker_default() -> None:
    c, machine = context(live=(3,)), PartitionStateMachine(generation=1)
    c.topic_configs[TOPIC] = {"unclean.leader.election.enable": "true"}
    machine.reconcile(c, [TP])
    [read] = take(c)
    answer(machine, c, read, read_ok(read, state(1, 6, (1,)), version=2))
    [write] = take(c)
    assert isinstance(write.request, SetDataRequest)
    decided = decode_partition_state(write.request.data)
    assert (decided.leader, decided.isr) == (3, (3,))
