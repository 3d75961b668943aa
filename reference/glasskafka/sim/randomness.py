"""Seeded randomness: every random choice in a simulation follows from one integer seed.

Theory of operation
-------------------
A simulation takes one ``seed``.  Every consumer of randomness gets its own ``random.Random``
derived from that seed and a label: the network (``"network"``, for delays), the fault injector
(``"faults"``, for lossy crashes) and each node (``"node", node_id, incarnation``).  Separate
streams matter: if nodes shared one generator, a node that draws one more number than before (a
harmless code change) would shift every later draw of every other node and change the whole run.
With one stream per node, it changes only that node's own choices.

A restarted node gets a fresh stream (its ``incarnation`` is part of the label), as a restarted
process would, yet the same seed still gives the same run.

The label is turned into a 64-bit seed with SHA-256, never with Python's ``hash``, which is salted
per process (``PYTHONHASHSEED``) and would make runs differ between processes (DESIGN §7).

Spec IDs: none (determinism, DESIGN §7; tested in ``model_tests/test_sim_determinism.py``).

Simplified from Kafka: Kafka draws randomness from ``java.util.Random`` and ``ThreadLocalRandom``
(for instance the producer's random partitioner and jittered backoffs); nothing there is seeded.
"""

from __future__ import annotations

import hashlib
import random

__all__ = ["SimRandom", "derive_rng", "derive_seed"]


def derive_seed(seed: int, *labels: str | int) -> int:
    """A 64-bit seed that depends only on ``seed`` and ``labels`` (stable across processes)."""
    text = "/".join(str(part) for part in (seed, *labels))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


class SimRandom(random.Random):
    """A ``random.Random`` that copies fast and compares by state, like the rest of the sim.

    The generic deepcopy of a ``random.Random`` walks its 625-word state one integer at a time;
    a simulation is copied often (snapshots, SIM-4's look-ahead), so this is worth a method.
    Two generators are equal when their states are, so two simulations can be compared as plain
    data (DESIGN §7); a plain ``random.Random`` compares by identity.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> SimRandom:
        twin = SimRandom()
        twin.setstate(self.getstate())
        return twin

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, random.Random):
            return NotImplemented
        return self.getstate() == other.getstate()

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable (as a list is)


def derive_rng(seed: int, *labels: str | int) -> SimRandom:
    """A ``random.Random`` for the stream named by ``labels`` within simulation ``seed``."""
    return SimRandom(derive_seed(seed, *labels))
