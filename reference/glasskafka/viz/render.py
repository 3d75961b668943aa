"""Turning DOT text into an image with Graphviz's ``dot`` program.

Theory of operation
-------------------
Every picture module builds DOT text (or a ``graphviz.Digraph``) that needs no Graphviz
installed, so tests and the docs can read it.  Only making an image runs ``dot``; this file is
the one place that does, so every picture fails the same way when it cannot:

* an image format other than svg, png or pdf is refused before ``dot`` runs;
* a missing ``dot`` program, or DOT text that ``dot`` rejects, raises
  :class:`~glasskafka.errors.GlassKafkaError` with a message saying which, never a bare
  ``subprocess`` or ``graphviz`` exception.

Spec IDs: none.

Simplified from Kafka: Kafka draws no pictures; this is the course's figure pipeline.
"""

from __future__ import annotations

import html
import subprocess

import graphviz

from glasskafka.errors import GlassKafkaError

__all__ = ["IMAGE_FORMATS", "html_text", "render"]

IMAGE_FORMATS = ("svg", "png", "pdf")
"""The image formats :func:`render` makes."""


def render(dot_source: str, *, image_format: str = "svg") -> bytes:
    """Run Graphviz's ``dot`` on ``dot_source`` and return the image (svg, png or pdf).

    Raises :class:`~glasskafka.errors.GlassKafkaError` for another format, when ``dot`` is not
    installed, or when it rejects the text.
    """
    if image_format not in IMAGE_FORMATS:
        raise GlassKafkaError(
            f"image format {image_format!r} is not supported; allowed: {', '.join(IMAGE_FORMATS)}"
        )
    try:
        image: bytes = graphviz.Source(dot_source).pipe(format=image_format)
    except graphviz.ExecutableNotFound as error:
        raise GlassKafkaError(
            "Graphviz's dot program is needed to draw pictures (Debian: apt-get install graphviz)"
        ) from error
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or b"").decode("utf-8", "replace").strip()
        raise GlassKafkaError(f"dot rejected the picture: {detail}") from error
    return image


def html_text(value: str) -> str:
    """``value`` made safe inside a Graphviz HTML label: escaped, control characters shown."""
    printable = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in value)
    # "]" as a character reference: Graphviz 2.43's HTML-label lexer rejects a "]" that
    # directly follows a tag, as in <B>]</B> (found by test_viz_cluster's Hypothesis test).
    return html.escape(printable, quote=True).replace("]", "&#93;")
