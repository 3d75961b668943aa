"""Hypothesis profiles shared by every test directory.

``GLASSKAFKA_PROFILE`` chooses one: ``ci`` (fits the 25-minute CI budget on two cores;
derandomized and without an example database, so every CI run tries the same examples),
``dev`` (the default on a laptop) and ``thorough`` (long runs for exploring and for lecture
demos).  Each directory's ``conftest.py`` calls :func:`load_profile`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["PROFILES", "load_profile"]

PROFILES = ("ci", "dev", "thorough")

settings.register_profile(
    "ci",
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    database=None,
    # The same examples on every CI run: a red build names a defect of the code, not of the
    # dice.  Exploration is the job of ``dev`` and ``thorough``, which draw new examples.
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def load_profile() -> str:
    """Load the profile named by ``GLASSKAFKA_PROFILE`` (``ci`` under CI, else ``dev``)."""
    default = "ci" if os.environ.get("CI") else "dev"
    name = os.environ.get("GLASSKAFKA_PROFILE", default)
    if name not in PROFILES:
        raise ValueError(f"GLASSKAFKA_PROFILE={name!r}; allowed: {', '.join(PROFILES)}")
    settings.load_profile(name)
    return name
