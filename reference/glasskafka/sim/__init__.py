"""The deterministic simulator: nodes in virtual time over a simulated network and disks.

One job per file (STYLE rule 13; TigerBeetle's simulator and etcd raft's tests are the models):

* ``clock`` -- the virtual clock, an integer of milliseconds;
* ``events`` -- the event queue, a heap ordered by (time, sequence number);
* ``randomness`` -- per-node and per-part random streams derived from one seed;
* ``network`` -- TCP-like connections: FIFO, no duplication, arbitrary delay, breaks;
* ``faults`` -- what a crash does to a disk (``keep``, ``power``, ``lossy``);
* ``host`` -- one node's place: its factory, disk, timers and restarts;
* ``trace`` -- every event as plain data, observers, and the story;
* ``choices`` -- the controlled mode's choices;
* ``wire`` -- the option that carries every message as bytes, through the wire codec;
* ``simulator`` -- the loop that ties them together.

Modules that build a Kafka cluster on top of the simulator (``kafka_cluster``, the harness;
``kafka_snapshot``, ``replication_reading`` and ``replication_observer``, the snapshots and
ghost state that ``specs/replication.py`` judges) are imported by name, not re-exported here.

Start with :class:`Simulator`; ``docs/concepts/simulator.md`` explains the model, and
``specs/sim.py`` states what the simulator guarantees (SIM-1..5).

Simplified from Kafka: Kafka has no deterministic simulator; its tests use real threads, sockets
and disks (and ``MockTime`` for clocks), so a failing interleaving cannot always be replayed.
"""

from glasskafka.sim.choices import Choice, DeliverMessage, FireTimer, ReportLoss
from glasskafka.sim.clock import Clock
from glasskafka.sim.events import EventQueue
from glasskafka.sim.faults import DiskFault, DiskImage, FileImage, disk_image
from glasskafka.sim.host import NodeFactory
from glasskafka.sim.network import DropReason, InFlight, Network, NetworkConfig
from glasskafka.sim.randomness import derive_rng, derive_seed
from glasskafka.sim.simulator import SimStatistics, Simulator
from glasskafka.sim.trace import (
    Called,
    ConnectionLost,
    Crashed,
    Delivered,
    Dropped,
    Healed,
    Observer,
    Partitioned,
    Restarted,
    Sent,
    Started,
    TimerFired,
    Trace,
    TraceEvent,
    describe,
    story,
)

__all__ = [
    "Called",
    "Choice",
    "Clock",
    "ConnectionLost",
    "Crashed",
    "DeliverMessage",
    "Delivered",
    "DiskFault",
    "DiskImage",
    "DropReason",
    "Dropped",
    "EventQueue",
    "FileImage",
    "FireTimer",
    "Healed",
    "InFlight",
    "Network",
    "NetworkConfig",
    "NodeFactory",
    "Observer",
    "Partitioned",
    "ReportLoss",
    "Restarted",
    "Sent",
    "SimStatistics",
    "Simulator",
    "Started",
    "TimerFired",
    "Trace",
    "TraceEvent",
    "derive_rng",
    "derive_seed",
    "describe",
    "disk_image",
    "story",
]
