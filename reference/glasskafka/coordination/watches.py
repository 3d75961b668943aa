"""One-shot watches: which session is waiting for which change.

Theory of operation
-------------------
A read can leave a *watch* behind: a promise that the server will send the session one
:class:`~glasskafka.coordination.messages.WatchEvent` the next time the thing it read changes
(ZooKeeper Programmer's Guide, "ZooKeeper Watches").  There are two tables, as in ZooKeeper's
``DataTree``:

* **data watches**, set by ``getData`` (on an existing znode) and ``exists`` (on any path,
  existing or not);
* **child watches**, set by ``getChildren`` on an existing znode.

A change fires them like this (``DataTree.createNode``/``deleteNode``/``setData``):

=====================  ===========================================================
change at ``path``     fires
=====================  ===========================================================
NodeCreated            data watches on ``path``
NodeDataChanged        data watches on ``path``
NodeDeleted            data *and* child watches on ``path`` (one event per session)
NodeChildrenChanged    child watches on ``path`` (sent for the parent of a created
                       or deleted znode)
=====================  ===========================================================

A watch is **one-shot**: firing removes it, so a session hears about a change at most once per
watch it set and must read again (setting a new watch) to hear about the next one.  Changes made
between the event and the re-read are seen by the read, not as more events; that is the price of
one-shot watches and why clients re-read rather than count events.

A session that sets the same watch twice still gets one event (a table maps a path to a *set*
of sessions).  Watches belong to the session, not the connection: they survive a broken
connection and go only when the session ends (:meth:`WatchManager.remove_session`).

Spec IDs: COORD-4 (fires at most once, only after a matching change, never lost while the session
lives).

Simplified from Kafka: ZooKeeper keeps watches per *connection* and its client library sends them
again (``SetWatches``, with the last zxid it saw) after reconnecting, so that the server can fire
the ones whose change happened meanwhile; glasskafka keeps them per session on the server and holds
the events of a disconnected session until it reconnects -- the same guarantee, one message fewer.
ZooKeeper 3.6's persistent and recursive watches (``addWatch``) are left out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from glasskafka.coordination.codes import EventType, KeeperState, SessionId
from glasskafka.coordination.messages import WatchEvent
from glasskafka.coordination.tree import Change

__all__ = ["WatchKind", "WatchManager"]


class WatchKind(enum.Enum):
    """Which table a watch lives in (ZooKeeper's ``Watcher.WatcherType``)."""

    DATA = "data"
    CHILD = "child"


_FIRES: dict[EventType, tuple[WatchKind, ...]] = {
    EventType.NodeCreated: (WatchKind.DATA,),
    EventType.NodeDataChanged: (WatchKind.DATA,),
    EventType.NodeDeleted: (WatchKind.DATA, WatchKind.CHILD),
    EventType.NodeChildrenChanged: (WatchKind.CHILD,),
}
"""Which watch tables a change at a path fires (the table in the module docstring)."""


@dataclass(slots=True, kw_only=True)
class WatchManager:
    """The two watch tables: path -> sessions waiting on it."""

    data_watches: dict[str, set[SessionId]] = field(default_factory=dict)
    child_watches: dict[str, set[SessionId]] = field(default_factory=dict)

    def add(self, kind: WatchKind, path: str, session_id: SessionId) -> None:
        """Remember that ``session_id`` wants one event for the next ``kind`` change at ``path``."""
        self._table(kind).setdefault(path, set()).add(session_id)

    def trigger(self, change: Change) -> list[tuple[SessionId, WatchEvent]]:
        """Fire and remove every watch ``change`` matches; one event per session, by session id.

        Invariants: COORD-4
        """
        sessions: set[SessionId] = set()
        for kind in _FIRES[change.type]:
            sessions |= self._take(self._table(kind), change.path)
        event = WatchEvent(type=change.type, state=KeeperState.SyncConnected, path=change.path)
        return [(session_id, event) for session_id in sorted(sessions)]

    def _take(self, table: dict[str, set[SessionId]], path: str) -> set[SessionId]:
        """Remove and return the sessions watching ``path`` in ``table``: watches are one-shot."""
        return table.pop(path, set())

    def remove_session(self, session_id: SessionId) -> None:
        """Forget every watch of a session that has ended (it will never be told)."""
        for table in (self.data_watches, self.child_watches):
            for path in sorted(table):
                table[path].discard(session_id)
                if not table[path]:
                    del table[path]

    def watches_of(self, session_id: SessionId) -> list[tuple[WatchKind, str]]:
        """The watches ``session_id`` has set and not yet seen fire, sorted."""
        return [
            (kind, path)
            for kind in WatchKind
            for path, sessions in sorted(self._table(kind).items())
            if session_id in sessions
        ]

    def watching_sessions(self) -> list[SessionId]:
        """Every session with at least one watch set, sorted."""
        found: set[SessionId] = set()
        for table in (self.data_watches, self.child_watches):
            for sessions in table.values():
                found |= sessions
        return sorted(found)

    def _table(self, kind: WatchKind) -> dict[str, set[SessionId]]:
        return self.data_watches if kind is WatchKind.DATA else self.child_watches
