"""The sequence diagram of a simulator trace: lifelines, arrows, drops, crashes, layout."""

from __future__ import annotations

import itertools
import json
import random
import re
from dataclasses import dataclass
from typing import Any

import pytest
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Node, Output, Send
from glasskafka.sim import Delivered, Dropped, NetworkConfig, Simulator, TraceEvent
from glasskafka.storage import SimDisk
from glasskafka.viz import sequence_diagram

from model_tests.support import require_tool

A, B, ZK = NodeId("broker-1"), NodeId("broker-2"), NodeId("zk")


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat(Message):
    left: int


class Chatty(Node):
    """Answers a heartbeat with one fewer left, until none are left."""

    def __init__(self, node_id: NodeId, disk: SimDisk, rng: random.Random) -> None:
        self.node_id = node_id

    def on_start(self, now_ms: Millis) -> list[Output]:
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        assert isinstance(message, Heartbeat)
        return [Send(to=sender, message=Heartbeat(left=message.left - 1))] if message.left else []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return []


def story_with_faults(nodes: tuple[NodeId, ...] = (A, B, ZK)) -> list[TraceEvent]:
    """A short run: a conversation, a partition that drops a message, a crash and a restart."""
    sim = Simulator(seed=11, network=NetworkConfig(min_delay_ms=1, max_delay_ms=8))
    for node_id in nodes:
        sim.add_node(node_id, Chatty)
    first, second = nodes[0], nodes[1]
    sim.call(first, lambda node, _: [Send(to=second, message=Heartbeat(left=3))], label="go")
    sim.run_until(lambda s: sum(isinstance(e, Delivered) for e in s.trace.events) == 2, 1_000)
    sim.partition({first})
    sim.run_until_quiet(2_000)
    sim.heal()
    sim.crash(second, disk="power")
    sim.restart(second)
    sim.call(first, lambda node, _: [Send(to=second, message=Heartbeat(left=1))], label="again")
    sim.run_until_quiet(3_000)
    return sim.trace.events


def test_the_dot_has_a_lifeline_per_node_and_an_arrow_per_delivery() -> None:
    events = story_with_faults()
    source = sequence_diagram(events).source
    for lane, name in enumerate(sorted((A, B, ZK))):
        assert re.search(rf'lane{lane}_head \[label="?{name}"? ', source), name
    delivered = [e.sequence for e in events if isinstance(e, Delivered)]
    dropped = [e.sequence for e in events if isinstance(e, Dropped)]
    assert delivered and dropped, "the story should have deliveries and a drop"
    assert source.count('id="delivery-') == len(delivered)
    assert source.count('id="drop-') == len(dropped)
    for sequence in delivered:
        assert f'id="delivery-{sequence}"' in source
    assert "crash (power)" in source and "restart" in source
    assert "partition {broker-1} | {broker-2, zk}" in source


def rendered(graph: Any) -> dict[str, Any]:
    require_tool("dot")
    return dict(json.loads(graph.pipe(format="json")))


def positions(layout: dict[str, Any]) -> dict[str, tuple[float, float]]:
    found = {}
    for item in layout["objects"]:
        if "pos" in item:
            x, y = item["pos"].split(",")
            found[item["name"]] = (float(x), float(y))
    return found


def test_columns_stay_straight_in_order_and_time_flows_down() -> None:
    events = story_with_faults()
    order = [ZK, A, B]
    layout = rendered(sequence_diagram(events, node_ids=order))
    where = positions(layout)
    rows = ["head", *range(len(events))]
    for lane in range(len(order)):
        xs = {round(where[f"lane{lane}_{row}"][0]) for row in rows}
        assert len(xs) == 1, f"lifeline {order[lane]} is not a straight column: {xs}"
    heads = [where[f"lane{lane}_head"][0] for lane in range(len(order))]
    assert heads == sorted(heads), "columns follow node_ids left to right"
    ys = [where[f"lane0_{row}"][1] for row in rows]
    assert all(upper > lower for upper, lower in itertools.pairwise(ys))
    names = {index: item["name"] for index, item in enumerate(layout["objects"])}
    arrows = [edge for edge in layout["edges"] if str(edge.get("id", "")).startswith("delivery-")]
    assert len(arrows) == sum(isinstance(e, Delivered) for e in events)
    for edge in arrows:  # every message arrives at or after the row it was sent in
        assert where[names[edge["tail"]]][1] >= where[names[edge["head"]]][1]


def test_the_picture_renders_to_svg() -> None:
    require_tool("dot")
    svg = sequence_diagram(story_with_faults(), title="a partition").pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "a partition" in svg and "Heartbeat" in svg


def test_a_long_trace_is_cut_with_a_note() -> None:
    events = story_with_faults()
    source = sequence_diagram(events, max_events=5).source
    assert f"... {len(events) - 5} more events not drawn" in source
    assert "lane0_5 " not in source and "lane0_4 " in source


def test_arrows_from_messages_sent_before_the_slice_start_at_the_head() -> None:
    events = story_with_faults()
    first_delivery = next(i for i, e in enumerate(events) if isinstance(e, Delivered))
    source = sequence_diagram(events[first_delivery:]).source
    assert "lane0_head -> lane1_0" in source


@pytest.mark.parametrize("bad", [0, -1, "10", None, True])
def test_bad_max_events_is_refused(bad: object) -> None:
    with pytest.raises(GlassKafkaError, match="max_events"):
        sequence_diagram(story_with_faults(), max_events=bad)  # type: ignore[arg-type]


def test_a_node_missing_from_node_ids_is_named() -> None:
    with pytest.raises(GlassKafkaError, match="'zk'"):
        sequence_diagram(story_with_faults(), node_ids=[A, B])


def test_awkward_node_names_still_render() -> None:
    awkward = (NodeId('say "hi"'), NodeId("back\\slash <b>"), NodeId("ünïcode"))
    graph = sequence_diagram(story_with_faults(awkward))
    layout = rendered(graph)
    labels = {item.get("label") for item in layout["objects"]}
    assert 'say "hi"' in labels and "ünïcode" in labels


def test_an_empty_trace_draws_just_the_heads() -> None:
    assert "lane0_head" in sequence_diagram([], node_ids=[A]).source
