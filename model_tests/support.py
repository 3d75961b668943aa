"""Helpers shared by the test directories.

:func:`require_tool` is how a test asks for an outside program (Graphviz's ``dot``, ``kcat``).  On
a student's machine a missing tool skips the test with the install command; under CI (``CI`` set)
it fails, because ``.ci/run`` installs every such tool and a skip there would hide a broken step.
"""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["require_tool"]

_DEBIAN_PACKAGE = {"dot": "graphviz", "kcat": "kcat"}


def require_tool(name: str) -> str:
    """Return the path of program ``name``, or skip (fail under CI) if it is not installed."""
    path = shutil.which(name)
    if path is not None:
        return path
    package = _DEBIAN_PACKAGE.get(name, name)
    message = f"{name!r} is not installed (Debian: apt-get install {package})"
    if os.environ.get("CI"):
        pytest.fail(message + "; .ci/run should have installed it")
    pytest.skip(message)
