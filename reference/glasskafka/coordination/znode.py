"""A znode and its ``Stat``: the unit of data in the coordination service.

Theory of operation
-------------------
Each znode holds a small byte string and a ``Stat`` that records its history (ZooKeeper
Programmer's Guide, "ZooKeeper Stat Structure"):

===================  ============================================================================
``czxid``            the zxid of the change that created the znode
``mzxid``            the zxid of the change that last set its data (``czxid`` until the first set)
``pzxid``            the zxid of the change that last created or deleted one of its children
``ctime_ms``         when it was created (ms since the epoch, as the server stored it)
``mtime_ms``         when its data was last set
``version``          the number of ``setData`` calls since creation (``dataVersion`` in zkCli)
``cversion``         the number of children created under it (see below)
``aversion``         the number of ACL changes (always 0 here: glasskafka has no ACLs)
``ephemeral_owner``  the session that owns an ephemeral znode, ``0`` for a persistent one
``data_length``      the length of its data
``num_children``     how many children it has
===================  ============================================================================

``cversion`` counts child *creations* only.  ZooKeeper's guide calls it "the number of changes to
the children", but since ZOOKEEPER-1046 a delete moves ``pzxid`` and leaves ``cversion`` alone,
because sequential names are made from ``cversion`` and must never repeat.

:class:`Znode` is an immutable value: the tree replaces a znode to change it, so a snapshot of the
tree is just a dict copy, and a before/after pair can be compared field by field.

Spec IDs: COORD-1 (children listed here exist), COORD-2 (``ephemeral_owner``), COORD-3
(``version`` and the zxids).

Simplified from Kafka: ZooKeeper keeps ``data_length`` and ``num_children`` out of the persisted
stat and computes them when asked; glasskafka does the same through :meth:`Znode.stat`.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.coordination.codes import NO_SESSION, SessionId, Zxid
from glasskafka.ids import Millis

__all__ = ["Stat", "Znode"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Stat:
    """ZooKeeper's ``Stat`` of one znode, as returned by ``exists``, ``getData``, ``setData``."""

    czxid: Zxid
    mzxid: Zxid
    ctime_ms: Millis
    mtime_ms: Millis
    version: int
    cversion: int
    aversion: int
    ephemeral_owner: SessionId
    data_length: int
    num_children: int
    pzxid: Zxid


@dataclass(frozen=True, slots=True, kw_only=True)
class Znode:
    """One znode: its data, its history, and the names of its children (sorted)."""

    data: bytes
    czxid: Zxid
    mzxid: Zxid
    pzxid: Zxid
    ctime_ms: Millis
    mtime_ms: Millis
    version: int = 0
    cversion: int = 0
    aversion: int = 0
    ephemeral_owner: SessionId = NO_SESSION
    children: tuple[str, ...] = ()

    @property
    def ephemeral(self) -> bool:
        """Whether a session owns this znode (it goes when the session ends)."""
        return self.ephemeral_owner != 0

    def stat(self) -> Stat:
        """The ``Stat`` a client sees for this znode."""
        return Stat(
            czxid=self.czxid,
            mzxid=self.mzxid,
            ctime_ms=self.ctime_ms,
            mtime_ms=self.mtime_ms,
            version=self.version,
            cversion=self.cversion,
            aversion=self.aversion,
            ephemeral_owner=self.ephemeral_owner,
            data_length=len(self.data),
            num_children=len(self.children),
            pzxid=self.pzxid,
        )
