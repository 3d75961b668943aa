"""The five states of a classic consumer group, and the table of legal transitions.

Theory of operation
-------------------
A group managed by the classic protocol is always in one of five states
(``reference/clients-and-groups.md`` §10.1; ``GroupMetadata.scala``, later
``ClassicGroupState.java``):

=======================  ======================================================================
``Empty``                no members; offsets may still be stored (an ``assign()`` consumer's
                         commits live in an Empty group forever)
``PreparingRebalance``   the join phase: the coordinator collects JoinGroup requests
``CompletingRebalance``  the sync phase: members have their generation and wait for the
                         leader's assignment in SyncGroup
``Stable``               every member has its assignment; heartbeats keep the group alive
``Dead``                 the group's metadata is gone from this coordinator (its offsets
                         partition moved to another broker)
=======================  ======================================================================

:data:`VALID_PREVIOUS_STATES` is the legal-transition table as data, in Kafka's own shape: for
each target state, the states it may be entered from.  ``GroupMetadata``'s ``become_*``
methods consult it on every change; the docs' state diagram is drawn from it
(:func:`transition_dot`, whose output ``docs/concepts/group-coordinator.md`` embeds and a test
keeps identical); and GROUP-4 (``specs/group.py``) checks every transition the coordinator
reports against the same facts, written out independently in the spec.

Why these edges: a group starts rebalancing from Empty (first member), Stable (a change) or
CompletingRebalance (a change while waiting for the leader); the join phase ends in
CompletingRebalance (members joined) or Empty (nobody left); only the leader's stored assignment
makes a group Stable; and any state may die when the coordinator loses the group.

Spec IDs: GROUP-4.

Simplified from Kafka: nothing in the table.  KIP-848's new consumer groups have a different state
machine (``ConsumerGroup.ConsumerGroupState``), which glasskafka does not have.
"""

from __future__ import annotations

import enum

__all__ = [
    "VALID_PREVIOUS_STATES",
    "GroupState",
    "is_valid_transition",
    "transition_dot",
    "transition_edges",
]


class GroupState(enum.Enum):
    """A classic group's state; the value is the name DescribeGroups reports."""

    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"


VALID_PREVIOUS_STATES: dict[GroupState, frozenset[GroupState]] = {
    # GroupMetadata.validPreviousStates (Kafka 3.x), target state -> where it may be entered from.
    GroupState.DEAD: frozenset(GroupState),
    GroupState.COMPLETING_REBALANCE: frozenset({GroupState.PREPARING_REBALANCE}),
    GroupState.STABLE: frozenset({GroupState.COMPLETING_REBALANCE}),
    GroupState.PREPARING_REBALANCE: frozenset(
        {GroupState.STABLE, GroupState.COMPLETING_REBALANCE, GroupState.EMPTY}
    ),
    GroupState.EMPTY: frozenset({GroupState.PREPARING_REBALANCE}),
}
"""For each state, the states from which a group may move into it."""


def is_valid_transition(source: GroupState, target: GroupState) -> bool:
    """Whether the table allows a group in ``source`` to become ``target``."""
    return source in VALID_PREVIOUS_STATES[target]


def transition_edges() -> list[tuple[GroupState, GroupState]]:
    """Every legal (source, target) pair, in declaration order, for diagrams and tests."""
    return [
        (source, target)
        for source in GroupState
        for target in GroupState
        if is_valid_transition(source, target)
    ]


_EDGE_LABELS: dict[tuple[GroupState, GroupState], str] = {
    (GroupState.EMPTY, GroupState.PREPARING_REBALANCE): "first member joins",
    (
        GroupState.PREPARING_REBALANCE,
        GroupState.COMPLETING_REBALANCE,
    ): "join phase ends\\n(generation + 1)",
    (
        GroupState.PREPARING_REBALANCE,
        GroupState.EMPTY,
    ): "join phase ends, nobody left\\n(generation + 1)",
    (GroupState.COMPLETING_REBALANCE, GroupState.STABLE): "leader's assignment stored",
    (
        GroupState.COMPLETING_REBALANCE,
        GroupState.PREPARING_REBALANCE,
    ): "join, leave, expiry,\\nsync timeout",
    (GroupState.STABLE, GroupState.PREPARING_REBALANCE): "join, leader rejoin,\\nleave, expiry",
}


def transition_dot() -> str:
    """The state diagram in Graphviz DOT, one edge per legal transition (Dead drawn once)."""
    lines = [
        "digraph group_states {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11];',
        '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    lines += [f'  {state.name} [label="{state.value}"];' for state in GroupState]
    for source, target in transition_edges():
        if target is GroupState.DEAD:
            continue
        lines.append(
            f'  {source.name} -> {target.name} [label="{_EDGE_LABELS[(source, target)]}"];'
        )
    lines.append('  ANY [shape=plaintext, label="any state"];')
    lines.append('  ANY -> DEAD [label="partition moves away"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
