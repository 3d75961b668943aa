"""Loads the Hypothesis profile named by ``GLASSKAFKA_PROFILE`` (``model_tests/profiles.py``)."""

from model_tests.profiles import load_profile

load_profile()
