"""The coordination server under malformed and hostile input: an error code, never a crash.

A peer is not to be trusted: a buggy client, a fuzzer, or a decoder fed a hostile frame can send
paths that break ZooKeeper's rules, data over ``jute.maxbuffer``, fields of the wrong type or out
of Java's ``int`` range, messages that are not requests at all, or a ``zookeeper.properties`` whose
timeouts contradict each other.  Each test checks that the answer is ZooKeeper's error code (or a
clear :class:`~glasskafka.errors.GlassKafkaError` for configuration), that nothing changed --
no znode, no watch, no zxid, no session -- and that the server's invariants still hold.
"""

from __future__ import annotations

from typing import Any

import pytest
from glasskafka.config import CoordinationConfig
from glasskafka.coordination import (
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
    ExistsResponse,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    KeeperErrorCode,
    KeeperState,
    PingResponse,
    SessionId,
    SetDataRequest,
    SetDataResponse,
    WatchEvent,
    Zxid,
)
from glasskafka.coordination.paths import JUTE_MAXBUFFER
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Output, Send
from hypothesis import given
from hypothesis import strategies as st

B1 = NodeId("broker-1")
FIRST_SESSION = SessionId(1 << 56)
OK = KeeperErrorCode.OK


def started() -> CoordinationServer:
    server = CoordinationServer()
    assert server.on_start(Millis(0)) == []
    return server


def connect(
    server: CoordinationServer, peer: NodeId, *, timeout_ms: int = 6000, now: int = 0
) -> SessionId:
    """Open a session for ``peer`` and return its id."""
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


@pytest.mark.parametrize(
    "path",
    [
        "",
        "zk_test",
        "/a/",
        "/a//b",
        "/a/.",
        "/a/..",
        "/./a",
        "/a\x00b",
        "/a\x07",
        "/\ud800",
        "/\U0001f600",
    ],
)
def test_illegal_paths_are_refused_by_every_operation(path: str) -> None:
    server = started()
    connect(server, B1)
    before = server.paths()
    for request in (
        CreateRequest(xid=1, path=path),
        DeleteRequest(xid=2, path=path),
        SetDataRequest(xid=3, path=path, data=b""),
        GetDataRequest(xid=4, path=path, watch=True),
        GetChildrenRequest(xid=5, path=path, watch=True),
        ExistsRequest(xid=6, path=path, watch=True),
    ):
        assert answer(ask(server, B1, request)).error is KeeperErrorCode.BADARGUMENTS, request
    assert server.paths() == before and server.watches.watching_sessions() == []


def test_a_sequential_create_may_name_a_parent_with_a_trailing_slash() -> None:
    server = started()
    connect(server, B1)
    ask(server, B1, CreateRequest(xid=1, path="/q"))
    assert answer(ask(server, B1, CreateRequest(xid=2, path="/q/", sequential=True))).path == (
        "/q/0000000000"
    )


def test_data_over_jute_maxbuffer_is_refused_and_not_stored() -> None:
    server = started()
    connect(server, B1)
    big = b"x" * JUTE_MAXBUFFER
    reply = answer(ask(server, B1, CreateRequest(xid=1, path="/big", data=big)))
    assert (reply.error, reply.zxid) == (KeeperErrorCode.BADARGUMENTS, 1)
    assert server.znode("/big") is None
    ask(server, B1, CreateRequest(xid=2, path="/small"))
    assert answer(ask(server, B1, SetDataRequest(xid=3, path="/small", data=big))).error is (
        KeeperErrorCode.BADARGUMENTS
    )
    fits = b"x" * (JUTE_MAXBUFFER - len("/small"))
    assert answer(ask(server, B1, SetDataRequest(xid=4, path="/small", data=fits))).error is OK


