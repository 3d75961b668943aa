"""The controller role: election, topics and placement, leader election, metadata to brokers."""

from glasskafka.controller.controller import ControllerRole, ControllerState
from glasskafka.controller.role import CONTROLLER_CTX_PREFIX, CoordinationRequest, RoleStep

__all__ = [
    "CONTROLLER_CTX_PREFIX",
    "ControllerRole",
    "ControllerState",
    "CoordinationRequest",
    "RoleStep",
]
