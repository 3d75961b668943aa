"""The controller role: one broker at a time runs the cluster's metadata.

Theory of operation
-------------------
Every broker embeds a :class:`ControllerRole`; the one that creates the ephemeral ``/controller``
znode becomes the active controller.  (This file is being filled in: today it holds the role's
surface and its standby behaviour.)

Spec IDs: CTRL-1, REPL-7, REPL-10, REPL-11.

Simplified from Kafka: see ``role.py``.
"""

from __future__ import annotations

import enum

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import BrokerConfig
from glasskafka.controller.role import RoleStep
from glasskafka.coordination.client import RequestCompleted, WatchTriggered
from glasskafka.ids import BrokerId, Epoch, Millis, NodeId
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse

__all__ = ["ControllerRole", "ControllerState"]


class ControllerState(enum.Enum):
    """Where the role stands in the election."""

    STANDBY = "STANDBY"
    ACTIVE = "ACTIVE"


class ControllerRole:
    """The controller role hosted by one broker (plain data; see ``role.py`` for the seam)."""

    def __init__(self, *, broker_id: BrokerId, config: BrokerConfig, bugs: BugFlags = NO_BUGS):
        self.broker_id = broker_id
        self.config = config
        self.bugs = bugs
        self.state = ControllerState.STANDBY
        self._controller_epoch = Epoch(0)

    @property
    def is_active(self) -> bool:
        """Whether this broker is the cluster's controller right now."""
        return self.state is ControllerState.ACTIVE

    @property
    def controller_epoch(self) -> Epoch:
        """The controller epoch this role last knew (its own while active)."""
        return self._controller_epoch

    def on_session_connected(self, *, resumed: bool, now_ms: Millis) -> RoleStep:
        del resumed, now_ms
        return RoleStep()

    def on_session_expired(self, now_ms: Millis) -> RoleStep:
        del now_ms
        self.state = ControllerState.STANDBY
        return RoleStep()

    def on_coordination_event(
        self, event: RequestCompleted | WatchTriggered, now_ms: Millis
    ) -> RoleStep:
        del event, now_ms
        return RoleStep()

    def on_message(
        self, sender: NodeId, message: KafkaRequest | KafkaResponse, now_ms: Millis
    ) -> RoleStep:
        del sender, message, now_ms
        return RoleStep()

    def on_timer(self, name: str, now_ms: Millis) -> RoleStep:
        del name, now_ms
        return RoleStep()

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> RoleStep:
        del peer, now_ms
        return RoleStep()

    def check_invariants(self) -> None:
        """The role's local invariants (none yet beyond its types)."""
