"""The COORD predicates themselves: each accepts a good history and flags a bad one.

The model suite (``test_coordination_model.py``) shows that the predicates catch broken servers;
these small cases pin down what each predicate means, including COORD-7, which no single-threaded
server can break (it answers each request before taking the next input), and the abstract model's
own rules.
"""

from __future__ import annotations

import pytest

from specs.catalogue import check, load_all
from specs.coordination import (
    ConditionalWrite,
    ModelCheck,
    RequestLog,
    SessionEnd,
    SessionLife,
    TreeModel,
    TreeSnapshot,
    VersionHistory,
    WatchEnded,
    WatchFired,
    WatchHistory,
    WatchSet,
    WatchStep,
    WatchWrite,
    ZnodeView,
    answers_come_in_order,
    answers_match_the_model,
    conditional_writes_follow_versions,
    ending_a_session_removes_exactly_its_ephemerals,
    ephemerals_belong_to_live_sessions,
    every_parent_exists,
    sessions_expire_only_after_silence,
    versions_count_writes_and_zxids_rise,
    watches_fire_once_after_a_change,
)

S1, S2 = 0x100, 0x200


def view(
    *, children: tuple[str, ...] = (), owner: int = 0, version: int = 0, zxid: int = 1
) -> ZnodeView:
    return ZnodeView(
        data=b"",
        version=version,
        cversion=0,
        czxid=zxid,
        mzxid=zxid,
        pzxid=zxid,
        ephemeral_owner=owner,
        children=children,
    )


def tree(znodes: dict[str, ZnodeView], live: frozenset[int] = frozenset({S1})) -> TreeSnapshot:
    return TreeSnapshot(znodes=znodes, live_sessions=live, last_zxid=10)


GOOD_TREE = tree(
    {"/": view(children=("a",), zxid=0), "/a": view(children=("e",)), "/a/e": view(owner=S1)}
)


def test_every_coord_id_is_registered() -> None:
    ids = [spec_id for spec_id in load_all() if spec_id.startswith("COORD-")]
    assert ids == [f"COORD-{n}" for n in range(1, 10)]


def test_coord_1_flags_orphans_and_dangling_children() -> None:
    assert every_parent_exists(GOOD_TREE) == []
    orphan = tree({"/": view(), "/a/b": view()})
    dangling = tree({"/": view(children=("ghost",))})
    assert every_parent_exists(orphan) == ["/a/b exists but its parent /a does not"]
    assert every_parent_exists(dangling) == ["/ lists child ghost but /ghost does not exist"]
    with pytest.raises(AssertionError, match="COORD-1"):
        check("COORD-1", every_parent_exists(orphan))


def test_coord_2_flags_dead_owners_and_ephemeral_parents() -> None:
    assert ephemerals_belong_to_live_sessions(GOOD_TREE) == []
    dead = tree({"/": view(children=("e",)), "/e": view(owner=S2)})
    parent = tree({"/": view(children=("e",)), "/e": view(owner=S1, children=("x",))})
    assert ephemerals_belong_to_live_sessions(dead) == ["/e is owned by 0x200, not a live session"]
    assert ephemerals_belong_to_live_sessions(parent) == ["ephemeral /e has children ['x']"]


def test_coord_3_flags_wrong_versions_and_falling_zxids() -> None:
    good = VersionHistory(tree=GOOD_TREE, set_data_counts={}, write_zxids=[3, 5, 9])
    assert versions_count_writes_and_zxids_rise(good) == []
    miscounted = VersionHistory(tree=GOOD_TREE, set_data_counts={"/a": 2}, write_zxids=[])
    falling = VersionHistory(tree=GOOD_TREE, set_data_counts={}, write_zxids=[5, 5])
    beyond = VersionHistory(tree=GOOD_TREE, set_data_counts={}, write_zxids=[11])
    assert versions_count_writes_and_zxids_rise(miscounted) == [
        "/a has version 0 after 2 setData calls"
    ]
    assert versions_count_writes_and_zxids_rise(falling) == [
        "a write answered with zxid 5 after one with zxid 5"
    ]
    assert versions_count_writes_and_zxids_rise(beyond) == ["zxid 11 is beyond the last 10"]


