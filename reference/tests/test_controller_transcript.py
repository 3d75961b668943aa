"""The ControllerRole driven by hand, one input at a time, checking every output it returns.

These transcripts play the broker and the coordination service themselves, so they can show
what a simulation rarely hits: a lost connection in the middle of the failover, answers from an
earlier tenure, requests arriving while the role is not active.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from glasskafka.config import BrokerConfig
from glasskafka.controller import ControllerRole, ControllerState, CoordinationRequest, RoleStep
from glasskafka.controller.states import TRANSITIONS
from glasskafka.coordination import RequestCompleted, WatchTriggered
from glasskafka.coordination.codes import EventType, KeeperErrorCode, KeeperState, SessionId, Zxid
from glasskafka.coordination.messages import (
    CreateRequest,
    ExistsRequest,
    GetChildrenRequest,
    GetDataRequest,
    SessionRequest,
    SessionResponse,
    SetDataRequest,
    WatchEvent,
    error_response,
)
from glasskafka.coordination.znode import Stat
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Millis, NodeId
from glasskafka.node import Send
from glasskafka.protocol import envelope
from glasskafka.protocol.envelope import KafkaResponse
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopic,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)

NOW = Millis(1000)


def stat(version: int = 0, czxid: int = 5) -> Stat:
    return Stat(
        czxid=Zxid(czxid),
        mzxid=Zxid(czxid),
        ctime_ms=NOW,
        mtime_ms=NOW,
        version=version,
        cversion=0,
        aversion=0,
        ephemeral_owner=SessionId(0),
        data_length=0,
        num_children=0,
        pzxid=Zxid(czxid),
    )


def role() -> ControllerRole:
    return ControllerRole(broker_id=BrokerId(1), config=BrokerConfig(broker_id=1))


def ops(step: RoleStep) -> list[tuple[str, str]]:
    """The coordination requests of a step as (operation, path)."""
    return [(type(r.request).__name__, r.request.path) for r in step.coordination]  # type: ignore[union-attr]


def completed(request: CoordinationRequest, response: SessionResponse) -> RequestCompleted:
    return RequestCompleted(xid=request.request.xid, ctx=request.ctx, response=response)


def ok(request: SessionRequest, **fields: Any) -> SessionResponse:
    """The successful answer to ``request`` (with ``fields`` such as ``data`` and ``stat``)."""
    return dataclasses.replace(error_response(request, KeeperErrorCode.OK, Zxid(7)), **fields)


def feed(r: ControllerRole, request: CoordinationRequest, response: SessionResponse) -> RoleStep:
    return r.on_coordination_event(completed(request, response), NOW)


def elect(r: ControllerRole) -> RoleStep:
    """Drive ``r`` from a new session to LOADING with epoch 3; return the LOADING step."""
    stand = r.on_session_connected(resumed=False, now_ms=NOW)
    watch, create = stand.coordination
    feed(r, watch, ok(watch.request, stat=None))
    read_epoch = feed(r, create, ok(create.request, path="/controller"))
    assert r.state is ControllerState.ELECTED
    [read] = read_epoch.coordination
    [write] = feed(r, read, ok(read.request, data=b"2", stat=stat(version=4))).coordination
    assert isinstance(write.request, SetDataRequest)
    assert (write.request.data, write.request.version) == (b"3", 4), "CTRL-1: epoch + 1, CAS"
    return feed(r, write, ok(write.request, stat=stat(version=5)))


def load(r: ControllerRole, loading: RoleStep, brokers: tuple[str, ...] = ("1", "2")) -> RoleStep:
    """Answer the LOADING scans: the given brokers, no topics; return the step that activates."""
    by_path = {
        c.request.path: c for c in loading.coordination if isinstance(c.request, GetChildrenRequest)
    }
    ids = by_path["/brokers/ids"]
    reads = feed(r, ids, ok(ids.request, children=brokers, stat=stat())).coordination
    for read in reads:
        feed(r, read, ok(read.request, data=b'{"host":"h","port":1}', stat=stat()))
    topics = by_path["/brokers/topics"]
    return feed(r, topics, ok(topics.request, children=(), stat=stat()))


def test_standing_for_election_watches_then_creates_the_ephemeral_controller_znode() -> None:
    r = role()
    step = r.on_session_connected(resumed=False, now_ms=NOW)
    assert ops(step) == [("ExistsRequest", "/controller"), ("CreateRequest", "/controller")]
    watch, create = (c.request for c in step.coordination)
    assert isinstance(watch, ExistsRequest) and watch.watch
    assert isinstance(create, CreateRequest) and create.ephemeral
    assert create.data == b'{"brokerid":1,"timestamp":"1000","version":1}'
    assert all(c.ctx.startswith("controller:") for c in step.coordination)
    assert step.outputs == ()


def test_losing_the_race_reads_who_won_and_stays_standby() -> None:
    r = role()
    _, create = r.on_session_connected(resumed=False, now_ms=NOW).coordination
    [read] = feed(
        r, create, error_response(create.request, KeeperErrorCode.NODEEXISTS, Zxid(3))
    ).coordination
    assert isinstance(read.request, GetDataRequest) and read.request.path == "/controller"
    feed(r, read, ok(read.request, data=b'{"brokerid":3,"timestamp":"9","version":1}', stat=stat()))
    assert (r.state, r.active_controller_id, r.is_active) == (ControllerState.STANDBY, 3, False)


def test_a_create_whose_answer_was_lost_is_recognised_as_ours() -> None:
    r = role()
    _, create = r.on_session_connected(resumed=False, now_ms=NOW).coordination
    [read] = feed(
        r, create, error_response(create.request, KeeperErrorCode.NODEEXISTS, Zxid(3))
    ).coordination
    step = feed(
        r, read, ok(read.request, data=b'{"brokerid":1,"timestamp":"9","version":1}', stat=stat())
    )
    assert r.state is ControllerState.ELECTED and ops(step) == [
        ("GetDataRequest", "/controller_epoch")
    ]


def test_the_first_controller_creates_the_epoch_znode_at_0_and_takes_epoch_1() -> None:
    r = role()
    watch, create = r.on_session_connected(resumed=False, now_ms=NOW).coordination
    [read] = feed(r, create, ok(create.request, path="/controller")).coordination
    [make] = feed(
        r, read, error_response(read.request, KeeperErrorCode.NONODE, Zxid(3))
    ).coordination
    assert isinstance(make.request, CreateRequest) and make.request.data == b"0"
    [reread] = feed(r, make, ok(make.request, path="/controller_epoch")).coordination
    [write] = feed(r, reread, ok(reread.request, data=b"0", stat=stat(version=0))).coordination
    assert isinstance(write.request, SetDataRequest) and write.request.data == b"1"
    feed(r, write, ok(write.request, stat=stat(version=1)))
    assert r.state is ControllerState.LOADING and r.controller_epoch == 1
    del watch


def test_a_rival_bumping_the_epoch_first_makes_the_role_read_and_try_again() -> None:
    r = role()
    _, create = r.on_session_connected(resumed=False, now_ms=NOW).coordination
    [read] = feed(r, create, ok(create.request, path="/controller")).coordination
    [write] = feed(r, read, ok(read.request, data=b"2", stat=stat(version=4))).coordination
    [reread] = feed(
        r, write, error_response(write.request, KeeperErrorCode.BADVERSION, Zxid(3))
    ).coordination
    [rewrite] = feed(r, reread, ok(reread.request, data=b"3", stat=stat(version=5))).coordination
    assert isinstance(rewrite.request, SetDataRequest)
    assert (rewrite.request.data, rewrite.request.version) == (b"4", 5)


def test_loading_creates_the_top_level_znodes_and_scans_brokers_and_topics() -> None:
    r = role()
    loading = elect(r)
    assert ops(loading) == [
        ("CreateRequest", "/brokers"),
        ("CreateRequest", "/brokers/ids"),
        ("CreateRequest", "/brokers/topics"),
        ("CreateRequest", "/admin"),
        ("CreateRequest", "/admin/delete_topics"),
        ("CreateRequest", "/isr_change_notification"),
        ("CreateRequest", "/config"),
        ("CreateRequest", "/config/topics"),
        ("GetChildrenRequest", "/brokers/ids"),
        ("GetChildrenRequest", "/brokers/topics"),
    ]
    assert all(
        c.request.watch for c in loading.coordination if isinstance(c.request, GetChildrenRequest)
    )
    assert not r.is_active


def test_once_loaded_the_role_is_active_tells_every_broker_and_watches_the_rest() -> None:
    r = role()
    active = load(r, elect(r))
    assert r.is_active and r.controller_epoch == 3
    assert ops(active) == [
        ("GetChildrenRequest", "/admin/delete_topics"),
        ("GetChildrenRequest", "/isr_change_notification"),
    ]
    assert active.outputs == (), "the batch waits until the scans in progress are done"
    deletions, notifications = active.coordination
    feed(r, deletions, ok(deletions.request, children=(), stat=stat()))
    last = feed(r, notifications, ok(notifications.request, children=(), stat=stat()))
    sends = [o for o in last.outputs if isinstance(o, Send)]
    assert [(s.to, type(s.message.body).__name__) for s in sends] == [  # type: ignore[attr-defined]
        ("broker-1", "UpdateMetadataRequest"),
        ("broker-2", "UpdateMetadataRequest"),
    ]
    assert all(s.message.body.controller_epoch == 3 for s in sends)  # type: ignore[attr-defined]


def test_answers_from_an_earlier_tenure_are_ignored() -> None:
    r = role()
    loading = elect(r)
    r.on_session_expired(NOW)
    assert r.state is ControllerState.STANDBY
    ids = next(
        c
        for c in loading.coordination
        if isinstance(c.request, GetChildrenRequest) and c.request.path == "/brokers/ids"
    )
    late = feed(r, ids, ok(ids.request, children=("1",), stat=stat()))
    assert late == RoleStep() and r.context.live_brokers == {}


def test_session_expiry_resigns_and_answers_waiting_requests_not_controller() -> None:
    r = role()
    load(r, elect(r))
    request = envelope.request(
        DeleteTopicsRequest(topic_names=("t",), timeout_ms=1), correlation_id=4
    )
    r.context.assignments["t"] = {}  # type: ignore[index]
    step = r.on_message(NodeId("client"), request, NOW)
    assert ops(step) == [("CreateRequest", "/admin/delete_topics/t")]
    resigned = r.on_session_expired(NOW)
    [answer] = resigned.outputs
    assert isinstance(answer, Send) and answer.to == "client"
    assert isinstance(answer.message, KafkaResponse) and answer.message.correlation_id == 4
    body = answer.message.body
    assert isinstance(body, DeleteTopicsResponse)
    assert [(x.name, x.error_code) for x in body.responses] == [("t", ErrorCode.NOT_CONTROLLER)]
    assert r.state is ControllerState.STANDBY and not r.is_active


def test_a_lost_connection_during_loading_reloads_when_the_session_resumes() -> None:
    r = role()
    loading = elect(r)
    ids = next(
        c
        for c in loading.coordination
        if isinstance(c.request, GetChildrenRequest) and c.request.path == "/brokers/ids"
    )
    feed(r, ids, error_response(ids.request, KeeperErrorCode.CONNECTIONLOSS, Zxid(3)))
    assert r.resync_needed
    resumed = r.on_session_connected(resumed=True, now_ms=NOW)
    assert ("GetChildrenRequest", "/brokers/ids") in ops(resumed)
    assert r.state is ControllerState.LOADING and r.controller_epoch == 3, "the epoch is kept"


def test_a_resumed_session_without_losses_changes_nothing() -> None:
    r = role()
    elect(r)
    assert r.on_session_connected(resumed=True, now_ms=NOW) == RoleStep()


def test_create_topics_while_not_active_is_answered_not_controller() -> None:
    r = role()
    topic = CreatableTopic(
        name="t", num_partitions=1, replication_factor=1, assignments=(), configs=()
    )
    request = envelope.request(CreateTopicsRequest(topics=(topic,)), correlation_id=9)
    [answer] = r.on_message(NodeId("client"), request, NOW).outputs
    assert isinstance(answer, Send) and isinstance(answer.message, KafkaResponse)
    assert isinstance(answer.message.body, CreateTopicsResponse)
    assert answer.message.body.topics[0].error_code == ErrorCode.NOT_CONTROLLER


def test_the_controller_znode_deleted_under_an_active_role_makes_it_resign_and_stand() -> None:
    r = role()
    load(r, elect(r))
    event = WatchEvent(
        type=EventType.NodeDeleted, state=KeeperState.SyncConnected, path="/controller"
    )
    step = r.on_coordination_event(WatchTriggered(event=event), NOW)
    assert r.state is ControllerState.STANDBY
    assert ops(step) == [("ExistsRequest", "/controller"), ("CreateRequest", "/controller")]


def test_timers_and_messages_that_are_not_the_roles_do_nothing() -> None:
    r = role()
    assert r.on_timer("controller:resend:x", NOW) == RoleStep()
    assert r.on_timer("something-else", NOW) == RoleStep()
    assert r.on_connection_lost(NodeId("client-7"), NOW) == RoleStep()
    stray = RequestCompleted(
        xid=1,
        ctx="controller:nonsense",
        response=error_response(GetDataRequest(xid=1, path="/x"), KeeperErrorCode.OK, Zxid(1)),
    )
    assert r.on_coordination_event(stray, NOW) == RoleStep()


@pytest.mark.parametrize("state", list(ControllerState))
def test_the_transition_table_names_every_state(state: ControllerState) -> None:
    assert state in TRANSITIONS
    assert ControllerState.ACTIVE not in TRANSITIONS[ControllerState.STANDBY]


def test_an_illegal_transition_is_a_bug_caught_by_an_assertion() -> None:
    r = role()
    with pytest.raises(AssertionError, match="illegal controller transition"):
        r.become_active()


def test_a_role_is_plain_data_a_copy_equals_it_and_continues_identically() -> None:
    r = role()
    loading = elect(r)
    twin = copy.deepcopy(r)
    assert twin == r and twin is not r
    ids = next(
        c
        for c in loading.coordination
        if isinstance(c.request, GetChildrenRequest) and c.request.path == "/brokers/ids"
    )
    answer = ok(ids.request, children=("1",), stat=stat())
    assert feed(twin, ids, answer) == feed(r, ids, answer)
    assert twin == r
    twin.generation += 1
    assert twin != r
