"""Chapter 8's pictures: the path a group took through its states, and a rebalance in messages.

Run from the repository root::

    python -m tutorials.ch08_consumer_groups_and_rebalancing.draw_pictures group_states > g.dot
    dot -Tsvg g.dot > g.svg        # needs Graphviz

The argument names a figure (``--list`` prints them):

* ``group_states`` -- the classic group's state machine, drawn from the coordinator's own
  transition table (``group/state.py``), with the transitions that ``second_consumer``'s run
  really made drawn bold and numbered in the order they happened;
* ``rebalance_sequence`` -- the membership messages of ``second_consumer``'s second rebalance as
  a sequence diagram (``glasskafka.viz.sequence``): the new member's two JoinGroups, the heartbeat
  answer that tells ``c1`` to rejoin, the JoinGroup answers, and the SyncGroup round.

The chapter shows the ``.dot`` files kept beside this script; the chapter's test checks that each
is exactly what this script prints, so the pictures cannot drift from the code.

Spec IDs: GROUP-4 (the table the state diagram is drawn from).

Simplified from Kafka: Kafka draws nothing; the state diagram is the one in
``GroupMetadata.scala``'s comments, drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from glasskafka.errors import ErrorCode
from glasskafka.group import GroupState, transition_edges
from glasskafka.ids import NodeId
from glasskafka.node import Message
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    SyncGroupResponse,
)
from glasskafka.sim import Delivered, Sent, TraceEvent
from glasskafka.viz.sequence import sequence_diagram

from tutorials.ch08_consumer_groups_and_rebalancing.exchange import group_trace
from tutorials.ch08_consumer_groups_and_rebalancing.second_consumer import second_join
from tutorials.listings import draw_figure

__all__ = ["FIGURES", "main"]


def _group_states() -> str:
    run = second_join()
    taken: dict[tuple[GroupState, GroupState], list[str]] = {}
    for number, t in enumerate(run.lab.transitions, start=1):
        taken.setdefault((t.source, t.target), []).append(f"{number}: {t.time_ms} ms")
    lines = [
        "digraph group_states {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11,'
        ' label="group billing in second_consumer: the transitions taken, numbered",'
        " labelloc=t];",
        '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    lines += [f'  {s.name} [label="{s.value}"];' for s in GroupState if s is not GroupState.DEAD]
    for source, target in transition_edges():
        if target is GroupState.DEAD:
            continue
        when = taken.get((source, target))
        if when:
            label = "\\n".join(when)
            lines.append(
                f'  {source.name} -> {target.name} [label="{label}", penwidth=2.5,'
                ' color="#1f6fb2", fontcolor="#1f6fb2"];'
            )
        else:
            lines.append(f'  {source.name} -> {target.name} [color="#aaaaaa", style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _body(event: TraceEvent) -> Message:
    assert isinstance(event, Sent | Delivered)
    message = event.message
    return message.body if isinstance(message, KafkaRequest | KafkaResponse) else message


def _telling(event: TraceEvent) -> bool:
    """Leave out heartbeats that change nothing; keep everything else of the rebalance."""
    body = _body(event)
    if isinstance(body, HeartbeatRequest):
        return False
    return not (isinstance(body, HeartbeatResponse) and body.error_code == ErrorCode.NONE)


def _rebalance_sequence() -> str:
    run = second_join()
    events = group_trace(run.lab.cluster.sim.trace.events, since_ms=run.joined_ms)
    chosen = [e for e in events if _telling(e)]
    # The round ends with the last SyncGroup answer; later traffic is heartbeats and fetches.
    last = max(i for i, e in enumerate(chosen) if isinstance(_body(e), SyncGroupResponse))
    coordinator = NodeId(f"broker-{run.lab.coordinator_id('billing')}")
    graph = sequence_diagram(
        chosen[: last + 1],
        node_ids=[NodeId("c1"), coordinator, NodeId("c2")],
        title="c2 joins group billing: one JoinGroup/SyncGroup round",
    )
    return str(graph.source)


FIGURES: dict[str, Callable[[], str]] = {
    "group_states": _group_states,
    "rebalance_sequence": _rebalance_sequence,
}


def main(argv: list[str]) -> int:
    """Print the DOT of the figure named in ``argv``; exit status 2 for a bad name."""
    return draw_figure(FIGURES, argv, program="draw_pictures")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
