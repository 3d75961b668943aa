"""The seam between the broker node and the controller role it hosts.

Theory of operation
-------------------
In ZooKeeper-era Kafka every broker runs a ``KafkaController``, and the one whose ephemeral
``/controller`` znode exists is *the* controller.  glasskafka does the same: a
:class:`ControllerRole` is plain data embedded in every ``BrokerNode``.  The role never performs
I/O and never imports the broker; it answers every input with a :class:`RoleStep`:

* ``outputs`` -- messages to send (LeaderAndIsr, UpdateMetadata, StopReplica to brokers, answers
  to CreateTopics/DeleteTopics) and timers to set, which the broker passes to its driver.  A
  message to the role's own broker is delivered locally by the broker, because the network has no
  connection from a node to itself;
* ``coordination`` -- requests for the coordination service, which the broker submits through
  its own session (so ``/controller`` is the broker's ephemeral and dies with its session).  Each
  carries a ``ctx`` starting with ``"controller:"``; the answer comes back through
  :meth:`ControllerRole.on_coordination_event` with the same ``ctx``.

Each coordination request already carries an ``xid`` from the role's own range (``zk_ops.py``:
from 2**30 up, clear of the 1-upward numbers of the broker's client), so the broker may submit it
as it is or renumber it through its client; the role matches answers by ``ctx`` alone.

The broker routes to the role: session changes, every coordination answer whose ``ctx`` starts
with ``"controller:"``, every watch event (brokers themselves set no watches), CreateTopics and
DeleteTopics requests while the role is active (otherwise the broker answers NOT_CONTROLLER), the
responses to the role's own requests, its timers (named ``"controller:…"``) and lost connections.

Spec IDs: CTRL-1 (controller epochs), REPL-7, REPL-10, REPL-11 (elections).

Simplified from Kafka: Kafka's controller keeps its own connection per broker
(``ControllerChannelManager``) and its own event queue thread; glasskafka's role shares the
broker's connections and runs on the broker's single input loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.coordination.messages import SessionRequest
from glasskafka.node import Output

__all__ = ["CONTROLLER_CTX_PREFIX", "CoordinationRequest", "RoleStep"]

CONTROLLER_CTX_PREFIX = "controller:"
"""Every coordination ``ctx`` and timer name of the role starts with this."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CoordinationRequest:
    """A coordination-service request the hosting broker submits through its session."""

    request: SessionRequest
    ctx: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleStep:
    """What one input to the role produced."""

    outputs: tuple[Output, ...] = ()
    coordination: tuple[CoordinationRequest, ...] = ()

    def __add__(self, other: RoleStep) -> RoleStep:
        return RoleStep(
            outputs=self.outputs + other.outputs,
            coordination=self.coordination + other.coordination,
        )
