"""Hypothesis suites that check the reference implementation against ``specs/``."""
