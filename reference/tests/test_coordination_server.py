"""The coordination server, one input at a time, every output checked.

Each test drives a :class:`CoordinationServer` directly (no simulator): it hands in a request,
takes the outputs, and compares them with the full list expected.  The facts checked are
ZooKeeper's (3.6): stat fields, error codes and their order, watch semantics, zxids, session
timeouts in tick buckets, and what a broken connection does and does not end.  Malformed and
hostile input has its own file, ``test_coordination_hostile.py``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from glasskafka.coordination import (
    EXPIRY_TIMER,
    CloseSessionRequest,
    CloseSessionResponse,
    ConnectRequest,
    ConnectResponse,
    CoordinationServer,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DeleteResponse,
    EventType,
    ExistsRequest,
    GetChildrenRequest,
    GetDataRequest,
    GetDataResponse,
    KeeperErrorCode,
    KeeperState,
    PingRequest,
    PingResponse,
    SessionId,
    SetDataRequest,
    SetDataResponse,
    WatchEvent,
    Zxid,
)
from glasskafka.coordination.sessions import initial_session_id
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Output, Send, SetTimer

B1, B2, CONTROLLER = NodeId("broker-1"), NodeId("broker-2"), NodeId("controller")
FIRST_SESSION = SessionId(1 << 56)  # server id 1 in the top byte, start time 0
OK = KeeperErrorCode.OK


def started() -> CoordinationServer:
    server = CoordinationServer()
    assert server.on_start(Millis(0)) == []
    return server


def connect(
    server: CoordinationServer, peer: NodeId, *, timeout_ms: int = 6000, now: int = 0
) -> SessionId:
    """Open a session for ``peer`` and return its id (the outputs are checked in detail below)."""
    outputs = server.on_message(peer, ConnectRequest(timeout_ms=timeout_ms), Millis(now))
    response = outputs[0]
    assert isinstance(response, Send) and isinstance(response.message, ConnectResponse)
    assert response.message.error is OK
    return response.message.session_id


def ask(server: CoordinationServer, peer: NodeId, request: Message, now: int = 0) -> list[Output]:
    outputs = server.on_message(peer, request, Millis(now))
    server.check_invariants()
    return outputs


def answer(outputs: list[Output]) -> Any:
    """The single message of ``outputs``, which must be exactly one ``Send``."""
    assert len(outputs) == 1 and isinstance(outputs[0], Send), outputs
    return outputs[0].message


def event(type_: EventType, path: str) -> WatchEvent:
    return WatchEvent(type=type_, state=KeeperState.SyncConnected, path=path)


# ---------------------------------------------------------------------------------------------
# Sessions


def test_connect_clamps_the_timeout_and_arms_the_expiry_timer_on_a_tick_boundary() -> None:
    server = started()
    outputs = ask(server, B1, ConnectRequest(timeout_ms=6000), now=500)
    reply = ConnectResponse(error=OK, session_id=FIRST_SESSION, timeout_ms=6000)
    # 500 + 6000 rounded up to the next 2000 ms tick: ZooKeeper's ExpiryQueue buckets.
    assert outputs == [Send(to=B1, message=reply), SetTimer(name=EXPIRY_TIMER, at_ms=Millis(8000))]
    # Timeouts are clamped into [minSessionTimeout, maxSessionTimeout]; the timer moves only
    # when a new deadline is earlier than the one it is set for.
    short = ConnectResponse(error=OK, session_id=SessionId(FIRST_SESSION + 1), timeout_ms=4000)
    assert ask(server, B2, ConnectRequest(timeout_ms=1)) == [
        Send(to=B2, message=short),
        SetTimer(name=EXPIRY_TIMER, at_ms=Millis(6000)),
    ]
    long = ConnectResponse(error=OK, session_id=SessionId(FIRST_SESSION + 2), timeout_ms=40000)
    assert answer(ask(server, CONTROLLER, ConnectRequest(timeout_ms=10**9))) == long


def test_session_ids_follow_zookeepers_layout() -> None:
    assert initial_session_id(Millis(0)) == 0x0100_0000_0000_0000
    assert initial_session_id(Millis(5)) == 0x0100_0000_0005_0000  # time in bytes 2..6
    assert initial_session_id(Millis(2**45)) >> 56 == 1  # time never reaches the server id byte


def test_a_session_creation_takes_a_zxid() -> None:
    server = started()
    connect(server, B1)
    assert server.last_zxid == 1


def test_requests_without_a_session_are_answered_sessionexpired() -> None:
    server = started()
    reply = answer(ask(server, B1, GetDataRequest(xid=1, path="/")))
    assert reply == GetDataResponse(xid=1, zxid=Zxid(0), error=KeeperErrorCode.SESSIONEXPIRED)


def test_resuming_an_unknown_session_is_refused() -> None:
    server = started()
    reply = answer(ask(server, B1, ConnectRequest(timeout_ms=6000, session_id=SessionId(42))))
    assert reply == ConnectResponse(
        error=KeeperErrorCode.SESSIONEXPIRED, session_id=SessionId(42), timeout_ms=0
    )
    assert server.live_sessions() == []


def test_pings_touch_the_session_and_the_timer_fires_early_without_expiring_it() -> None:
    server = started()
    session = connect(server, B1, timeout_ms=4000)  # deadline 6000
    assert answer(ask(server, B1, PingRequest(), now=3000)) == PingResponse(
        xid=-2, zxid=Zxid(1), error=OK
    )
    assert server.on_timer(EXPIRY_TIMER, Millis(6000)) == [
        SetTimer(name=EXPIRY_TIMER, at_ms=Millis(8000))  # touched at 3000: the next bucket
    ]
    assert server.live_sessions() == [session]


def test_expiry_deletes_the_sessions_ephemerals_in_path_order_and_tells_everyone() -> None:
    server = started()
    broker = connect(server, B1, timeout_ms=4000)
    controller = connect(server, CONTROLLER, timeout_ms=40000)
    for path, ephemeral in (("/brokers", False), ("/brokers/ids", False), ("/brokers/ids/2", True)):
        ask(server, B1, CreateRequest(xid=1, path=path, ephemeral=ephemeral))
    ask(server, B1, CreateRequest(xid=2, path="/brokers/ids/1", ephemeral=True))
    ask(server, CONTROLLER, GetChildrenRequest(xid=1, path="/brokers/ids", watch=True))
    ask(server, CONTROLLER, ExistsRequest(xid=2, path="/brokers/ids/1", watch=True))
    ask(server, CONTROLLER, ExistsRequest(xid=3, path="/brokers/ids/2", watch=True))
    outputs = server.on_timer(EXPIRY_TIMER, Millis(6000))
    assert outputs == [
        Send(to=CONTROLLER, message=event(EventType.NodeDeleted, "/brokers/ids/1")),
        Send(to=CONTROLLER, message=event(EventType.NodeChildrenChanged, "/brokers/ids")),
        Send(to=CONTROLLER, message=event(EventType.NodeDeleted, "/brokers/ids/2")),
        Send(
            to=B1,
            message=WatchEvent(type=EventType.None_, state=KeeperState.Expired, path=""),
        ),
        SetTimer(name=EXPIRY_TIMER, at_ms=Millis(42000)),
    ]
    assert server.live_sessions() == [controller]
    assert server.znode("/brokers/ids") is not None and server.znode("/brokers/ids/1") is None
    assert broker not in server.live_sessions()
    after = answer(ask(server, B1, PingRequest(), now=6000))
    assert after.error is KeeperErrorCode.SESSIONEXPIRED


def test_a_partitioned_broker_keeps_its_registration_until_its_session_times_out() -> None:
    """The ZooKeeper-era failure detector: a broken connection is not a dead session."""
    server = started()
    connect(server, B1, timeout_ms=18000)  # zookeeper.session.timeout.ms's default
    ask(server, B1, CreateRequest(xid=1, path="/brokers"))
    ask(server, B1, CreateRequest(xid=2, path="/brokers/ids"))
    ask(server, B1, CreateRequest(xid=3, path="/brokers/ids/1", ephemeral=True), now=1000)
    assert server.on_connection_lost(B1, Millis(1000)) == []
    for tick in range(2000, 20000, 2000):
        server.on_timer(EXPIRY_TIMER, Millis(tick))
        assert server.znode("/brokers/ids/1") is not None, f"gone too early at {tick} ms"
    server.on_timer(EXPIRY_TIMER, Millis(20000))  # 1000 + 18000, rounded up to a tick
    assert server.znode("/brokers/ids/1") is None


def test_a_resumed_session_gets_the_events_held_while_it_was_away() -> None:
    server = started()
    session = connect(server, B1)
    connect(server, B2)
    ask(server, B1, ExistsRequest(xid=1, path="/controller", watch=True))
    server.on_connection_lost(B1, Millis(10))
    created = ask(server, B2, CreateRequest(xid=1, path="/controller", ephemeral=True), now=20)
    assert created == [
        Send(to=B2, message=CreateResponse(xid=1, zxid=Zxid(3), error=OK, path="/controller"))
    ]
    resumed = ask(server, B1, ConnectRequest(timeout_ms=6000, session_id=session), now=30)
    assert resumed == [
        Send(to=B1, message=ConnectResponse(error=OK, session_id=session, timeout_ms=6000)),
        Send(to=B1, message=event(EventType.NodeCreated, "/controller")),
    ]


def test_close_deletes_ephemerals_at_once_and_answers_after_the_events() -> None:
    server = started()
    connect(server, B1)
    connect(server, CONTROLLER)
    ask(server, B1, CreateRequest(xid=1, path="/controller", ephemeral=True))
    ask(server, CONTROLLER, GetDataRequest(xid=1, path="/controller", watch=True))
    outputs = ask(server, B1, CloseSessionRequest(xid=2))
    assert outputs == [
        Send(to=CONTROLLER, message=event(EventType.NodeDeleted, "/controller")),
        Send(to=B1, message=CloseSessionResponse(xid=2, zxid=Zxid(4), error=OK)),
    ]
    assert answer(ask(server, B1, PingRequest())).error is KeeperErrorCode.SESSIONEXPIRED


def test_a_second_connect_on_one_connection_leaves_the_first_session_detached() -> None:
    server = started()
    first = connect(server, B1)
    second = connect(server, B1)
    assert server.live_sessions() == [first, second]
    session = server.session(first)
    assert session is not None and session.peer is None


# ---------------------------------------------------------------------------------------------
# Znodes and their stats


def test_create_records_the_stat_and_bumps_the_parents_cversion_and_pzxid() -> None:
    server = started()
    connect(server, B1)
    reply = answer(
        ask(server, B1, CreateRequest(xid=1, path="/zk_test", data=b"my_data"), now=1500)
    )
    assert reply == CreateResponse(xid=1, zxid=Zxid(2), error=OK, path="/zk_test")
    stat = answer(ask(server, B1, ExistsRequest(xid=2, path="/zk_test"))).stat
    assert (stat.czxid, stat.mzxid, stat.pzxid) == (2, 2, 2)
    assert (stat.ctime_ms, stat.mtime_ms, stat.version, stat.cversion) == (1500, 1500, 0, 0)
    assert (stat.ephemeral_owner, stat.data_length, stat.num_children) == (0, 7, 0)
    root = server.znode("/")
    assert root is not None and (root.cversion, root.pzxid) == (1, 2)


def test_set_data_bumps_version_mzxid_and_mtime_only() -> None:
    server = started()
    connect(server, B1)
    ask(server, B1, CreateRequest(xid=1, path="/a", data=b"1"), now=100)
    reply = answer(ask(server, B1, SetDataRequest(xid=2, path="/a", data=b"22"), now=200))
    assert reply.error is OK and reply.zxid == 3
    stat = reply.stat
    assert (stat.czxid, stat.mzxid, stat.pzxid, stat.version) == (2, 3, 2, 1)
    assert (stat.ctime_ms, stat.mtime_ms, stat.data_length) == (100, 200, 2)


def test_delete_moves_the_parents_pzxid_but_not_its_cversion() -> None:
    """ZOOKEEPER-1046: cversion counts creations, so sequential names never repeat."""
    server = started()
    connect(server, B1)
    ask(server, B1, CreateRequest(xid=1, path="/jobs"))
    first = answer(ask(server, B1, CreateRequest(xid=2, path="/jobs/job-", sequential=True)))
    assert answer(ask(server, B1, DeleteRequest(xid=3, path=first.path))).error is OK
    second = answer(ask(server, B1, CreateRequest(xid=4, path="/jobs/job-", sequential=True)))
    assert (first.path, second.path) == ("/jobs/job-0000000000", "/jobs/job-0000000001")
    jobs = server.znode("/jobs")
    assert jobs is not None and (jobs.cversion, jobs.pzxid) == (2, 5)


def test_writes_are_refused_in_zookeepers_order_and_still_take_a_zxid() -> None:
    server = started()
    connect(server, B1)
    ask(server, B1, CreateRequest(xid=1, path="/a"))
    ask(server, B1, CreateRequest(xid=2, path="/a/b"))
    ask(server, B1, CreateRequest(xid=3, path="/e", ephemeral=True))
    before = {p: server.znode(p) for p in server.paths()}
    refused = [
        (CreateRequest(xid=4, path="/x/y"), KeeperErrorCode.NONODE),
        (CreateRequest(xid=5, path="/a"), KeeperErrorCode.NODEEXISTS),
        (CreateRequest(xid=6, path="/"), KeeperErrorCode.NODEEXISTS),
        (CreateRequest(xid=7, path="/e/child"), KeeperErrorCode.NOCHILDRENFOREPHEMERALS),
        (DeleteRequest(xid=8, path="/a"), KeeperErrorCode.NOTEMPTY),
        (DeleteRequest(xid=9, path="/a", version=3), KeeperErrorCode.BADVERSION),  # before NOTEMPTY
        (DeleteRequest(xid=10, path="/nope"), KeeperErrorCode.NONODE),
        (DeleteRequest(xid=11, path="/zookeeper/quota"), KeeperErrorCode.BADARGUMENTS),
        (DeleteRequest(xid=12, path="/"), KeeperErrorCode.BADARGUMENTS),
        (SetDataRequest(xid=13, path="/a", data=b"", version=1), KeeperErrorCode.BADVERSION),
        (SetDataRequest(xid=14, path="/a", data=b"", version=-2), KeeperErrorCode.BADVERSION),
        (SetDataRequest(xid=15, path="/nope", data=b""), KeeperErrorCode.NONODE),
    ]
    for number, (request, error) in enumerate(refused):
        reply = answer(ask(server, B1, request))
        assert (reply.error, reply.zxid) == (error, 5 + number), request
    assert {p: server.znode(p) for p in server.paths()} == before


def test_conditional_writes_succeed_with_the_current_version_or_minus_one() -> None:
    server = started()
    connect(server, B1)
    ask(server, B1, CreateRequest(xid=1, path="/controller_epoch", data=b"0"))
    assert (
        answer(
            ask(server, B1, SetDataRequest(xid=2, path="/controller_epoch", data=b"1", version=0))
        ).error
        is OK
    )
    assert (
        answer(
            ask(server, B1, SetDataRequest(xid=3, path="/controller_epoch", data=b"2", version=-1))
        ).error
        is OK
    )
    assert (
        answer(ask(server, B1, DeleteRequest(xid=4, path="/controller_epoch", version=2))).error
        is OK
    )


def test_reads_answer_from_the_tree() -> None:
    server = started()
    connect(server, B1)
    ask(server, B1, CreateRequest(xid=1, path="/a", data=b"x"))
    ask(server, B1, CreateRequest(xid=2, path="/a/z"))
    ask(server, B1, CreateRequest(xid=3, path="/a/b"))
    children = answer(ask(server, B1, GetChildrenRequest(xid=4, path="/a")))
    assert children.children == ("b", "z") and children.stat.num_children == 2
    assert answer(ask(server, B1, GetDataRequest(xid=5, path="/a"))).data == b"x"
    assert answer(ask(server, B1, GetChildrenRequest(xid=6, path="/"))).children == (
        "a",
        "zookeeper",
    )
    assert answer(ask(server, B1, GetChildrenRequest(xid=7, path="/zookeeper"))).children == (
        "config",
        "quota",
    )
    for request in (
        GetDataRequest(xid=8, path="/nope"),
        GetChildrenRequest(xid=9, path="/nope"),
        ExistsRequest(xid=10, path="/nope"),
    ):
        reply = answer(ask(server, B1, request))
        assert (reply.error, reply.stat, reply.zxid) == (KeeperErrorCode.NONODE, None, 4)


# ---------------------------------------------------------------------------------------------
# Watches


def test_a_data_watch_fires_once_and_before_the_writers_answer() -> None:
    server = started()
    connect(server, B1)
    connect(server, B2)
    ask(server, B1, CreateRequest(xid=1, path="/a"))
    ask(server, B2, GetDataRequest(xid=1, path="/a", watch=True))
    first = ask(server, B2, SetDataRequest(xid=2, path="/a", data=b"1"))
    assert [type(o.message) for o in first if isinstance(o, Send)] == [WatchEvent, SetDataResponse]
    assert first[0] == Send(to=B2, message=event(EventType.NodeDataChanged, "/a"))
    second = ask(server, B1, SetDataRequest(xid=2, path="/a", data=b"2"))
    assert [o for o in second if isinstance(o, Send) and o.to == B2] == []  # one-shot


def test_exists_watches_a_missing_znode_but_get_data_does_not() -> None:
    server = started()
    connect(server, B1)
    connect(server, B2)
    assert answer(ask(server, B2, ExistsRequest(xid=1, path="/controller", watch=True))).error is (
        KeeperErrorCode.NONODE
    )
    ask(server, B2, GetDataRequest(xid=2, path="/other", watch=True))
    ask(server, B2, GetChildrenRequest(xid=3, path="/other", watch=True))
    created = ask(server, B1, CreateRequest(xid=1, path="/controller"))
    assert created[0] == Send(to=B2, message=event(EventType.NodeCreated, "/controller"))
    other = ask(server, B1, CreateRequest(xid=2, path="/other"))
    assert [o for o in other if isinstance(o, Send) and o.to == B2] == []


def test_deleting_a_znode_sends_one_event_to_a_session_with_data_and_child_watches() -> None:
    server = started()
    connect(server, B1)
    connect(server, B2)
    ask(server, B1, CreateRequest(xid=1, path="/t"))
    ask(server, B1, CreateRequest(xid=2, path="/t/p"))
    ask(server, B2, GetDataRequest(xid=1, path="/t/p", watch=True))
    ask(server, B2, GetChildrenRequest(xid=2, path="/t/p", watch=True))
    ask(server, B2, GetChildrenRequest(xid=3, path="/t", watch=True))
    outputs = ask(server, B1, DeleteRequest(xid=3, path="/t/p"))
    assert outputs == [
        Send(to=B2, message=event(EventType.NodeDeleted, "/t/p")),
        Send(to=B2, message=event(EventType.NodeChildrenChanged, "/t")),
        Send(to=B1, message=DeleteResponse(xid=3, zxid=Zxid(5), error=OK)),
    ]


def test_watches_of_several_sessions_fire_in_session_order() -> None:
    server = started()
    first, second = connect(server, B1), connect(server, B2)
    assert first < second
    connect(server, CONTROLLER)
    ask(server, B2, ExistsRequest(xid=1, path="/x", watch=True))
    ask(server, B1, ExistsRequest(xid=1, path="/x", watch=True))
    outputs = ask(server, CONTROLLER, CreateRequest(xid=1, path="/x"))
    assert [o.to for o in outputs if isinstance(o, Send)] == [B1, B2, CONTROLLER]


# ---------------------------------------------------------------------------------------------
# Determinism and plain data


def script(server: CoordinationServer) -> list[Output]:
    outputs = [*server.on_start(Millis(7))]
    outputs += server.on_message(B1, ConnectRequest(timeout_ms=5000), Millis(10))
    outputs += server.on_message(B2, ConnectRequest(timeout_ms=5000), Millis(11))
    outputs += server.on_message(B2, ExistsRequest(xid=1, path="/e", watch=True), Millis(12))
    outputs += server.on_message(B1, CreateRequest(xid=1, path="/e", ephemeral=True), Millis(13))
    outputs += server.on_connection_lost(B1, Millis(14))
    outputs += server.on_timer(EXPIRY_TIMER, Millis(8000))
    return outputs


def test_same_inputs_give_same_outputs_and_state() -> None:
    first, second = CoordinationServer(), CoordinationServer()
    assert script(first) == script(second)
    assert [first.znode(p) for p in first.paths()] == [second.znode(p) for p in second.paths()]
    assert first.sessions == second.sessions and first.watches == second.watches


def test_a_deep_copy_continues_exactly_as_the_original() -> None:
    server = started()
    connect(server, B1)
    ask(server, B1, CreateRequest(xid=1, path="/a", ephemeral=True))
    twin = copy.deepcopy(server)
    request = SetDataRequest(xid=2, path="/a", data=b"x")
    assert server.on_message(B1, request, Millis(5)) == twin.on_message(B1, request, Millis(5))
    assert server.on_timer(EXPIRY_TIMER, Millis(9000)) == twin.on_timer(EXPIRY_TIMER, Millis(9000))
    assert server.paths() == twin.paths()


def test_check_invariants_catches_a_corrupted_tree() -> None:
    server = started()
    connect(server, B1)
    ask(server, B1, CreateRequest(xid=1, path="/a"))
    del server.tree.znodes["/"]
    with pytest.raises(AssertionError, match="COORD-1"):
        server.check_invariants()
