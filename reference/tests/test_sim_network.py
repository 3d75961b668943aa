"""The simulated network on its own: TCP's promises, breaks, notices and partitions (SIM-1..4)."""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.ids import NodeId
from glasskafka.node import Message
from glasskafka.sim import DropReason, Network, NetworkConfig, derive_rng
from glasskafka.sim.events import EventQueue, LossNotice
from hypothesis import given
from hypothesis import strategies as st

A, B, C = NodeId("a"), NodeId("b"), NodeId("c")


@dataclass(frozen=True, slots=True, kw_only=True)
class Note(Message):
    text: str


def make_network(*, min_delay_ms: int = 1, max_delay_ms: int = 10) -> Network:
    config = NetworkConfig(min_delay_ms=min_delay_ms, max_delay_ms=max_delay_ms)
    network = Network(config=config, rng=derive_rng(1, "network"), queue=EventQueue())
    for node_id in (A, B, C):
        network.attach(node_id)
    return network


def test_delays_stay_in_bounds_and_never_overtake() -> None:
    network = make_network(min_delay_ms=5, max_delay_ms=50)
    times: list[int] = []
    for now_ms in range(0, 100, 3):
        _, dropped = network.send(A, B, Note(text=str(now_ms)), now_ms)
        assert dropped is None
        at_ms = network.connections[(A, B)].queue[-1].deliver_at_ms
        assert at_ms >= now_ms + 5
        assert at_ms <= now_ms + 50 or at_ms == times[-1], "only the FIFO clamp may exceed max"
        times.append(at_ms)
    assert times == sorted(times)
    assert len(set(times)) > 1, "delays should vary"


def test_only_a_connection_head_can_be_taken() -> None:
    network = make_network()
    first, _ = network.send(A, B, Note(text="1"), 0)
    second, _ = network.send(A, B, Note(text="2"), 0)
    assert network.take(A, B, second) is None  # SIM-1: not before the first
    taken = network.take(A, B, first)
    assert taken is not None and taken.message == Note(text="1")
    assert network.take(A, B, first) is None  # SIM-2: not twice
    assert [head.sequence for head in network.deliverable()] == [second]


def test_sending_to_a_node_that_is_down_fails_and_the_sender_is_told() -> None:
    network = make_network()
    network.detach(C, 0)
    sequence, dropped = network.send(A, C, Note(text="hello"), 0)
    assert dropped is DropReason.RECEIVER_DOWN
    assert network.in_flight_count == 0
    [(node_id, peer, notice)] = network.untold()
    assert (node_id, peer) == (A, C) and notice > sequence
    assert any(entry[2] == LossNotice(A, C) for entry in network.queue.heap)
    assert network.take_notice(A, C, notice)
    assert not network.take_notice(A, C, notice), "a notice is delivered once"
    assert network.is_quiet()


def test_a_partition_breaks_both_directions_and_drops_what_was_in_flight() -> None:
    network = make_network()
    network.send(A, B, Note(text="request"), 0)
    network.send(B, A, Note(text="response"), 0)
    network.send(B, C, Note(text="other"), 0)
    dropped = network.partition([[A], [B, C]], 1)
    assert [in_flight.message for in_flight in dropped] == [
        Note(text="request"),
        Note(text="response"),
    ]
    assert [(node_id, peer) for node_id, peer, _ in network.untold()] == [(A, B), (B, A)]
    assert [head.message for head in network.deliverable()] == [Note(text="other")]


def test_a_broken_connection_swallows_sends_until_the_sender_is_told() -> None:
    network = make_network()
    network.send(A, B, Note(text="1"), 0)
    network.partition([[A], [B]], 1)
    network.heal()
    _, dropped = network.send(A, B, Note(text="2"), 2)
    assert dropped is DropReason.CONNECTION_BROKEN
    assert len(network.untold()) == 2, "no second notice for the same break"
    [notice] = [sequence for node_id, _, sequence in network.untold() if node_id == A]
    assert network.take_notice(A, B, notice)
    _, dropped = network.send(A, B, Note(text="3"), 3)
    assert dropped is None, "once told, the next send opens a fresh connection (SIM-4)"


def test_sending_across_a_partition_is_refused() -> None:
    network = make_network()
    network.partition([[A, B]], 0)  # C is in no group: cut off from everyone
    assert network.send(A, B, Note(text="same side"), 0)[1] is None
    assert network.send(A, C, Note(text="across"), 0)[1] is DropReason.PARTITIONED
    assert network.send(C, B, Note(text="across"), 0)[1] is DropReason.PARTITIONED
    assert network.separated(C, A) and not network.separated(C, C)


def test_a_crash_breaks_peers_and_forgets_the_crashed_nodes_own_connections() -> None:
    network = make_network()
    network.send(A, B, Note(text="to b"), 0)
    network.send(B, A, Note(text="to a"), 0)
    dropped = network.detach(B, 1)
    assert len(dropped) == 2
    assert [(node_id, peer) for node_id, peer, _ in network.untold()] == [(A, B)]
    assert (B, A) not in network.connections
    assert network.in_flight_count == 0


operations = st.lists(
    st.tuples(
        st.sampled_from(["send", "take", "partition", "heal", "crash", "start", "notice"]),
        st.sampled_from([A, B, C]),
        st.sampled_from([A, B, C]),
    ),
    max_size=40,
)


@given(operations)
def test_counters_agree_with_the_connections(script: list[tuple[str, NodeId, NodeId]]) -> None:
    """``is_quiet`` relies on two counters, and ``send`` on established links being up."""
    network = make_network()
    for now_ms, (operation, x, y) in enumerate(script):
        match operation:
            case "send" if x in network.running:
                network.send(x, y, Note(text="m"), now_ms)
            case "take":
                heads = network.deliverable()
                if heads:
                    network.take(heads[0].sender, heads[0].receiver, heads[0].sequence)
            case "partition":
                network.partition([[x]], now_ms)
            case "heal":
                network.heal()
            case "crash" if x in network.running:
                network.detach(x, now_ms)
            case "start":
                network.attach(x)
            case "notice" if network.untold():
                network.take_notice(*network.untold()[0])
            case _:
                pass
        in_flight = sum(len(c.queue) for c in network.connections.values())
        assert network.in_flight_count == in_flight
        assert network.untold_count == len(network.untold())
        for (sender, receiver), connection in network.connections.items():
            if connection.notice_sequence:
                assert not connection.queue, "a broken connection holds nothing in flight"
            else:  # an established connection always has a working link
                assert {sender, receiver} <= network.running
                assert not network.separated(sender, receiver)
