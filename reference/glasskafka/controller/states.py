"""The controller role's states, the legal changes between them, and their picture.

Theory of operation
-------------------
STYLE rule 4: a role is an ``Enum`` and its legal transitions are a table beside it, from which
the docs' diagram is drawn.  The :class:`~glasskafka.controller.controller.ControllerRole` changes
state only in its ``become_*`` methods, and each asserts that the change is in
:data:`TRANSITIONS`:

* ``STANDBY`` -> ``ELECTED``: the broker created the ephemeral ``/controller`` znode;
* ``ELECTED`` -> ``LOADING``: it bumped ``/controller_epoch`` with a compare-and-set (CTRL-1);
* ``LOADING`` -> ``ACTIVE``: it has read the live brokers and every topic;
* any -> ``STANDBY``: it resigned (session expired, ``/controller`` deleted or taken over);
* ``ELECTED`` -> ``ELECTED`` and ``LOADING``/``ACTIVE`` -> ``LOADING``: the session resumed after
  requests were lost with the connection, so the phase starts again (keeping the epoch once it
  has one).

Spec IDs: CTRL-1 (no state past ``ELECTED`` without a bumped epoch).

Simplified from Kafka: Kafka's ``KafkaController`` has no named states; it is active when
``activeControllerId`` is its own id, and its failover runs as one blocking event.  glasskafka's
role does the same work without blocking, so the phases need names.
"""

from __future__ import annotations

import enum

__all__ = ["TRANSITIONS", "ControllerState", "transitions_dot"]


class ControllerState(enum.Enum):
    """Where the role stands (see the module docstring)."""

    STANDBY = "STANDBY"
    ELECTED = "ELECTED"
    LOADING = "LOADING"
    ACTIVE = "ACTIVE"


TRANSITIONS: dict[ControllerState, frozenset[ControllerState]] = {
    ControllerState.STANDBY: frozenset({ControllerState.ELECTED}),
    ControllerState.ELECTED: frozenset(
        {ControllerState.STANDBY, ControllerState.ELECTED, ControllerState.LOADING}
    ),
    ControllerState.LOADING: frozenset(
        {ControllerState.STANDBY, ControllerState.LOADING, ControllerState.ACTIVE}
    ),
    ControllerState.ACTIVE: frozenset({ControllerState.STANDBY, ControllerState.LOADING}),
}
"""The legal state changes: ``ELECTED -> ELECTED`` and ``* -> LOADING`` are resynchronisations."""

_EDGE_LABELS = {
    (ControllerState.STANDBY, ControllerState.ELECTED): "created /controller",
    (ControllerState.ELECTED, ControllerState.LOADING): "/controller_epoch + 1",
    (ControllerState.ELECTED, ControllerState.ELECTED): "session resumed\\nafter a loss",
    (ControllerState.LOADING, ControllerState.ACTIVE): "brokers and topics read",
    (ControllerState.LOADING, ControllerState.LOADING): "session resumed\\nafter a loss",
    (ControllerState.ACTIVE, ControllerState.LOADING): "session resumed\\nafter a loss",
}


def transitions_dot() -> str:
    """:data:`TRANSITIONS` as a Graphviz digraph (drawn on ``docs/concepts/controller.md``)."""
    lines = [
        "digraph controller_states {",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for source in ControllerState:
        for target in sorted(TRANSITIONS[source], key=lambda s: list(ControllerState).index(s)):
            label = _EDGE_LABELS.get((source, target), "resign")
            lines.append(f'  {source.value} -> {target.value} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines)