def test_coord_4_accepts_one_event_per_watch_and_change() -> None:
    steps: list[WatchStep] = [
        WatchSet(session_id=S1, path="/a", kind="data"),
        WatchSet(session_id=S1, path="/a", kind="child"),
        WatchWrite(path="/a", change="deleted"),  # fires both watches: one event
        WatchFired(session_id=S1, path="/a", event="NodeDeleted"),
        WatchSet(session_id=S2, path="/b", kind="data"),  # exists on a missing znode
        WatchWrite(path="/b", change="created"),
        WatchFired(session_id=S2, path="/b", event="NodeCreated"),
    ]
    history = WatchHistory(steps=steps, connected=frozenset({S1, S2}))
    assert watches_fire_once_after_a_change(history) == []


def test_coord_4_flags_a_second_event_an_unprompted_event_and_a_lost_one() -> None:
    twice: list[WatchStep] = [
        WatchSet(session_id=S1, path="/a", kind="data"),
        WatchWrite(path="/a", change="set"),
        WatchFired(session_id=S1, path="/a", event="NodeDataChanged"),
        WatchWrite(path="/a", change="set"),
        WatchFired(session_id=S1, path="/a", event="NodeDataChanged"),
    ]
    unprompted: list[WatchStep] = [WatchFired(session_id=S1, path="/a", event="NodeCreated")]
    lost: list[WatchStep] = [
        WatchSet(session_id=S1, path="/a", kind="child"),
        WatchWrite(path="/a/x", change="created"),
    ]
    connected = frozenset({S1})
    assert (
        len(watches_fire_once_after_a_change(WatchHistory(steps=twice, connected=connected))) == 1
    )
    assert (
        len(watches_fire_once_after_a_change(WatchHistory(steps=unprompted, connected=connected)))
        == 1
    )
    assert watches_fire_once_after_a_change(WatchHistory(steps=lost, connected=connected)) == [
        "session 0x100 was never sent NodeChildrenChanged at /a"
    ]
    # A disconnected session is owed the event later; an ended one is owed nothing.
    assert watches_fire_once_after_a_change(WatchHistory(steps=lost, connected=frozenset())) == []
    ended: list[WatchStep] = [*lost, WatchEnded(session_id=S1)]
    assert watches_fire_once_after_a_change(WatchHistory(steps=ended, connected=connected)) == []


def test_coord_5_needs_a_matching_version() -> None:
    def write(
        expected: int, before: int | None, error: str, children: bool = False
    ) -> ConditionalWrite:
        return ConditionalWrite(
            operation="delete",
            path="/a",
            expected_version=expected,
            version_before=before,
            had_children=children,
            error=error,
        )

    good = [
        write(-1, 3, "OK"),
        write(3, 3, "OK"),
        write(2, 3, "BADVERSION"),
        write(0, None, "NONODE"),
    ]
    assert conditional_writes_follow_versions(good) == []
    assert conditional_writes_follow_versions([write(3, 3, "NOTEMPTY", children=True)]) == []
    assert conditional_writes_follow_versions([write(2, 3, "OK")]) == [
        "delete /a expecting version 2 (it had 3) answered OK, not BADVERSION"
    ]


