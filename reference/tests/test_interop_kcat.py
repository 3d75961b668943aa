"""kcat (librdkafka) against a real glasskafka cluster on loopback.

Debian's kcat links an old librdkafka, whose exact-version feature checks are the strictest of the
clients in use (wire-protocol.md §3-4).  The test starts a coordination service and two brokers
as real processes (``glasskafka.runtime.cluster``) on free ports, stops them by pid afterwards,
and checks the flows of wire-protocol.md §11:

* ``kcat -L``: ApiVersions (v3 refused, retried at v2), then Metadata: both brokers, the
  controller, a topic with its partitions, leaders, replicas and ISR;
* ``kcat -P`` then ``kcat -C -o beginning -e``: records round-trip with their keys, in order, at
  offsets 0, 1, 2...; with ``-X acks=0`` too (a Produce that gets no answer), and with
  ``-X enable.idempotence=true`` (InitProducerId first, then numbered batches).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up

from model_tests.support import require_tool

TIMEOUT_S = 30
ENTRY = "import sys; from glasskafka.cli import main; sys.exit(main())"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ClusterProcess]]:
    directory = tmp_path_factory.mktemp("kcat-cluster")
    processes = cluster_up(directory, brokers=2)
    try:
        yield processes
    finally:
        cluster_down(directory)


def bootstrap(processes: list[ClusterProcess]) -> str:
    return ",".join(p.address for p in processes if p.name.startswith("broker-"))


def glasskafka(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``glasskafka`` command line in a process of its own."""
    command = [sys.executable, "-c", ENTRY, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=True)


def kcat(*args: str, stdin: str = "") -> str:
    tool = require_tool("kcat")
    done = subprocess.run(
        [tool, *args], input=stdin, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_kcat_lists_brokers_and_topics(cluster: list[ClusterProcess]) -> None:
    servers = bootstrap(cluster)
    glasskafka("topics", "--create", "--topic", "listed", "--partitions", "2",
               "--replication-factor", "2", "--bootstrap-server", servers)  # fmt: skip
    listing = kcat("-b", servers, "-L")
    ports = [p.address for p in cluster if p.name.startswith("broker-")]
    assert " 2 brokers:" in listing
    for number, address in enumerate(ports, start=1):
        assert f"broker {number} at {address}" in listing
    assert listing.count("(controller)") == 1
    assert '  topic "listed" with 2 partitions:' in listing
    assert "    partition 0, leader 1, replicas: 1,2, isrs: 1,2" in listing
    assert "    partition 1, leader 2, replicas: 2,1, isrs: 2,1" in listing


@pytest.mark.parametrize(
    "settings", [["acks=all"], ["acks=0"], ["enable.idempotence=true"]], ids=lambda s: s[0]
)
def test_kcat_produces_and_consumes_from_the_beginning(
    cluster: list[ClusterProcess], settings: list[str]
) -> None:
    servers = bootstrap(cluster)
    topic = "round-trip-" + settings[0].replace("=", "-").replace(".", "-")
    glasskafka("topics", "--create", "--topic", topic, "--bootstrap-server", servers)
    lines = [f"key-{n}:value number {n}" for n in range(20)]
    kcat("-b", servers, "-P", "-t", topic, "-p", "0", "-K", ":", "-X", settings[0],
         stdin="\n".join(lines) + "\n")  # fmt: skip
    consumed = kcat("-b", servers, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e",
                    "-f", "%o %k=%s\\n")  # fmt: skip
    expected = [f"{n} key-{n}=value number {n}" for n in range(20)]
    assert consumed.splitlines() == expected


def test_the_records_are_in_the_brokers_log_directory(cluster: list[ClusterProcess]) -> None:
    servers = bootstrap(cluster)
    glasskafka("topics", "--create", "--topic", "on-disk", "--bootstrap-server", servers)
    kcat("-b", servers, "-P", "-t", "on-disk", "-p", "0", stdin="stored\n")
    directory = Path(cluster[0].log_file).parent.parent / "data"
    segments = sorted(directory.glob("kafka-logs-*/on-disk-0/00000000000000000000.log"))
    assert segments and all(b"stored" in segment.read_bytes() for segment in segments[:1])
