"""The coordination service: what ZooKeeper promises Kafka, as checkable predicates.

Specification
-------------
The service keeps a tree of *znodes*.  Every znode except the root has a parent that exists and
lists it as a child (COORD-1).  A znode is *persistent* or *ephemeral*; an ephemeral znode belongs
to one live session and has no children (COORD-2).  Each znode has a data *version* that counts
the ``setData`` calls since it was created, and every change gets a *zxid* larger than every
earlier one, so zxids order all changes (COORD-3).

A client may leave a *watch* when it reads.  A watch fires at most once, and only after a change
that matches it; once a matching change has happened, the server has sent the event on the
session's connection -- or, while the session is disconnected, holds it and sends it when the
session reconnects -- unless the session ended first (COORD-4).  "Sent" is what an observer of the
server's outputs sees: an event in flight when a connection breaks is lost with the connection,
like every other message (DESIGN §3), so a client re-reads what it watches after reconnecting.

``setData`` and ``delete`` may name the version they expect.  They succeed if and only if the
znode exists and the expected version is its version or ``-1``; a ``delete`` also needs the znode
to have no children (COORD-5).

A session ends by ``close`` or by *expiry*.  Ending removes exactly the ephemeral znodes the
session owned and nothing else (COORD-6).  The server answers one session's requests in the
order they were sent (COORD-7).  With a single server every answer is what a plain dict of
paths would give for the same sequence of operations: reads see every write answered before them
(COORD-8).  A session's timeout is the client's wish clamped into the server's
``[minSessionTimeout, maxSessionTimeout]``, and a session expires only after that much time without
hearing from its client, and within one ``tickTime`` after it (COORD-9).

:class:`TreeModel` is the obviously-correct abstract model COORD-8 compares against: a dict from
path to (data, version, owner), with children found by scanning the keys.

The predicates read plain snapshots recorded by the model tests: the tree as the server shows it
(:class:`TreeSnapshot`) and logs of what clients sent and saw.  None of them looks inside a node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from specs.catalogue import spec

__all__ = [
    "ANY_VERSION",
    "ConditionalWrite",
    "EventName",
    "ModelCheck",
    "ModelZnode",
    "RequestLog",
    "SessionEnd",
    "SessionLife",
    "TreeModel",
    "TreeSnapshot",
    "VersionHistory",
    "WatchEnded",
    "WatchFired",
    "WatchHistory",
    "WatchKindName",
    "WatchSet",
    "WatchStep",
    "WatchWrite",
    "ZnodeView",
    "answers_come_in_order",
    "answers_match_the_model",
    "conditional_writes_follow_versions",
    "ending_a_session_removes_exactly_its_ephemerals",
    "ephemerals_belong_to_live_sessions",
    "every_parent_exists",
    "sessions_expire_only_after_silence",
    "versions_count_writes_and_zxids_rise",
    "watches_fire_once_after_a_change",
]

ANY_VERSION = -1
ROOT = "/"


def _parent(path: str) -> str:
    return path[: path.rindex("/")] or ROOT


def _name(path: str) -> str:
    return path[path.rindex("/") + 1 :]


# ---------------------------------------------------------------------------------------------
# Snapshots


@dataclass(frozen=True, slots=True, kw_only=True)
class ZnodeView:
    """One znode as a client could see it with ``get -s`` and ``ls``."""

    data: bytes
    version: int
    cversion: int
    czxid: int
    mzxid: int
    pzxid: int
    ephemeral_owner: int
    children: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeSnapshot:
    """Every znode by path, the live sessions, and the last zxid the server handed out."""

    znodes: Mapping[str, ZnodeView]
    live_sessions: frozenset[int]
    last_zxid: int


@spec("COORD-1", "every znode's parent exists")
def every_parent_exists(tree: TreeSnapshot) -> list[str]:
    """Every znode but the root has a parent that exists and lists it as a child, and every
    child a znode lists exists."""
    violations = []
    for path, znode in sorted(tree.znodes.items()):
        if path != ROOT:
            parent = tree.znodes.get(_parent(path))
            if parent is None:
                violations.append(f"{path} exists but its parent {_parent(path)} does not")
            elif _name(path) not in parent.children:
                violations.append(f"{path} exists but {_parent(path)} does not list it")
        for child in znode.children:
            child_path = f"/{child}" if path == ROOT else f"{path}/{child}"
            if child_path not in tree.znodes:
                violations.append(f"{path} lists child {child} but {child_path} does not exist")
    return violations


@spec("COORD-2", "ephemeral znodes belong to live sessions and have no children")
def ephemerals_belong_to_live_sessions(tree: TreeSnapshot) -> list[str]:
    """An ephemeral znode's owner is a live session, and an ephemeral znode has no children."""
    violations = []
    for path, znode in sorted(tree.znodes.items()):
        if znode.ephemeral_owner == 0:
            continue
        if znode.ephemeral_owner not in tree.live_sessions:
            violations.append(f"{path} is owned by {znode.ephemeral_owner:#x}, not a live session")
        if znode.children:
            violations.append(f"ephemeral {path} has children {list(znode.children)}")
    return violations


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionHistory:
    """The tree now, the successful ``setData`` calls per path since its creation, and the zxids
    of every write's answer in the order answered."""

    tree: TreeSnapshot
    set_data_counts: Mapping[str, int]
    write_zxids: Sequence[int]