def test_coord_6_removes_exactly_the_owned_ephemerals() -> None:
    after = tree({"/": view(children=("a",), zxid=0), "/a": view()}, live=frozenset())
    good = SessionEnd(ended=frozenset({S1}), before=GOOD_TREE, after=after)
    assert ending_a_session_removes_exactly_its_ephemerals([good]) == []
    kept = SessionEnd(ended=frozenset({S1}), before=GOOD_TREE, after=GOOD_TREE)
    assert ending_a_session_removes_exactly_its_ephemerals([kept]) == [
        "/a/e outlived its owner 0x100",
        "session 0x100 ended but is still live",
    ]
    too_much = SessionEnd(
        ended=frozenset({S1}), before=GOOD_TREE, after=tree({"/": view()}, frozenset())
    )
    assert ending_a_session_removes_exactly_its_ephemerals([too_much]) == [
        "/a vanished when sessions [256] ended"
    ]


def test_coord_7_flags_answers_out_of_order_or_unasked() -> None:
    assert answers_come_in_order([RequestLog(sent=[1, 2, 3], answered=[1, 3])]) == []
    assert answers_come_in_order([RequestLog(sent=[1, 2], answered=[2, 1])]) == [
        "xid 1 answered after a later request"
    ]
    assert answers_come_in_order([RequestLog(sent=[1], answered=[1, 1, 7])]) == [
        "answer for xid 1, which was not sent or already answered",
        "answer for xid 7, which was not sent or already answered",
    ]
    with pytest.raises(AssertionError, match="COORD-7"):
        check("COORD-7", answers_come_in_order([RequestLog(sent=[1, 2], answered=[2, 1])]))


def test_coord_8_flags_disagreement() -> None:
    same = ModelCheck(operation="get /a", observed="OK", expected="OK")
    differ = ModelCheck(operation="get /a", observed="NONODE", expected="OK")
    assert answers_match_the_model([same]) == []
    assert answers_match_the_model([differ]) == ["get /a: server said NONODE, the model says OK"]


def test_coord_9_bounds_expiry_between_timeout_and_one_tick_later() -> None:
    def life(expired: int | None, now: int, timeout: int = 4000) -> SessionLife:
        return SessionLife(
            session_id=S1,
            requested_timeout_ms=1000,
            timeout_ms=timeout,
            last_heard_ms=1000,
            expired_at_ms=expired,
            closed=False,
            now_ms=now,
            tick_time_ms=2000,
            min_session_timeout_ms=4000,
            max_session_timeout_ms=40000,
        )

    assert sessions_expire_only_after_silence([life(6000, 6000), life(None, 6999)]) == []
    assert len(sessions_expire_only_after_silence([life(5000, 5000)])) == 1  # too early
    assert len(sessions_expire_only_after_silence([life(None, 7000)])) == 1  # too late
    assert (
        len(sessions_expire_only_after_silence([life(None, 0, timeout=1000)])) == 1
    )  # not clamped


def test_the_abstract_model_follows_zookeepers_rules() -> None:
    model = TreeModel()
    assert model.create("/a", b"x", owner=0, sequential=False) == ("OK", "/a")
    assert model.create("/a", b"x", owner=0, sequential=False) == ("NODEEXISTS", "")
    assert model.create("/a/q-", b"", owner=0, sequential=True) == ("OK", "/a/q-0000000000")
    assert model.create("/a/q-", b"", owner=0, sequential=True) == ("OK", "/a/q-0000000001")
    assert model.create("/e", b"", owner=S1, sequential=False) == ("OK", "/e")
    assert model.create("/e/x", b"", owner=0, sequential=False) == ("NOCHILDRENFOREPHEMERALS", "")
    assert model.create("/none/x", b"", owner=0, sequential=False) == ("NONODE", "")
    assert model.create("/bad/", b"", owner=0, sequential=False) == ("BADARGUMENTS", "")
    assert model.set("/a", b"y", 1) == "BADVERSION"
    assert model.set("/a", b"y", 0) == "OK"
    assert model.delete("/a", -1) == "NOTEMPTY"
    assert model.delete("/zookeeper", -1) == "BADARGUMENTS"
    assert model.children("/a") == ("q-0000000000", "q-0000000001")
    assert model.end_session(S1) == ["/e"]
    assert model.read("/e") is None
