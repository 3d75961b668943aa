"""Draw a partition log: segments, index entries, log start and log end offsets.

Run from the repository root::

    python -m tutorials.ch02_the_log.draw_the_log > the_log.dot
    dot -Tsvg the_log.dot > the_log.svg          # needs Graphviz

It appends 20 batches of page visits to ``page_visits-0``, lets retention delete the oldest
segment, and prints the picture as DOT source (``glasskafka.viz.log.log_picture``).  The chapter
shows the ``the_log.dot`` kept beside this script, and the chapter's test checks that it is
exactly what this script prints.
"""

from __future__ import annotations

import pathlib
import tempfile

from glasskafka.viz.log import log_picture

from tutorials.ch02_the_log.common import START_MS, append_visits, open_log

__all__ = ["dot_source", "main"]


def dot_source() -> str:
    """The DOT source of the picture."""
    with tempfile.TemporaryDirectory(prefix="glasskafka-ch02-") as scratch:
        log = open_log(pathlib.Path(scratch))
        append_visits(log, 20)
        # A minute later the first segment's newest record is past retention.ms=60000.
        log.delete_old_segments(now_ms=START_MS + 60_010)
        source: str = log_picture(log, high_watermark=log.log_end_offset - 3).source
        log.disk.close()
    return source


def main() -> None:
    """Print the picture's DOT source."""
    print(dot_source(), end="")


if __name__ == "__main__":
    main()
