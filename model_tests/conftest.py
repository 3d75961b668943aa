"""Test configuration of the model suites: the Hypothesis profile, and the simulator's wire option.

* ``GLASSKAFKA_PROFILE=ci|dev|thorough`` picks the Hypothesis profile (``model_tests/profiles.py``).
* ``GLASSKAFKA_SIM_WIRE=1`` sends every message of every simulation through the wire codec before
  it is delivered (``glasskafka.sim.wire``): Kafka's API messages through ``glasskafka.protocol``
  at the version the runtime would use, the coordination service's through
  ``glasskafka.runtime.zk_codec``.  A message that cannot travel fails the test that sent it.
  ``GLASSKAFKA_SIM_WIRE=exact`` also fails a message whose decoded copy differs from the original.
  Run the whole model suite that way with::

      GLASSKAFKA_SIM_WIRE=exact GLASSKAFKA_PROFILE=ci .venv/bin/pytest -n 2 model_tests

  The simulator's own suites (``test_sim_model.py``, ``test_sim_determinism.py``) send toy
  messages that their tests define; those have no wire format and travel as they are
  (:func:`toy_message`), since what those suites check is the simulator, not the codec.
"""

from __future__ import annotations

import os

from glasskafka.node import Message
from glasskafka.runtime.zk_codec import decode_frame, encode_message, is_coordination_message
from glasskafka.sim.wire import WireRoundTrip, use_wire_by_default

from model_tests.profiles import load_profile

__all__ = ["coordination_round_trip", "toy_message", "wire_round_trip"]

load_profile()


def coordination_round_trip(message: Message) -> Message | None:
    """A coordination message through its frame and back; None for any other message."""
    if not is_coordination_message(message):
        return None
    return decode_frame(encode_message(message))


def toy_message(message: Message) -> Message | None:
    """A message class defined by a test rather than by glasskafka, unchanged; else None."""
    if type(message).__module__.startswith("glasskafka."):
        return None
    return message


def wire_round_trip(*, exact: bool = False) -> WireRoundTrip:
    """The wire option with every codec glasskafka has (and test-defined messages let through)."""
    return WireRoundTrip((coordination_round_trip, toy_message), exact=exact)


if os.environ.get("GLASSKAFKA_SIM_WIRE", "") not in ("", "0"):
    use_wire_by_default(wire_round_trip(exact=os.environ["GLASSKAFKA_SIM_WIRE"] == "exact"))