@spec("COORD-3", "versions count setData calls and zxids rise")
def versions_count_writes_and_zxids_rise(history: VersionHistory) -> list[str]:
    """A znode's version is the number of successful setData calls since it was created; every
    successful write is answered with a zxid larger than every earlier one; and a znode's
    czxid <= mzxid and czxid <= pzxid, both <= the last zxid."""
    violations = []
    tree = history.tree
    for path, znode in sorted(tree.znodes.items()):
        expected = history.set_data_counts.get(path, 0)
        if znode.version != expected:
            violations.append(f"{path} has version {znode.version} after {expected} setData calls")
        if not znode.czxid <= znode.mzxid <= tree.last_zxid:
            violations.append(f"{path}: czxid {znode.czxid}, mzxid {znode.mzxid} out of order")
        if not znode.czxid <= znode.pzxid <= tree.last_zxid:
            violations.append(f"{path}: czxid {znode.czxid}, pzxid {znode.pzxid} out of order")
    for earlier, later in zip(history.write_zxids, history.write_zxids[1:], strict=False):
        if later <= earlier:
            violations.append(f"a write answered with zxid {later} after one with zxid {earlier}")
    if history.write_zxids and history.write_zxids[-1] > tree.last_zxid:
        violations.append(f"zxid {history.write_zxids[-1]} is beyond the last {tree.last_zxid}")
    return violations


# ---------------------------------------------------------------------------------------------
# Watches

