"""The facade example of ``docs/guide/moving-to-real-kafka.md`` runs as printed.

The page's Python block is taken from the page itself, pointed at a one-broker glasskafka cluster
started for the test (the only line changed is ``BOOTSTRAP``), and run; what it prints must be
what the page promises: four records written and four read back, in order per partition.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up

PAGE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "moving-to-real-kafka.md"


def example() -> str:
    (block,) = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    return str(block)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ClusterProcess]]:
    directory = tmp_path_factory.mktemp("facade-docs")
    processes = cluster_up(directory, brokers=1)
    try:
        yield processes
    finally:
        cluster_down(directory)


def test_the_page_has_one_example_naming_its_bootstrap_server() -> None:
    assert 'BOOTSTRAP = "127.0.0.1:9092"' in example()


def test_the_example_runs_and_prints_what_it_wrote(cluster: list[ClusterProcess]) -> None:
    broker = next(p for p in cluster if p.name == "broker-1")
    code = example().replace('"127.0.0.1:9092"', repr(broker.address))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(PAGE), "exec"), {"__name__": "example"})
    lines = printed.getvalue().splitlines()
    written = [line for line in lines if line.startswith("written to partition")]
    read = [line.split(" ", 3) for line in lines if not line.startswith("written")]
    assert len(written) == 4
    (partition,) = {line.split()[3] for line in written}  # one key, so one partition
    assert written == [f"written to partition {partition} at offset {n}" for n in range(4)]
    assert read == [[partition, str(n), "b'user-1'", f"hello {n}"] for n in range(4)]
    assert not [t for t in threading.enumerate() if t.name.startswith("glasskafka-client")]
