"""Sessions: who is connected, for how long they may stay silent, and when they expire.

Theory of operation
-------------------
A client opens a *session* with a ``ConnectRequest``.  The server chooses the session timeout by
clamping the client's wish into ``[minSessionTimeout, maxSessionTimeout]`` (ZooKeeper's
``processConnectRequest``; by default 2 and 20 ``tickTime``\\s), and gives the session an id.

Ids are made as ZooKeeper's ``SessionTrackerImpl.initializeNextSessionId`` makes them: the server
id in the top byte, the start time in the next five, zeros below, then one more per session.  A
standalone server has server id 1, so ids look like ``0x100000000000000`` (what ``ephemeralOwner``
shows for an ephemeral znode).  The start time is the ``now_ms`` passed to ``on_start``, so ids are
deterministic.

**Liveness.** Every message from the session's connection (a request or a ping) *touches* the
session: its deadline moves to ``now + timeout``, rounded *up* to the next multiple of
``tickTime``.  Rounding puts sessions into tick-sized buckets, as ZooKeeper's ``ExpiryQueue``
does, so one timer per bucket expires them all; a session therefore expires after more than its
timeout of silence and no more than one tick later (COORD-9).

**Connections are not sessions.** A session is carried by at most one connection (``peer``).
When the connection breaks the session lives on, *detached*: its ephemeral znodes stay and its
watches stay, and events for it are held.  If the client reconnects (a ``ConnectRequest`` naming the
session) before the deadline, it gets the same session back with the held events.  If not, the
session expires.  This is why a partitioned Kafka broker keeps its ``/brokers/ids/<id>`` znode,
and is still "alive" to the controller, until its session timeout runs out.

Spec IDs: COORD-6 (ending a session), COORD-9 (timeouts and expiry).

Simplified from Kafka: ZooKeeper also lets the client library ask for a timeout on reconnect and
checks a session password; glasskafka keeps the timeout chosen at creation and has no passwords.
A session resumed from another connection moves there and the old connection carries no session
any more (its requests get ``SESSIONEXPIRED``); ZooKeeper closes the old connection instead and
answers stragglers with ``SESSIONMOVED``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from glasskafka.coordination.codes import SessionId
from glasskafka.coordination.messages import WatchEvent
from glasskafka.ids import Millis, NodeId

__all__ = ["SERVER_ID", "Session", "SessionTracker", "initial_session_id"]

SERVER_ID = 1
"""The server id a standalone ZooKeeper puts in session ids (``createSessionTrackerServerId``)."""

_MASK_64 = (1 << 64) - 1


def initial_session_id(now_ms: Millis, server_id: int = SERVER_ID) -> SessionId:
    """ZooKeeper's first session id: ``(time << 24) >>> 8 | server_id << 56`` in 64 bits."""
    return SessionId((((now_ms << 24) & _MASK_64) >> 8) | (server_id << 56))


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """One live session, as the server sees it."""

    session_id: SessionId
    timeout_ms: int
    expires_at_ms: Millis
    peer: NodeId | None
    """The client node whose connection carries the session; ``None`` while disconnected."""
    held_events: tuple[WatchEvent, ...] = ()
    """Watch events that fired while disconnected, sent on reconnect (oldest first)."""


