"""The cluster picture: what its DOT says, that Graphviz draws it, and that odd input is safe.

The DOT text is read as text (which node holds which cells, which colours, which marks), then
rendered with Graphviz's ``dot`` to prove it is a valid picture.  Snapshots come from
``model_tests/replication_snapshots.py``; hostile ones rename records to markup and control
characters, or bend the structure (a broker with no replica, a replica on no broker, a HW past
the LEO), and must still give a picture.

Spec IDs: none checked here; the red cells show where REPL-2, REPL-4 and REPL-5 are at stake.

Simplified from Kafka: Kafka draws no pictures, so there is nothing to compare against; the
tests check the picture's content and that Graphviz accepts it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import BrokerId, Epoch, Offset
from glasskafka.sim.kafka_snapshot import BrokerSnapshot, ClusterSnapshot, ReplicaRole
from glasskafka.viz.cluster import COLOURS, Layout, cluster_dot, counterexample_dot, render_svg
from hypothesis import given
from hypothesis import strategies as st

from model_tests import replication_snapshots as snap
from model_tests.replication_snapshots import change, entries, healthy, ids
from model_tests.support import require_tool


def node(dot: str, name: str) -> str:
    """The label of node ``name`` in ``dot``."""
    match = re.search(rf"^\s*{re.escape(name)} \[label=<(.*)>\];$", dot, flags=re.MULTILINE)
    assert match, f"no node {name} in:\n{dot}"
    return match.group(1)


def log_cells(label: str) -> list[str]:
    """The contents of the bordered cells (the log) of a broker's label, in order."""
    return re.findall(r'<TD ALIGN="CENTER" BORDER="1"[^>]*>(.*?)</TD>', label)


def test_a_snapshot_is_zookeeper_then_each_broker_then_the_ghost_state() -> None:
    dot = cluster_dot(healthy(), title="healthy")
    assert dot.startswith("digraph cluster_snapshot {") and dot.endswith("}\n")
    assert "s_zk -> s_broker_1 -> s_broker_2 -> s_broker_3 -> s_ghost;" in dot
    assert "leader 1, epoch 1, ISR {1, 2, 3}, zk_version 0" in node(dot, "s_zk")
    assert "<B>healthy</B>" in dot
    ghost = node(dot, "s_ghost")
    assert "true HW 2" in ghost and "committed: m1/1 m2/1" in ghost
    assert "m3@2 (acks=1, epoch 1)" in ghost and "consumed: m1@0, m2@1" in ghost


def test_a_log_is_a_row_of_cells_shaded_below_the_hw_with_hw_and_leo_marked() -> None:
    leader = node(cluster_dot(healthy()), "s_broker_1")
    assert "<B>leader</B> in epoch 1, ISR view {1, 2, 3} [ZK ISR]" in leader
    assert log_cells(leader) == ["m1<BR/>e1", "m2<BR/>e1", "m3<BR/>e1"]
    assert leader.count(f'BGCOLOR="{COLOURS["visible"]}"') == 2  # offsets 0 and 1, below HW 2
    marks = re.findall(r'<FONT POINT-SIZE="8">(HW|LEO|HW LEO)</FONT>', leader)
    assert marks == ["HW", "LEO"]
    follower = node(cluster_dot(healthy()), "s_broker_3")
    assert "follower of 1 in epoch 1" in follower
    assert re.findall(r'<FONT POINT-SIZE="8">(HW|LEO|HW LEO)</FONT>', follower) == ["HW LEO"]


def test_a_down_broker_is_grey_and_a_missing_acknowledged_record_is_red() -> None:
    dot = cluster_dot(snap.s1_after_step_5())
    down = node(dot, "s_broker_2")
    assert "(down)" in down and f'BGCOLOR="{COLOURS["down"]}"' in down
    leader = node(dot, "s_broker_1")
    assert log_cells(leader) == ["m1<BR/>e1", '<FONT COLOR="red">m2<BR/>missing</FONT>']
    assert f'BGCOLOR="{COLOURS["missing"]}"' in leader
    assert "missing" not in down  # broker 2 is out of the ZK ISR and holds m2 anyway


def test_a_wrong_record_where_an_acknowledged_one_should_be_is_red_too() -> None:
    leader = node(cluster_dot(snap.s8_after_step_4()), "s_broker_2")
    assert 'm3<BR/>e2<BR/><FONT COLOR="red">not m2</FONT>' in log_cells(leader)


