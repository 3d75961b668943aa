"""The controlled mode's choices: what may happen next, for the caller to pick.

Theory of operation
-------------------
Run on its own, the simulator performs events in the order of their scheduled times, which the
seeded network delays decide.  In the controlled mode the caller -- usually a Hypothesis rule --
is the scheduler instead: ``Simulator.pending()`` lists every step that could happen now, and
``Simulator.deliver(choice)`` performs the one chosen.  Three kinds of step exist:

* :class:`DeliverMessage` -- the head of one connection arrives.  Any connection's head may be
  chosen, whatever its scheduled time, because network delays are arbitrary (DESIGN §3); what the
  network never offers is a message that is not at its connection's head (SIM-1);
* :class:`ReportLoss` -- a node learns that one of its connections broke;
* :class:`FireTimer` -- a timer whose time has come fires.  Timers are listed only once due, so
  the caller lets time pass with ``advance_time`` to make a later timer eligible.

A choice performs at the current time; the clock does not move.  ``pending()`` lists the
choices in a stable order (deliveries by connection, then notices by connection, then timers
by due time, node and name), so the same history always offers the same list, and a Hypothesis
counterexample that picks "choice 2" replays exactly.

Spec IDs: SIM-1 (only connection heads are offered), SIM-2 (a choice happens once).

Simplified from Kafka: a real network and a real scheduler interleave whatever they like; this
mode lets a test reach every interleaving the model allows, one at a time, which is how etcd's raft
tests (``raft/rafttest``) and TLA+ models explore orderings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message
from glasskafka.sim.host import Host
from glasskafka.sim.network import Network

__all__ = ["Choice", "DeliverMessage", "FireTimer", "ReportLoss", "list_pending"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverMessage:
    """Deliver message ``sequence``, the head of the connection ``sender -> receiver``."""

    sender: NodeId
    receiver: NodeId
    sequence: int
    message: Message


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportLoss:
    """Tell ``node_id`` that its connection to ``peer`` broke (notice ``sequence``)."""

    node_id: NodeId
    peer: NodeId
    sequence: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FireTimer:
    """Fire timer ``name`` of ``node_id``, due since ``at_ms``."""

    node_id: NodeId
    name: str
    at_ms: Millis


Choice = DeliverMessage | ReportLoss | FireTimer
"""One step the caller may choose in the controlled mode."""


def list_pending(network: Network, hosts: Mapping[NodeId, Host], now_ms: Millis) -> list[Choice]:
    """Every step that may happen at ``now_ms``: connection heads, loss notices, due timers.

    Deliveries and notices come by (sender, receiver); timers by due time, node and name.
    """
    choices: list[Choice] = [
        DeliverMessage(
            sender=head.sender, receiver=head.receiver, sequence=head.sequence, message=head.message
        )
        for head in network.deliverable()
    ]
    choices += [
        ReportLoss(node_id=node_id, peer=peer, sequence=sequence)
        for node_id, peer, sequence in network.untold()
    ]
    due = sorted(
        (timer.at_ms, node_id, name)
        for node_id, host in hosts.items()
        for name, timer in host.timers.items()
        if timer.at_ms <= now_ms
    )
    choices += [FireTimer(node_id=node_id, name=name, at_ms=at_ms) for at_ms, node_id, name in due]
    return choices
