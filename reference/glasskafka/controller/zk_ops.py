"""The role's coordination requests: an outbox, their xids, and the ``ctx`` that routes answers.

Theory of operation
-------------------
The controller role does no I/O (``role.py``): while it handles one input it *queues* the
coordination requests it wants in a :class:`ZkOutbox`, and at the end of the input the role drains
the outbox into its :class:`~glasskafka.controller.role.RoleStep`.  This is etcd-raft's pattern
(``raft.msgs`` filled during a step, handed out by ``Ready``), and it lets every part of the role
ask for a read or a write without threading lists of outputs through each call.

**xids.**  A ZooKeeper request carries an ``xid`` chosen by the client.  The hosting broker's
:class:`~glasskafka.coordination.client.CoordinationClient` numbers its own requests from 1; the
role numbers its requests from :data:`ROLE_XID_BASE` (2**30) upward, so the two never collide in
the client's table of pending requests and the broker can submit the role's requests unchanged.

**ctx.**  Every answer comes back with the ``ctx`` string its request was submitted with.  The role
writes it as ``controller:<kind>:<generation>:<step>:<arguments>``:

* ``kind`` names the part of the role that asked (``elect``, ``epoch``, ``state``, ``brokers``...);
* ``generation`` is the role's tenure counter: it changes whenever the role wins, resigns or
  resynchronises, so a late answer to a request from an earlier tenure is recognised and ignored;
* ``step`` says which request of that part it was (``read``, ``write``...);
* the arguments are ``:``-separated, with a topic name always last, because a topic created by
  hand through ``zk-shell`` might contain a ``:``.

Spec IDs: none (plumbing).

Simplified from Kafka: Kafka's ``ZooKeeperClient`` passes an arbitrary object as ``ctx`` and
blocks its caller until the answer arrives (``retryRequestsUntilConnected``); glasskafka's role
never blocks, so its context must be plain data that says where to resume.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.controller.role import CONTROLLER_CTX_PREFIX, CoordinationRequest
from glasskafka.coordination.messages import (
    ANY_VERSION,
    CreateRequest,
    DeleteRequest,
    ExistsRequest,
    GetChildrenRequest,
    GetDataRequest,
    SessionRequest,
    SetDataRequest,
)

__all__ = ["ROLE_XID_BASE", "RoleCtx", "ZkOutbox", "make_ctx", "parse_ctx"]

ROLE_XID_BASE = 1 << 30
"""The first xid the role uses (the broker's client uses 1 upward)."""

_XID_LIMIT = 2**31 - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleCtx:
    """A parsed ``ctx``: which part asked, in which generation, for which step, about what."""

    kind: str
    generation: int
    step: str
    rest: str

    def split(self, count: int) -> list[str]:
        """The arguments: ``count`` leading fields, then the rest (a topic) as one field."""
        return self.rest.split(":", count)


def make_ctx(kind: str, generation: int, step: str, *args: object) -> str:
    """``controller:<kind>:<generation>:<step>:<args...>`` (put a topic name last)."""
    return ":".join((CONTROLLER_CTX_PREFIX + kind, str(generation), step, *map(str, args)))


def parse_ctx(ctx: str) -> RoleCtx | None:
    """The parts of a ``ctx`` made by :func:`make_ctx`, or ``None`` if it is not one."""
    if not ctx.startswith(CONTROLLER_CTX_PREFIX):
        return None
    parts = ctx[len(CONTROLLER_CTX_PREFIX) :].split(":", 3)
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    kind, generation, step = parts[0], int(parts[1]), parts[2]
    return RoleCtx(
        kind=kind, generation=generation, step=step, rest=parts[3] if len(parts) > 3 else ""
    )


@dataclass(slots=True, kw_only=True)
class ZkOutbox:
    """Coordination requests queued during one input, with the role's own xids."""

    next_xid: int = ROLE_XID_BASE
    queued: list[CoordinationRequest] = field(default_factory=list)

    def _xid(self) -> int:
        xid = self.next_xid
        self.next_xid = xid + 1 if xid < _XID_LIMIT else ROLE_XID_BASE
        return xid

    def _queue(self, request: SessionRequest, ctx: str) -> None:
        self.queued.append(CoordinationRequest(request=request, ctx=ctx))

    def create(self, path: str, data: bytes = b"", *, ctx: str, ephemeral: bool = False) -> None:
        self._queue(CreateRequest(xid=self._xid(), path=path, data=data, ephemeral=ephemeral), ctx)

    def delete(self, path: str, *, ctx: str, version: int = ANY_VERSION) -> None:
        self._queue(DeleteRequest(xid=self._xid(), path=path, version=version), ctx)

    def exists(self, path: str, *, ctx: str, watch: bool = False) -> None:
        self._queue(ExistsRequest(xid=self._xid(), path=path, watch=watch), ctx)

    def get_data(self, path: str, *, ctx: str, watch: bool = False) -> None:
        self._queue(GetDataRequest(xid=self._xid(), path=path, watch=watch), ctx)

    def get_children(self, path: str, *, ctx: str, watch: bool = False) -> None:
        self._queue(GetChildrenRequest(xid=self._xid(), path=path, watch=watch), ctx)

    def set_data(self, path: str, data: bytes, *, ctx: str, version: int = ANY_VERSION) -> None:
        request = SetDataRequest(xid=self._xid(), path=path, data=data, version=version)
        self._queue(request, ctx)

    def drain(self) -> tuple[CoordinationRequest, ...]:
        """Everything queued since the last drain, in order; the outbox is then empty."""
        queued, self.queued = tuple(self.queued), []
        return queued
