"""Determinism: the same seed and the same calls give the same trace (DESIGN §7).

Three properties make a simulation a reproducible experiment, and each is tested here:

* running a script twice with one seed records equal traces (and a different seed, with random
  network delays, records a different one);
* ``copy.deepcopy`` of a running simulation is a snapshot: the copy and the original, given the
  same further calls, continue identically, and neither disturbs the other;
* nothing depends on Python's per-process hash salt: two processes with different
  ``PYTHONHASHSEED`` print the same story.
"""

from __future__ import annotations

import copy
import os
import pathlib
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import assert_never

from glasskafka.ids import Millis, NodeId
from glasskafka.node import SetTimer
from glasskafka.sim import NetworkConfig, Simulator, TraceEvent
from hypothesis import given
from hypothesis import strategies as st

from model_tests.test_sim_model import Recorder, send_next

ROOT = pathlib.Path(__file__).resolve().parents[1]
NODES = (NodeId("a"), NodeId("b"), NodeId("c"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    sender: NodeId
    receiver: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    duration_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Isolate:
    node_id: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class Heal:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Crash:
    node_id: NodeId
    disk: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Restart:
    node_id: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class Timer:
    node_id: NodeId
    delay_ms: int


Op = Send | Run | Isolate | Heal | Crash | Restart | Timer

nodes = st.sampled_from(NODES)
ops: st.SearchStrategy[Op] = st.one_of(
    st.builds(Send, sender=nodes, receiver=nodes),
    st.builds(Run, duration_ms=st.integers(0, 40)),
    st.builds(Isolate, node_id=nodes),
    st.builds(Heal),
    st.builds(Crash, node_id=nodes, disk=st.sampled_from(("keep", "power", "lossy"))),
    st.builds(Restart, node_id=nodes),
    st.builds(Timer, node_id=nodes, delay_ms=st.integers(0, 40)),
)
scripts = st.lists(ops, max_size=25)
seeds = st.integers(0, 2**32 - 1)


def new_simulation(seed: int) -> Simulator:
    sim = Simulator(seed=seed, network=NetworkConfig(min_delay_ms=1, max_delay_ms=20))
    for node_id in NODES:
        sim.add_node(node_id, Recorder)
    return sim


def apply(sim: Simulator, op: Op) -> None:
    """Perform one scripted operation; operations on a node in the wrong state are skipped."""
    match op:
        case Send(sender=sender, receiver=receiver):
            if sim.is_up(sender):
                send_next(sim, sender, receiver)
        case Run(duration_ms=duration_ms):
            sim.run_for(duration_ms)
        case Isolate(node_id=node_id):
            sim.partition({node_id})
        case Heal():
            sim.heal()
        case Crash(node_id=node_id, disk=disk):
            if sim.is_up(node_id):
                sim.crash(node_id, disk=disk)
        case Restart(node_id=node_id):
            if not sim.is_up(node_id):
                sim.restart(node_id)
        case Timer(node_id=node_id, delay_ms=delay_ms):
            if sim.is_up(node_id):
                at_ms = Millis(sim.now_ms + delay_ms)
                sim.call(node_id, lambda node, _: [SetTimer(name="t", at_ms=at_ms)])
        case _:
            assert_never(op)


def run_script(seed: int, script: Sequence[Op]) -> list[TraceEvent]:
    sim = new_simulation(seed)
    for op in script:
        apply(sim, op)
    sim.run_for(200)
    return sim.trace.events


@given(seed=seeds, script=scripts)
def test_same_seed_gives_the_same_trace(seed: int, script: list[Op]) -> None:
    assert run_script(seed, script) == run_script(seed, script)


def test_different_seeds_give_different_traces() -> None:
    """With random delays, ten seeds order a busy exchange in ten different ways."""
    busy = [Send(sender=s, receiver=r) for s in NODES for r in NODES if s != r] * 3
    traces = {tuple(run_script(seed, busy)) for seed in range(10)}
    assert len(traces) == 10


@given(seed=seeds, prefix=scripts, suffix=scripts)
def test_deepcopy_continues_identically(seed: int, prefix: list[Op], suffix: list[Op]) -> None:
    original = new_simulation(seed)
    for op in prefix:
        apply(original, op)
    snapshot = copy.deepcopy(original)
    length_before = len(original.trace.events)
    for op in suffix:
        apply(snapshot, op)
    snapshot.run_for(200)
    assert len(original.trace.events) == length_before, "running the copy changed the original"
    for op in suffix:
        apply(original, op)
    original.run_for(200)
    assert original.trace.events == snapshot.trace.events
    for node_id in NODES:
        if original.is_up(node_id):
            mine = original.node_as(node_id, Recorder)
            theirs = snapshot.node_as(node_id, Recorder)
            assert (mine.received, mine.lost, mine.fired) == (
                theirs.received,
                theirs.lost,
                theirs.fired,
            )
        assert original.disk(node_id) == snapshot.disk(node_id)


_STORY_SCRIPT = """
from model_tests.test_sim_determinism import NODES, Send, Isolate, Heal, Crash, Run, run_script
from glasskafka.sim import story
script = [Send(sender=s, receiver=r) for s in NODES for r in NODES if s != r] * 2
script += [Run(duration_ms=7), Isolate(node_id=NODES[0]), Crash(node_id=NODES[1], disk="lossy")]
script += [Heal()] + [Send(sender=s, receiver=r) for s in NODES for r in NODES]
print(story(run_script(20240601, script)))
"""


def test_story_does_not_depend_on_the_hash_seed() -> None:
    """Two processes with different string-hash salts print the same story."""
    stories = []
    for hash_seed in ("0", "4242"):
        result = subprocess.run(
            [sys.executable, "-c", _STORY_SCRIPT],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        stories.append(result.stdout)
    assert stories[0] == stories[1]
    assert "receives #" in stories[0] and "crashes (disk=lossy" in stories[0]
