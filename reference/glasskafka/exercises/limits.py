"""A time limit on the student's code, so an endless loop ends in a verdict, not a hang.

Theory of operation
-------------------
A student's file can loop forever, on import or inside a check.  :func:`time_limit` arms the
process's real-time interval timer (``signal.setitimer(ITIMER_REAL)``) for the duration of a
``with`` block; when it fires, the ``SIGALRM`` handler raises :class:`TimeLimitExceeded` in
the main thread, between two bytecodes of whatever runs -- a Python loop is always interrupted.
On leaving the block the timer and the previous handler are restored.

:class:`TimeLimitExceeded` derives from ``BaseException``, not ``Exception``, on purpose: a
Hypothesis property or a model suite treats an ``Exception`` as a failing example and would
re-run (and shrink) it, looping again; a ``BaseException`` passes straight through them to the
runner, which reports the check as timed out.

Signals reach only the main thread, and Windows has no ``SIGALRM``; there the block runs
without a limit (the CLI runs in the main thread on every system glasskafka supports).

Spec IDs: none (tooling).

Simplified from Kafka: not applicable.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["DEFAULT_TIMEOUT_S", "TimeLimitExceeded", "time_limit"]

DEFAULT_TIMEOUT_S = 300.0
"""Seconds a single check (or loading the student's file) may take, unless told otherwise."""


class TimeLimitExceeded(BaseException):
    """The block ran longer than its limit (see the module docstring for why BaseException)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"did not finish within {seconds:g} s")
        self.seconds = seconds


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` if the block runs longer than ``seconds``.

    ``None`` or a value <= 0 means no limit; so does a thread other than the main one, or a
    system without ``SIGALRM``.
    """
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    assert seconds is not None

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeLimitExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