WatchKindName = Literal["data", "child"]
EventName = Literal["NodeCreated", "NodeDeleted", "NodeDataChanged", "NodeChildrenChanged"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchSet:
    """A read answered: ``session_id`` now has a ``kind`` watch on ``path``."""

    session_id: int
    path: str
    kind: WatchKindName


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchWrite:
    """A change clients could observe: ``path`` was created, deleted or had its data set."""

    path: str
    change: Literal["created", "deleted", "set"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchFired:
    """The server sent ``session_id`` a watch event (whether or not the network delivered it)."""

    session_id: int
    path: str
    event: EventName


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchEnded:
    """``session_id`` ended (closed or expired): it is owed nothing more."""

    session_id: int


WatchStep = WatchSet | WatchWrite | WatchFired | WatchEnded


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchHistory:
    """Everything that matters to watches, in order, and the sessions connected right now."""

    steps: Sequence[WatchStep]
    connected: frozenset[int]


_TRIGGERS: dict[str, tuple[tuple[str, EventName], ...]] = {
    # (where, event): "self" is the written path, "parent" its parent.
    "created": (("self", "NodeCreated"), ("parent", "NodeChildrenChanged")),
    "deleted": (("self", "NodeDeleted"), ("parent", "NodeChildrenChanged")),
    "set": (("self", "NodeDataChanged"),),
}
_FIRES: dict[EventName, tuple[WatchKindName, ...]] = {
    "NodeCreated": ("data",),
    "NodeDataChanged": ("data",),
    "NodeDeleted": ("data", "child"),
    "NodeChildrenChanged": ("child",),
}


@spec("COORD-4", "a watch fires once, after a matching change, and is not lost")
def watches_fire_once_after_a_change(history: WatchHistory) -> list[str]:
    """A watch fires at most once and only after a change that matches it (data watches: the
    znode created, set or deleted; child watches: a child created or deleted, or the znode
    deleted); once such a change has happened, the server has sent the event to the session if it
    is connected (and holds it for a disconnected one), unless the session ended first."""
    pending: dict[tuple[int, str], set[str]] = {}
    owed: Counter[tuple[int, str, str]] = Counter()
    violations = []
    for step in history.steps:
        match step:
            case WatchSet():
                pending.setdefault((step.session_id, step.path), set()).add(step.kind)
            case WatchWrite():
                for where, event in _TRIGGERS[step.change]:
                    path = step.path if where == "self" else _parent(step.path)
                    _trigger(pending, owed, path, event)
            case WatchFired():
                key = (step.session_id, step.path, step.event)
                if owed[key] == 0:
                    violations.append(
                        f"session {step.session_id:#x} was sent {step.event} at {step.path} "
                        "without a pending watch and a matching change since it was set"
                    )
                else:
                    owed[key] -= 1
            case WatchEnded():
                pending = {k: v for k, v in pending.items() if k[0] != step.session_id}
                owed = Counter({k: n for k, n in owed.items() if k[0] != step.session_id})
    for (session_id, path, name), count in sorted(owed.items()):
        if count and session_id in history.connected:
            violations.append(f"session {session_id:#x} was never sent {name} at {path}")
    return violations


def _trigger(
    pending: dict[tuple[int, str], set[str]],
    owed: Counter[tuple[int, str, str]],
    path: str,
    event: EventName,
) -> None:
    """Fire (and remove) every pending watch on ``path`` that ``event`` matches: one per session."""
    for key in sorted(k for k in pending if k[1] == path):
        kinds = pending[key]
        matched = kinds & set(_FIRES[event])
        if matched:
            kinds -= matched
            owed[(key[0], path, event)] += 1
            if not kinds:
                del pending[key]


# ---------------------------------------------------------------------------------------------
# Conditional writes, session ends, ordering


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionalWrite:
    """A ``setData`` or ``delete``: what it expected, what the znode was just before, the answer.

    ``version_before`` is ``None`` if the znode did not exist; ``error`` is the code's name.
    """

    operation: Literal["set", "delete"]
    path: str
    expected_version: int
    version_before: int | None
    had_children: bool
    error: str


@spec("COORD-5", "conditional set and delete succeed iff the version matches")
def conditional_writes_follow_versions(writes: Sequence[ConditionalWrite]) -> list[str]:
    """A setData or delete on an existing znode succeeds if and only if the expected version is
    -1 or equals the znode's version (a delete also needs no children); otherwise it fails with
    BADVERSION (or NOTEMPTY), and on a missing znode with NONODE."""
    violations = []
    for write in writes:
        if write.version_before is None:
            wanted = "NONODE"
        elif write.expected_version not in (ANY_VERSION, write.version_before):
            wanted = "BADVERSION"
        elif write.operation == "delete" and write.had_children:
            wanted = "NOTEMPTY"
        else:
            wanted = "OK"
        if write.error != wanted:
            violations.append(
                f"{write.operation} {write.path} expecting version {write.expected_version} "
                f"(it had {write.version_before}) answered {write.error}, not {wanted}"
            )
    return violations


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEnd:
    """One step in which sessions ended: the tree before and after it."""

    ended: frozenset[int]
    before: TreeSnapshot
    after: TreeSnapshot


@spec("COORD-6", "ending a session removes exactly its ephemerals", kind="transition")
def ending_a_session_removes_exactly_its_ephemerals(ends: Sequence[SessionEnd]) -> list[str]:
    """When sessions end (close or expiry), the znodes removed are exactly the ephemeral znodes
    they owned, and the sessions are no longer live."""
    violations = []
    for end in ends:
        owned = {p for p, z in end.before.znodes.items() if z.ephemeral_owner in end.ended}
        removed = set(end.before.znodes) - set(end.after.znodes)
        added = set(end.after.znodes) - set(end.before.znodes)
        for path in sorted(owned - removed):
            violations.append(
                f"{path} outlived its owner {end.before.znodes[path].ephemeral_owner:#x}"
            )
        for path in sorted(removed - owned):
            violations.append(f"{path} vanished when sessions {sorted(end.ended)} ended")
        violations += [f"{path} appeared when sessions ended" for path in sorted(added)]
        for session_id in sorted(end.ended & end.after.live_sessions):
            violations.append(f"session {session_id:#x} ended but is still live")
    return violations


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestLog:
    """One connection's requests: xids in the order sent, and in the order answered."""

    sent: Sequence[int]
    answered: Sequence[int]


@spec("COORD-7", "a session's requests are answered in order")
def answers_come_in_order(logs: Sequence[RequestLog]) -> list[str]:
    """On each connection, every answer is for a request that was sent and not yet answered, and
    answers come in the order the requests were sent."""
    violations = []
    for log in logs:
        position = {xid: index for index, xid in enumerate(log.sent)}
        last = -1
        seen: set[int] = set()
        for xid in log.answered:
            if xid not in position or xid in seen:
                violations.append(f"answer for xid {xid}, which was not sent or already answered")
            elif position[xid] < last:
                violations.append(f"xid {xid} answered after a later request")
            else:
                last = position[xid]
            seen.add(xid)
    return violations


# ---------------------------------------------------------------------------------------------
# The abstract model


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelCheck:
    """One answer: what the server said and what :class:`TreeModel` says, both as text."""

    operation: str
    observed: str
    expected: str


@spec("COORD-8", "every answer agrees with the abstract model")
def answers_match_the_model(checks: Sequence[ModelCheck]) -> list[str]:
    """Every answer (error code, created path, data, version, children) equals what a plain dict
    of paths gives for the same operations in the same order: reads see every earlier write."""
    return [
        f"{c.operation}: server said {c.observed}, the model says {c.expected}"
        for c in checks
        if c.observed != c.expected
    ]


@dataclass(slots=True, kw_only=True)
class ModelZnode:
    """The abstract model's znode: just data, version and owner."""

    data: bytes
    version: int = 0
    owner: int = 0


def _legal(path: str) -> bool:
    """A simple reading of ZooKeeper's path rules, enough for the paths the tests generate."""
    if path == ROOT:
        return True
    parts = path.split("/")
    return (
        path.startswith("/")
        and all(part not in ("", ".", "..") for part in parts[1:])
        and all(" " <= ch < "\x7f" for ch in path)
    )


@dataclass(slots=True, kw_only=True)
class TreeModel:
    """The obviously-correct model of the znode tree: a dict of paths, scanned for children."""

    nodes: dict[str, ModelZnode] = field(
        default_factory=lambda: {
            p: ModelZnode(data=b"")
            for p in ("/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota")
        }
    )
    creations: Counter[str] = field(default_factory=Counter)

    def children(self, path: str) -> tuple[str, ...]:
        """The names of ``path``'s children, sorted."""
        return tuple(sorted(_name(p) for p in self.nodes if p != ROOT and _parent(p) == path))

    def create(self, path: str, data: bytes, *, owner: int, sequential: bool) -> tuple[str, str]:
        """(error, created path) for a create."""
        if not _legal(path + ("1" if sequential else "")):
            return "BADARGUMENTS", ""
        if path == ROOT:
            return "NODEEXISTS", ""
        parent = _parent(path)
        if parent not in self.nodes:
            return "NONODE", ""
        if sequential:
            path = f"{path}{self.creations[parent]:010d}"
        if path in self.nodes:
            return "NODEEXISTS", ""
        if self.nodes[parent].owner:
            return "NOCHILDRENFOREPHEMERALS", ""
        self.nodes[path] = ModelZnode(data=data, owner=owner)
        self.creations[parent] += 1
        return "OK", path

    def delete(self, path: str, version: int) -> str:
        """The error for a delete."""
        if not _legal(path) or path in ("/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"):
            return "BADARGUMENTS"
        if path not in self.nodes:
            return "NONODE"
        if version not in (ANY_VERSION, self.nodes[path].version):
            return "BADVERSION"
        if self.children(path):
            return "NOTEMPTY"
        del self.nodes[path]
        return "OK"

    def set(self, path: str, data: bytes, version: int) -> str:
        """The error for a setData."""
        if not _legal(path):
            return "BADARGUMENTS"
        if path not in self.nodes:
            return "NONODE"
        if version not in (ANY_VERSION, self.nodes[path].version):
            return "BADVERSION"
        self.nodes[path] = ModelZnode(
            data=data, version=self.nodes[path].version + 1, owner=self.nodes[path].owner
        )
        return "OK"

    def read(self, path: str) -> ModelZnode | Literal["BADARGUMENTS"] | None:
        """The znode a read of ``path`` sees (``None``: NONODE)."""
        return "BADARGUMENTS" if not _legal(path) else self.nodes.get(path)

    def end_session(self, owner: int) -> list[str]:
        """Remove ``owner``'s ephemerals; return their paths, sorted."""
        gone = sorted(p for p, z in self.nodes.items() if z.owner == owner)
        for path in gone:
            del self.nodes[path]
        return gone


# ---------------------------------------------------------------------------------------------
# Sessions and time


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionLife:
    """One session's life as its client saw it, and the server settings that bound it.

    ``ended_at_ms`` is when it expired (``None`` while live or if it was closed); ``now_ms`` is
    the time of the check.
    """

    session_id: int
    requested_timeout_ms: int
    timeout_ms: int
    last_heard_ms: int
    expired_at_ms: int | None
    closed: bool
    now_ms: int
    tick_time_ms: int
    min_session_timeout_ms: int
    max_session_timeout_ms: int


@spec("COORD-9", "sessions expire only after their timeout of silence")
def sessions_expire_only_after_silence(lives: Sequence[SessionLife]) -> list[str]:
    """The negotiated timeout is the requested one clamped into [minSessionTimeout,
    maxSessionTimeout]; a session expires only after more than its timeout without a message
    from its client, and no more than one tickTime after that."""
    violations = []
    for life in lives:
        wanted = max(
            life.min_session_timeout_ms, min(life.requested_timeout_ms, life.max_session_timeout_ms)
        )
        if life.timeout_ms != wanted:
            violations.append(
                f"session {life.session_id:#x} asked {life.requested_timeout_ms} ms and got "
                f"{life.timeout_ms}, not {wanted}"
            )
        silent_until = life.last_heard_ms + life.timeout_ms
        if life.expired_at_ms is not None and life.expired_at_ms <= silent_until:
            violations.append(
                f"session {life.session_id:#x} expired at {life.expired_at_ms} ms, but was heard "
                f"at {life.last_heard_ms} ms with a {life.timeout_ms} ms timeout"
            )
        late = life.now_ms >= silent_until + life.tick_time_ms
        if life.expired_at_ms is None and not life.closed and late:
            violations.append(
                f"session {life.session_id:#x} silent since {life.last_heard_ms} ms is still live "
                f"at {life.now_ms} ms with a {life.timeout_ms} ms timeout"
            )
    return violations
