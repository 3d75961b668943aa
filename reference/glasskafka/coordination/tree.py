"""The znode tree: ZooKeeper's ``DataTree`` and the checks its ``PrepRequestProcessor`` makes.

Theory of operation
-------------------
The tree is a dict from path to :class:`~glasskafka.coordination.znode.Znode`.  Each znode lists its
children's names, so the tree is both a flat map (for lookups by path) and a tree (for ``ls``).

Each write method checks the request the way ZooKeeper's ``PrepRequestProcessor`` does, in the
same order, and either refuses it with a :class:`KeeperErrorCode` and changes nothing, or applies it
with the zxid and time the server hands in and reports the changes that watches care about:

* ``create`` is refused with BADARGUMENTS (bad path), NONODE (no parent), NODEEXISTS, then
  NOCHILDRENFOREPHEMERALS (the parent is ephemeral); it reports ``NodeCreated`` at the path and
  ``NodeChildrenChanged`` at the parent.
* ``delete`` is refused with BADARGUMENTS (bad path, or one of the special znodes), NONODE,
  BADVERSION, then NOTEMPTY; it reports ``NodeDeleted`` at the path and ``NodeChildrenChanged`` at
  the parent.
* ``setData`` is refused with BADARGUMENTS (bad path), NONODE, then BADVERSION; it reports
  ``NodeDataChanged`` at the path.

Every successful write keeps the stat exact: ``create`` sets the new znode's ``czxid``, ``mzxid``
and ``pzxid`` to the zxid and bumps the parent's ``cversion`` and ``pzxid``; ``delete`` moves the
parent's ``pzxid`` only (ZOOKEEPER-1046); ``setData`` bumps ``version`` and sets ``mzxid`` and
``mtime``.  A write never half-happens: every check runs before anything changes.

The version check, :meth:`DataTree.version_matches`, is ZooKeeper's ``checkAndIncVersion``: the
expected version must equal the znode's, unless it is ``-1``.

Spec IDs: COORD-1 (parents exist, children lists agree), COORD-2 (no children under an
ephemeral), COORD-3 (``version`` and zxids), COORD-5 (conditional writes).

Simplified from Kafka: ZooKeeper splits this work between a request processor that predicts the
outcome (so it can pipeline many writes) and the ``DataTree`` that applies committed transactions;
with one server and one request at a time, glasskafka checks and applies in one step.  ZooKeeper
checks a create's parent before the path's own syntax; glasskafka checks the syntax first (the
client library refuses bad paths before sending anyway).
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field

from glasskafka.coordination.codes import EventType, KeeperErrorCode, SessionId, Zxid
from glasskafka.coordination.messages import ANY_VERSION
from glasskafka.coordination.paths import (
    ROOT,
    SPECIAL_PATHS,
    child_path,
    name_of,
    parent_of,
    path_problem,
    sequential_path,
)
from glasskafka.coordination.znode import Stat, Znode
from glasskafka.ids import Millis

__all__ = ["Change", "DataTree", "TreeResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """Something a write did that a watch on ``path`` may be waiting for."""

    path: str
    type: EventType


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeResult:
    """The outcome of one write: an error (and nothing changed) or what changed."""

    error: KeeperErrorCode
    path: str = ""
    stat: Stat | None = None
    changes: tuple[Change, ...] = ()


def _initial_znodes() -> dict[str, Znode]:
    """ZooKeeper's starting tree: ``/`` and ``/zookeeper`` with ``config`` and ``quota``.

    They are made outside any transaction, so their zxids and times are all 0 (``stat /zookeeper``
    prints ``cZxid = 0x0`` and a 1970 ``ctime`` on a real server too).
    """
    empty = Znode(
        data=b"",
        czxid=Zxid(0),
        mzxid=Zxid(0),
        pzxid=Zxid(0),
        ctime_ms=Millis(0),
        mtime_ms=Millis(0),
    )
    return {
        "/": dataclasses.replace(empty, children=("zookeeper",)),
        "/zookeeper": dataclasses.replace(empty, children=("config", "quota")),
        "/zookeeper/config": empty,
        "/zookeeper/quota": empty,
    }


@dataclass(slots=True, kw_only=True)
class DataTree:
    """All znodes by path; changed only by :meth:`create`, :meth:`delete` and :meth:`set_data`."""

    znodes: dict[str, Znode] = field(default_factory=_initial_znodes)

    def get(self, path: str) -> Znode | None:
        """The znode at ``path``, or ``None``."""
        return self.znodes.get(path)

    def paths(self) -> list[str]:
        """Every path in the tree, sorted."""
        return sorted(self.znodes)

    def ephemerals_of(self, session_id: SessionId) -> list[str]:
        """The paths of the ephemeral znodes ``session_id`` owns, sorted."""
        return sorted(p for p, z in self.znodes.items() if z.ephemeral_owner == session_id)

    def version_matches(self, *, expected: int, actual: int) -> bool:
        """ZooKeeper's ``checkAndIncVersion`` test: ``-1`` matches anything.  Invariants: COORD-5"""
        return expected in (ANY_VERSION, actual)

    # -----------------------------------------------------------------------------------------
    # Writes

    def create(
        self,
        path: str,
        data: bytes,
        *,
        owner: SessionId,
        sequential: bool,
        zxid: Zxid,
        now_ms: Millis,
    ) -> TreeResult:
        """Create ``path`` (with the parent's ``cversion`` appended if ``sequential``).

        ``owner`` is the session for an ephemeral znode, ``0`` for a persistent one.  Returns the
        path created and the new znode's stat.  Invariants: COORD-1, COORD-2, COORD-3
        """
        if path_problem(path, sequential=sequential) is not None:
            return TreeResult(error=KeeperErrorCode.BADARGUMENTS, path=path)
        if path == ROOT:
            return TreeResult(error=KeeperErrorCode.NODEEXISTS, path=path)
        parent_path = parent_of(path)
        parent = self.znodes.get(parent_path)
        if parent is None:
            return TreeResult(error=KeeperErrorCode.NONODE, path=path)
        if sequential:
            # The sequence number is the parent's cversion, which only ever grows, so names
            # never repeat (PrepRequestProcessor.pRequest2TxnCreate).
            path = sequential_path(path, parent.cversion)
        if path in self.znodes:
            return TreeResult(error=KeeperErrorCode.NODEEXISTS, path=path)
        if parent.ephemeral:
            return TreeResult(error=KeeperErrorCode.NOCHILDRENFOREPHEMERALS, path=path)
        znode = Znode(
            data=data,
            czxid=zxid,
            mzxid=zxid,
            pzxid=zxid,
            ctime_ms=now_ms,
            mtime_ms=now_ms,
            ephemeral_owner=owner,
        )
        children = list(parent.children)
        bisect.insort(children, name_of(path))
        self.znodes[parent_path] = dataclasses.replace(
            parent, children=tuple(children), cversion=parent.cversion + 1, pzxid=zxid
        )
        self.znodes[path] = znode
        return TreeResult(
            error=KeeperErrorCode.OK,
            path=path,
            stat=znode.stat(),
            changes=(
                Change(path=path, type=EventType.NodeCreated),
                Change(path=parent_path, type=EventType.NodeChildrenChanged),
            ),
        )

    def delete(self, path: str, *, version: int, zxid: Zxid) -> TreeResult:
        """Delete ``path`` if its version matches and it has no children.

        Invariants: COORD-1, COORD-5
        """
        if path_problem(path) is not None or path in SPECIAL_PATHS:
            return TreeResult(error=KeeperErrorCode.BADARGUMENTS, path=path)
        znode = self.znodes.get(path)
        if znode is None:
            return TreeResult(error=KeeperErrorCode.NONODE, path=path)
        if not self.version_matches(expected=version, actual=znode.version):
            return TreeResult(error=KeeperErrorCode.BADVERSION, path=path)
        if znode.children:
            return TreeResult(error=KeeperErrorCode.NOTEMPTY, path=path)
        return self._remove(path, zxid=zxid)

    def delete_ephemeral(self, path: str, *, zxid: Zxid) -> TreeResult:
        """Delete an ephemeral znode because its session ended (no version check).

        Ephemeral znodes never have children (COORD-2), so this cannot fail.
        Invariants: COORD-2, COORD-6
        """
        znode = self.znodes[path]
        assert znode.ephemeral and not znode.children, f"COORD-2: {path} is not a bare ephemeral"
        return self._remove(path, zxid=zxid)

    def _remove(self, path: str, *, zxid: Zxid) -> TreeResult:
        parent_path = parent_of(path)
        parent = self.znodes[parent_path]
        name = name_of(path)
        # A delete moves the parent's pzxid but not its cversion (ZOOKEEPER-1046).
        self.znodes[parent_path] = dataclasses.replace(
            parent, children=tuple(c for c in parent.children if c != name), pzxid=zxid
        )
        del self.znodes[path]
        return TreeResult(
            error=KeeperErrorCode.OK,
            path=path,
            changes=(
                Change(path=path, type=EventType.NodeDeleted),
                Change(path=parent_path, type=EventType.NodeChildrenChanged),
            ),
        )

    def set_data(
        self, path: str, data: bytes, *, version: int, zxid: Zxid, now_ms: Millis
    ) -> TreeResult:
        """Replace the data of ``path`` if its version matches; its version goes up by one.

        Invariants: COORD-3, COORD-5
        """
        if path_problem(path) is not None:
            return TreeResult(error=KeeperErrorCode.BADARGUMENTS, path=path)
        znode = self.znodes.get(path)
        if znode is None:
            return TreeResult(error=KeeperErrorCode.NONODE, path=path)
        if not self.version_matches(expected=version, actual=znode.version):
            return TreeResult(error=KeeperErrorCode.BADVERSION, path=path)
        updated = dataclasses.replace(
            znode, data=data, version=znode.version + 1, mzxid=zxid, mtime_ms=now_ms
        )
        self.znodes[path] = updated
        return TreeResult(
            error=KeeperErrorCode.OK,
            path=path,
            stat=updated.stat(),
            changes=(Change(path=path, type=EventType.NodeDataChanged),),
        )

    # -----------------------------------------------------------------------------------------
    # Local invariants

    def check_invariants(self, *, last_zxid: Zxid, live_sessions: set[SessionId]) -> None:
        """Assert COORD-1, COORD-2 and the local half of COORD-3 over the whole tree."""
        for path, znode in sorted(self.znodes.items()):
            if path != ROOT:
                parent = self.znodes.get(parent_of(path))
                assert parent is not None, f"COORD-1: {path} has no parent"
                assert name_of(path) in parent.children, f"COORD-1: {path} not listed by parent"
            for name in znode.children:
                assert child_path(path, name) in self.znodes, f"COORD-1: {path} lists {name}"
            assert list(znode.children) == sorted(set(znode.children)), f"COORD-1: {path} children"
            if znode.ephemeral:
                assert znode.ephemeral_owner in live_sessions, f"COORD-2: {path} owner is gone"
                assert not znode.children, f"COORD-2: ephemeral {path} has children"
            assert znode.czxid <= znode.mzxid <= last_zxid, f"COORD-3: {path} czxid/mzxid"
            assert znode.czxid <= znode.pzxid <= last_zxid, f"COORD-3: {path} pzxid"