@pytest.mark.parametrize(
    "request_",
    [
        CreateRequest(xid=1, path=b"/a", data=b""),  # type: ignore[arg-type]
        CreateRequest(xid=1, path="/a", data="text"),  # type: ignore[arg-type]
        CreateRequest(xid=1, path="/a", ephemeral=1),  # type: ignore[arg-type]
        DeleteRequest(xid=1, path="/a", version=2**31),
        DeleteRequest(xid=1, path="/a", version=True),
        SetDataRequest(xid="1", path="/a", data=b""),  # type: ignore[arg-type]
        SetDataRequest(xid=1, path="/a", data=None),  # type: ignore[arg-type]
        GetDataRequest(xid=1, path=None),  # type: ignore[arg-type]
        ExistsRequest(xid=1, path="/a", watch="yes"),  # type: ignore[arg-type]
        CloseSessionRequest(xid=-(2**31) - 1),
    ],
)
def test_malformed_fields_are_answered_badarguments_without_any_change(request_: Any) -> None:
    server = started()
    session = connect(server, B1)
    outputs = ask(server, B1, request_)
    assert answer(outputs).error is KeeperErrorCode.BADARGUMENTS
    assert server.paths() == ["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"]
    assert server.last_zxid == 1 and server.live_sessions() == [session]


@pytest.mark.parametrize("timeout", [2**31, -(2**31) - 1, "6000", None, 6.0, True])
def test_a_malformed_connect_is_refused(timeout: Any) -> None:
    server = started()
    reply = answer(ask(server, B1, ConnectRequest(timeout_ms=timeout)))
    assert reply == ConnectResponse(
        error=KeeperErrorCode.BADARGUMENTS, session_id=SessionId(0), timeout_ms=0
    )
    assert server.live_sessions() == [] and server.last_zxid == 0


def test_a_negative_timeout_is_clamped_like_any_other() -> None:
    server = started()
    outputs = ask(server, B1, ConnectRequest(timeout_ms=-1))
    assert outputs[0] == Send(
        to=B1, message=ConnectResponse(error=OK, session_id=FIRST_SESSION, timeout_ms=4000)
    )


def test_messages_that_are_not_requests_and_unknown_timers_are_ignored() -> None:
    server = started()
    connect(server, B1)
    stray = [
        PingResponse(xid=1, zxid=Zxid(0), error=OK),
        ConnectResponse(error=OK, session_id=SessionId(1), timeout_ms=1),
        event(EventType.NodeCreated, "/"),
        ExistsResponse(xid=1, zxid=Zxid(0), error=OK),
        GetChildrenResponse(xid=1, zxid=Zxid(0), error=OK),
        SetDataResponse(xid=1, zxid=Zxid(0), error=OK),
        CreateResponse(xid=1, zxid=Zxid(0), error=OK),
        DeleteResponse(xid=1, zxid=Zxid(0), error=OK),
        GetDataResponse(xid=1, zxid=Zxid(0), error=OK),
        CloseSessionResponse(xid=1, zxid=Zxid(0), error=OK),
    ]
    for message in stray:
        assert ask(server, B1, message) == []
    assert server.on_timer("no-such-timer", Millis(0)) == []
    assert server.on_connection_lost(NodeId("stranger"), Millis(0)) == []


def test_inconsistent_session_timeouts_are_a_configuration_error() -> None:
    with pytest.raises(GlassKafkaError, match="minSessionTimeout=9000 must not be larger"):
        CoordinationServer(
            config=CoordinationConfig(min_session_timeout=9000, max_session_timeout=8000)
        )
    with pytest.raises(GlassKafkaError, match="minSessionTimeout=0 is not allowed"):
        CoordinationServer(config=CoordinationConfig(min_session_timeout=0))


@given(
    path=st.text(max_size=12) | st.sampled_from(["/", "/a", "/a/b", "/zookeeper"]),
    data=st.binary(max_size=16),
    version=st.integers(min_value=-(2**40), max_value=2**40),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_any_request_gets_an_answer_and_keeps_the_invariants(
    path: str, data: bytes, version: int, flags: tuple[bool, bool, bool]
) -> None:
    ephemeral, sequential, watch = flags
    server = started()
    connect(server, B1)
    for request in (
        CreateRequest(xid=1, path=path, data=data, ephemeral=ephemeral, sequential=sequential),
        SetDataRequest(xid=2, path=path, data=data, version=version),
        GetDataRequest(xid=3, path=path, watch=watch),
        GetChildrenRequest(xid=4, path=path, watch=watch),
        ExistsRequest(xid=5, path=path, watch=watch),
        DeleteRequest(xid=6, path=path, version=version),
    ):
        replies = [
            o.message for o in ask(server, B1, request) if isinstance(o, Send) and o.to == B1
        ]
        answers = [r for r in replies if not isinstance(r, WatchEvent)]
        assert len(answers) == 1 and getattr(answers[0], "xid", None) == request.xid