def test_zombies_dirty_replicas_proposals_and_deleted_offsets_are_marked() -> None:
    zombie = change(healthy(), 2, role=ReplicaRole.LEADER, leader_epoch=Epoch(0), isr=ids(2))
    assert "[ZK ISR, zombie]" in node(cluster_dot(zombie), "s_broker_2")
    assert "dirty" in node(cluster_dot(snap.s10_after_step_4()), "s_broker_2")
    assert "proposed {1, 2}" in node(cluster_dot(snap.s7_step_2()), "s_broker_1")
    trimmed = change(healthy(), 3, log=entries("m2/1"), log_start_offset=Offset(1))
    assert log_cells(node(cluster_dot(trimmed), "s_broker_3"))[0].endswith("deleted</FONT>")
    cut = change(healthy(), 3, running=False, log_intact=False)
    assert "log cut by a lossy crash" in node(cluster_dot(cut), "s_broker_3")


def test_the_same_snapshot_always_gives_the_same_text() -> None:
    shuffled = dataclasses.replace(healthy(), brokers=tuple(reversed(healthy().brokers)))
    assert cluster_dot(shuffled) == cluster_dot(healthy()) == cluster_dot(healthy())


def test_a_counterexample_is_numbered_panels_side_by_side_or_stacked() -> None:
    before, after = snap.s1_step_4()
    steps = [("A restarts", before), ("A cuts m2", after), ("A is elected", snap.s1_after_step_5())]
    side = counterexample_dot(steps, title="S1")
    assert side.count("subgraph cluster_step_") == 3
    assert "<B>2.</B> A cuts m2" in side and "s3_zk -> s3_broker_1" in side
    assert "s1_ghost -> s2_zk" not in side
    stacked = counterexample_dot(steps, layout=Layout.STACKED)
    assert "s1_ghost -> s2_zk;" in stacked and "s2_ghost -> s3_zk;" in stacked
    with pytest.raises(GlassKafkaError, match="at least one"):
        counterexample_dot([])


def test_graphviz_draws_every_picture() -> None:
    require_tool("dot")
    for build in (healthy, snap.s1_after_step_5, snap.s7_step_2, snap.s10_after_step_4):
        assert render_svg(cluster_dot(build(), title=build.__name__)).startswith(b"<?xml")
    before, after = snap.s1_step_4()
    for layout in Layout:
        svg = render_svg(counterexample_dot([("one", before), ("two", after)], layout=layout))
        assert b"<svg" in svg


def test_a_picture_dot_rejects_is_a_clear_error() -> None:
    require_tool("dot")
    with pytest.raises(GlassKafkaError, match="dot rejected the picture"):
        render_svg("digraph { a -> }")


def _renamed(snapshot: ClusterSnapshot, name: str) -> ClusterSnapshot:
    """``snapshot`` with every record id replaced by ``name`` plus its old id."""
    (p,) = snapshot.partitions
    replicas = tuple(
        dataclasses.replace(r, log=tuple((name + record, e) for record, e in r.log))
        for r in p.replicas
    )
    acked = tuple(dataclasses.replace(a, record=name + a.record) for a in p.ghost.acked)
    ghost = dataclasses.replace(p.ghost, acked=acked)
    partition = dataclasses.replace(p, replicas=replicas, ghost=ghost)
    return dataclasses.replace(snapshot, partitions=(partition,))


def test_markup_in_record_ids_is_escaped() -> None:
    dot = cluster_dot(_renamed(healthy(), '<B>&"\x00'))
    assert "&lt;B&gt;&amp;&quot;\\x00m1" in dot
    assert "<B>&" not in dot


def test_a_bracket_right_after_a_tag_still_renders() -> None:
    """Graphviz 2.43 rejects ``<B>]</B>`` in an HTML label; the text escapes ``]``."""
    require_tool("dot")
    for name in ("]", "]]"):
        dot = cluster_dot(_renamed(healthy(), name), title=name)
        assert "<B>]" not in dot
        assert render_svg(dot).startswith(b"<?xml")


@given(
    name=st.text(max_size=4),
    build=st.sampled_from([healthy, snap.s2_after_step_4, snap.s8_after_step_4]),
    high_watermark=st.integers(min_value=0, max_value=9),
)
def test_any_record_id_and_any_watermark_still_give_a_picture(
    name: str, build: Callable[[], ClusterSnapshot], high_watermark: int
) -> None:
    require_tool("dot")
    snapshot = change(_renamed(build(), name), 2, high_watermark=Offset(high_watermark))
    assert render_svg(cluster_dot(snapshot, title=name)).startswith(b"<?xml")


def test_odd_structures_still_give_a_picture() -> None:
    require_tool("dot")
    lonely = BrokerSnapshot(broker_id=BrokerId(-1), running=False)
    odd = dataclasses.replace(healthy(), brokers=(lonely, healthy().brokers[0]))
    empty = dataclasses.replace(healthy(), brokers=(), partitions=())
    for snapshot in (odd, empty):
        assert render_svg(cluster_dot(snapshot)).startswith(b"<?xml")
    assert "s_broker_m1" in cluster_dot(odd)