@dataclass(slots=True, kw_only=True)
class SessionTracker:
    """Every live session, which connection carries which, and their deadlines."""

    tick_time_ms: int
    min_session_timeout_ms: int
    max_session_timeout_ms: int
    next_session_id: SessionId = field(default_factory=lambda: initial_session_id(Millis(0)))
    sessions: dict[SessionId, Session] = field(default_factory=dict)
    connections: dict[NodeId, SessionId] = field(default_factory=dict)

    def negotiate_timeout(self, requested_ms: int) -> int:
        """Clamp the client's wish into ``[minSessionTimeout, maxSessionTimeout]``.

        Invariants: COORD-9
        """
        return max(self.min_session_timeout_ms, min(requested_ms, self.max_session_timeout_ms))

    def deadline(self, now_ms: Millis, *, timeout_ms: int) -> Millis:
        """``now + timeout`` rounded up to the next tick (``ExpiryQueue.roundToNextInterval``)."""
        return Millis(((now_ms + timeout_ms) // self.tick_time_ms + 1) * self.tick_time_ms)

    def open(self, peer: NodeId, *, requested_timeout_ms: int, now_ms: Millis) -> Session:
        """Create a session carried by ``peer`` (which drops any session it carried before)."""
        session_id = self.next_session_id
        self.next_session_id = SessionId(session_id + 1)
        timeout_ms = self.negotiate_timeout(requested_timeout_ms)
        self.sessions[session_id] = Session(
            session_id=session_id,
            timeout_ms=timeout_ms,
            expires_at_ms=self.deadline(now_ms, timeout_ms=timeout_ms),
            peer=None,
        )
        return self.attach(session_id, peer, now_ms=now_ms)

    def attach(self, session_id: SessionId, peer: NodeId, *, now_ms: Millis) -> Session:
        """Let ``peer``'s connection carry live session ``session_id`` from now on.

        The session leaves any connection that carried it, and ``peer`` stops carrying any other
        session (that one lives on detached until it expires or is resumed).
        """
        self.detach_peer(peer)
        session = self.sessions[session_id]
        if session.peer is not None:
            self.detach_peer(session.peer)
        self.connections[peer] = session_id
        self.sessions[session_id] = dataclasses.replace(self.sessions[session_id], peer=peer)
        return self.touch(session_id, now_ms=now_ms)

    def detach_peer(self, peer: NodeId) -> None:
        """``peer``'s connection broke or moved on: its session (if any) lives on, detached."""
        session_id = self.connections.pop(peer, None)
        if session_id is not None and session_id in self.sessions:
            self.sessions[session_id] = dataclasses.replace(self.sessions[session_id], peer=None)

    def session_of(self, peer: NodeId) -> Session | None:
        """The live session ``peer``'s connection carries, if any."""
        session_id = self.connections.get(peer)
        return None if session_id is None else self.sessions.get(session_id)

    def touch(self, session_id: SessionId, *, now_ms: Millis) -> Session:
        """The session was heard from: move its deadline.  Invariants: COORD-9"""
        session = self.sessions[session_id]
        session = dataclasses.replace(
            session, expires_at_ms=self.deadline(now_ms, timeout_ms=session.timeout_ms)
        )
        self.sessions[session_id] = session
        return session

    def hold(self, session_id: SessionId, event: WatchEvent) -> None:
        """Keep ``event`` for a detached session until it reconnects."""
        session = self.sessions[session_id]
        held = (*session.held_events, event)
        self.sessions[session_id] = dataclasses.replace(session, held_events=held)

    def take_held(self, session_id: SessionId) -> tuple[WatchEvent, ...]:
        """Remove and return the events held for ``session_id``, oldest first."""
        session = self.sessions[session_id]
        self.sessions[session_id] = dataclasses.replace(session, held_events=())
        return session.held_events

    def due(self, now_ms: Millis) -> list[SessionId]:
        """Sessions whose deadline has come, by deadline then id.  Invariants: COORD-9"""
        due = [s for s in self.sessions.values() if s.expires_at_ms <= now_ms]
        return [s.session_id for s in sorted(due, key=lambda s: (s.expires_at_ms, s.session_id))]

    def next_deadline_ms(self) -> Millis | None:
        """The earliest deadline of any live session, or ``None`` if there are none."""
        return min((s.expires_at_ms for s in self.sessions.values()), default=None)

    def remove(self, session_id: SessionId) -> Session:
        """Forget an ended session (and its connection, if it had one)."""
        session = self.sessions.pop(session_id)
        if session.peer is not None:
            self.connections.pop(session.peer, None)
        return session

    def check_invariants(self) -> None:
        """Assert that connections and sessions point at each other."""
        for peer, session_id in sorted(self.connections.items()):
            assert session_id in self.sessions, f"{peer} carries ended session {session_id:#x}"
            assert self.sessions[session_id].peer == peer, f"{peer} and {session_id:#x} disagree"
        for session_id, session in sorted(self.sessions.items()):
            if session.peer is not None:
                assert self.connections.get(session.peer) == session_id, f"{session_id:#x} peer"
                assert not session.held_events, f"{session_id:#x} is connected but holds events"
            assert session.timeout_ms >= self.min_session_timeout_ms, "COORD-9: timeout too small"
            assert session.timeout_ms <= self.max_session_timeout_ms, "COORD-9: timeout too large"
