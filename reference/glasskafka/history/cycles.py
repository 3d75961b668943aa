"""The dependency graph and its cycles: did information ever flow backwards in time?

Theory of operation
-------------------
Nodes are the history's operations.  Two kinds of edge (after Elle's, jepsen-io/elle
``src/elle/txn.clj``, as Jepsen's Kafka checker builds them):

* **process order**: each operation points at the next operation of the same process;
* **wr** (write-read): a send points at every ``ok`` poll that returned its record.

Each edge moves forward in time.  A process runs one operation at a time, except that a producer
may have several sends in flight; sends are recorded in call order, so a send's *start* follows
the previous operation's start.  Take a send's start and any other operation's end as its moment:
a process-order edge goes from one moment to a later one, and so does a wr edge, because a
record cannot be returned before its send began.  So a cycle is impossible in a correct system,
and finding one (``G1c-process``, DELIV-15) means some read saw a write from its own future:
a broker that served an unwritten record, or a recorder that wrote lines out of order.

Cycles are found as strongly connected components (Tarjan's algorithm, iterative so deep
histories cannot overflow Python's stack); each component with more than one operation is one
case, reported with one concrete cycle through it (a breadth-first search).

Spec IDs: DELIV-15.

Simplified from Kafka: no ``ww`` (write-write) or ``rw`` edges and no real-time order.  ``ww``
cycles (Jepsen's ``G0``) are allowed for Kafka anyway, per-process ``ww`` order is checked by
``nonmonotonic-send``, and the format records when an operation ended, not when it began.
"""

from __future__ import annotations

import itertools
from collections import deque

from glasskafka.history.analysis import Analysis
from glasskafka.history.anomalies import Case, Kind
from glasskafka.history.model import Outcome, Poll

__all__ = ["dependency_graph", "g1c_process", "strongly_connected"]

Graph = dict[int, list[int]]


def dependency_graph(analysis: Analysis) -> tuple[Graph, dict[tuple[int, int], str]]:
    """The graph of process-order and wr edges, and each edge's kind (``"process"``/``"wr"``)."""
    graph: Graph = {}
    kinds: dict[tuple[int, int], str] = {}
    previous: dict[int, int] = {}

    def add(a: int, b: int, kind: str) -> None:
        if a != b and (a, b) not in kinds:
            graph.setdefault(a, []).append(b)
            kinds[(a, b)] = kind

    for position, op in enumerate(analysis.history.operations):
        if op.process in previous:
            add(previous[op.process], position, "process")
        previous[op.process] = position
        if isinstance(op, Poll) and op.outcome is Outcome.OK:
            for record in op.records:
                writer = analysis.writer_of.get((record.topic, (record.key, record.value)))
                if writer is not None:
                    add(writer, position, "wr")
    return graph, kinds


def strongly_connected(graph: Graph, nodes: int) -> list[list[int]]:
    """The strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    found: list[list[int]] = []
    counter = 0
    for root in range(nodes):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, next_child = work.pop()
            if next_child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = graph.get(node, [])
            if next_child < len(children):
                work.append((node, next_child + 1))
                child = children[next_child]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _cycle_through(graph: Graph, component: list[int]) -> list[int]:
    """One cycle inside ``component``, starting and ending at its first node."""
    members = set(component)
    start = component[0]
    came_from: dict[int, int] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in graph.get(node, []):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child in members and child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError("a strongly connected component always holds a cycle")


def g1c_process(analysis: Analysis) -> list[Case]:
    """Cycles of process-order and wr edges: reads of writes from the future (DELIV-15)."""
    graph, kinds = dependency_graph(analysis)
    cases = []
    for component in strongly_connected(graph, len(analysis.history.operations)):
        cycle = _cycle_through(graph, component)
        steps = []
        for a, b in itertools.pairwise(cycle):
            how = "then" if kinds[(a, b)] == "process" else "was read by"
            steps.append(f"line {analysis.line(a)} {how} line {analysis.line(b)}")
        cases.append(
            Case(
                kind=Kind.G1C_PROCESS,
                fatal=True,
                message=f"a cycle of {len(component)} operations: " + "; ".join(steps),
                lines=tuple(analysis.line(p) for p in cycle[:-1]),
            )
        )
    return cases
