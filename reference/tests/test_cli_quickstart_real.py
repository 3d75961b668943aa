"""``glasskafka quickstart``: the story on real processes, and nothing left behind.

This is the README's main command: without options it runs on real processes (``--real`` says
the same explicitly; ``--sim`` chooses the simulator, tested in ``test_cli_quickstart.py``).

The run takes real seconds (about ten: most of it is ``zookeeper.session.timeout.ms`` after the
kill), so one run, shared by the tests that read its output, is made per module.  Each run is
bounded by an alarm, so a hang fails the test instead of stalling the suite (the run's own
``finally`` then stops its processes).  The key lines are checked, not the whole text: ports,
pids and the controller election differ from run to run.

A run that fails part-way (an error, Ctrl-C, or SIGTERM sent to the command's own process) must
stop every process it started and remove its directory (or keep it, with ``--keep``); options
that belong to the other run are refused before anything starts.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest
from glasskafka.cli import main, quickstart_real
from glasskafka.cli.quickstart import EVENTS, TOPIC
from glasskafka.errors import GlassKafkaError
from glasskafka.runtime.cluster import is_running

RUN_LIMIT_S = 120
"""A generous bound: a run that has not finished by then is hung, not slow."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    status: int
    out: str
    err: str

    @property
    def directory(self) -> Path:
        found = re.search(r"files in (\S+)$", self.out, re.M)
        assert found is not None, self.out
        return Path(found.group(1))

    @property
    def pids(self) -> list[int]:
        return [
            int(pid) for pid in re.findall(r"^      \S+: pid (\d+), listening on ", self.out, re.M)
        ]


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError(f"glasskafka quickstart ran longer than {RUN_LIMIT_S} s")


def run_bounded(*args: str) -> Run:
    """``main(["quickstart", *args])`` with its output captured, stopped after RUN_LIMIT_S."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, RUN_LIMIT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["quickstart", *args])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return Run(status=status, out=out.getvalue(), err=err.getvalue())


def processes_using(directory: Path) -> list[int]:
    """Pids of live processes whose command line names ``directory`` (the run's config files)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if str(directory).encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
    return [pid for pid in found if is_running(pid)]


def step(output: str, number: int) -> str:
    found = re.search(rf"^Step {number}\. .*?(?=^Step {number + 1}\. |\Z)", output, re.M | re.S)
    assert found is not None, f"no step {number}"
    return found.group(0)


def consumed(text: str) -> list[tuple[int, str]]:
    return [
        (int(offset), value)
        for offset, value in re.findall(r"^  offset (\d+)  key=null  value=(.*)$", text, re.M)
    ]


@pytest.fixture(scope="module")
def real_run() -> Run:
    return run_bounded()  # the README's command: no options at all


def test_the_readme_runs_this_command() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "&& .venv/bin/glasskafka quickstart\n" in readme


def test_the_run_succeeds_and_tells_the_story_in_the_courses_order(real_run: Run) -> None:
    assert (real_run.status, real_run.err) == (0, ""), real_run.err
    titles = re.findall(r"^Step \d+\. (.*)$", real_run.out, re.M)
    assert titles[:5] == [
        "Start the coordination service and 3 brokers",
        "Brokers register and elect a controller",
        f"Create topic {TOPIC} with 3 partitions and replication factor 3",
        "Produce three events to partition 0 with acks=all",
        "Consume partition 0 from the beginning",
    ]
    assert re.fullmatch(r"Kill the leader of partition 0, broker [123]", titles[5])
    assert titles[6:] == [
        "Consume partition 0 again, from the new leader",
        "Where the data lives: each broker's log directory (real files)",
        "Stop",
    ]


def test_the_processes_start_with_the_commands_a_student_would_type(real_run: Run) -> None:
    start = step(real_run.out, 1)
    assert "$ glasskafka zookeeper-start " in start and "zookeeper.properties &" in start
    for n in (1, 2, 3):
        assert (
            f"$ glasskafka broker-start {real_run.directory}/config/server-{n}.properties &"
            in start
        )
        assert re.search(
            rf"^      broker-{n}: pid \d+, listening on 127\.0\.0\.1:\d+$", start, re.M
        )
    assert len(set(real_run.pids)) == 4


def test_the_coordination_service_shows_the_registrations_and_the_controller(
    real_run: Run,
) -> None:
    registered = step(real_run.out, 2)
    assert re.search(
        r"zk-shell -server 127\.0\.0\.1:\d+ ls /brokers/ids\n      \[1, 2, 3\]", registered
    )
    znode = re.search(r'^      \{"brokerid":([123]),', registered, re.M)
    assert znode is not None, "the /controller znode was not shown"
    assert (
        f"broker {znode.group(1)} created the ephemeral /controller first and is the controller, "
        "with controller epoch 1." in registered
    )


def test_the_topic_is_created_and_described_as_kafka_topics_does(real_run: Run) -> None:
    created = step(real_run.out, 3)
    assert f"  Created topic {TOPIC}.\n" in created
    assert f"  Topic: {TOPIC}\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: \n" in created
    for line in (
        f"\tTopic: {TOPIC}\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3",
        f"\tTopic: {TOPIC}\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,3,1",
        f"\tTopic: {TOPIC}\tPartition: 2\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,1,2",
    ):
        assert f"  {line}\n" in created


def test_three_events_get_offsets_0_to_2_and_are_read_back(real_run: Run) -> None:
    produced = step(real_run.out, 4)
    assert "ProduceRequest with acks=-1 (all)" in produced
    assert re.findall(r"-> partition 0, offset (\d+)", produced) == ["0", "1", "2"]
    first_read = step(real_run.out, 5)
    assert "earliest offset 0, latest offset (the high watermark) 3" in first_read
    assert consumed(first_read) == [(i, event.decode()) for i, event in enumerate(EVENTS)]


def test_after_the_kill_a_new_leader_serves_exactly_what_was_produced(real_run: Run) -> None:
    kill = step(real_run.out, 6)
    killed = re.search(r"Kill the leader of partition 0, broker (\d)", kill)
    assert killed is not None
    assert re.search(rf"\$ kill -9 \$\(cat \S+/run/broker-{killed.group(1)}\.pid\)", kill)
    elected = re.search(rf"elected broker (\d) leader of {TOPIC}-0:", kill)
    assert elected is not None and elected.group(1) != killed.group(1)
    new_leader = elected.group(1)
    assert "Leader epoch 0 -> 1" in kill
    assert f"\tPartition: 0\tLeader: {new_leader}\tReplicas: 1,2,3\tIsr: " in kill
    listed = re.search(r"ls /brokers/ids\n      \[(.*)\]", kill)
    assert listed is not None and killed.group(1) not in listed.group(1)
    second_read = step(real_run.out, 7)
    assert consumed(second_read) == [(i, event.decode()) for i, event in enumerate(EVENTS)]
    assert f"read from leader broker {new_leader})" in second_read
    assert "Nothing acknowledged was lost" in second_read


def test_the_disks_show_a_segment_per_replica_with_the_same_bytes(real_run: Run) -> None:
    disks = step(real_run.out, 8)
    for broker in (1, 2, 3):
        assert f"log.dirs={real_run.directory}/data/kafka-logs-{broker}):" in disks
        for partition in (0, 1, 2):
            assert f"broker-{broker}: {TOPIC}-{partition}/00000000000000000000.log (" in disks
    sizes = re.findall(rf"{TOPIC}-0/00000000000000000000\.log \((\d+) bytes\)", disks)
    assert len(sizes) == 3 and len(set(sizes)) == 1 and int(sizes[0]) > 0
    assert re.search(r"00000000000000000000\.index +\d+ bytes", disks)


def test_everything_is_stopped_by_pid_and_the_directory_removed(real_run: Run) -> None:
    stop = step(real_run.out, 9)
    assert re.findall(r"^  (\S+): pid \d+ (.*)$", stop, re.M)[-1] == ("zookeeper", "stopped")
    assert all(not is_running(pid) for pid in real_run.pids)
    assert processes_using(real_run.directory) == []
    assert f"Removed {real_run.directory}." in stop and not real_run.directory.exists()


def test_nothing_alarming_is_printed(real_run: Run) -> None:
    lowered = real_run.out.lower()
    for word in ("traceback", "error", "warning", "exception", "failed"):
        assert word not in lowered


# -- failures part-way, and refused options ---------------------------------------------------


@pytest.fixture
def kept_directories() -> Iterator[list[Path]]:
    kept: list[Path] = []
    yield kept
    for directory in kept:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize(
    ("failure", "keep", "status"),
    [(GlassKafkaError("the broker said no"), False, 2), (KeyboardInterrupt(), True, 130)],
)
def test_a_run_that_fails_part_way_leaves_no_process_behind(
    monkeypatch: pytest.MonkeyPatch,
    kept_directories: list[Path],
    failure: BaseException,
    keep: bool,
    status: int,
) -> None:
    def broken(bootstrap: str, talk: object) -> list[int]:
        raise failure

    monkeypatch.setattr(quickstart_real, "_produce", broken)
    run = run_bounded(*(["--keep"] if keep else []))
    if keep:
        kept_directories.append(run.directory)
    assert run.status == status
    if isinstance(failure, GlassKafkaError):
        assert run.err == "glasskafka quickstart: error: the broker said no\n"
    assert "Traceback" not in run.out + run.err
    assert "Step 4." not in run.out and len(run.pids) == 4
    assert all(not is_running(pid) for pid in run.pids)
    assert processes_using(run.directory) == []
    if keep:
        assert f"Kept {run.directory}" in run.out
        assert (run.directory / "logs" / "broker-1.log").is_file()
    else:
        assert not run.directory.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keep", "--sim"], "--keep is for a run on real processes"),
        (["--keep", "--seed", "1"], "--keep is for a run on real processes"),
        (["--real", "--seed", "3"], "--seed and --verbose are for the simulated run"),
        (["--real", "--verbose"], "--seed and --verbose are for the simulated run"),
    ],
)
def test_options_of_the_other_run_are_refused_before_anything_starts(
    args: list[str], message: str
) -> None:
    run = run_bounded(*args)
    assert run.status == 2 and message in run.err and "Traceback" not in run.err
    assert run.out == ""


@pytest.mark.parametrize(
    "args", [["--real", "--keep=yes"], ["--real", "extra"], ["--real", "--sim"], ["--keep", "x"]]
)
def test_malformed_options_are_a_usage_error(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info, contextlib.redirect_stderr(io.StringIO()) as err:
        main(["quickstart", *args])
    assert exit_info.value.code == 2
    assert "usage: glasskafka" in err.getvalue() and "Traceback" not in err.getvalue()


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM)]
)
def test_ctrl_c_or_a_kill_of_the_command_stops_every_process_it_started(
    signum: signal.Signals, status: int
) -> None:
    """The command as a user runs it, in its own process, interrupted once its brokers are up:
    Ctrl-C (SIGINT) or ``kill`` (SIGTERM) still stops the cluster and removes the directory."""
    entry = "import sys; from glasskafka.cli import main; sys.exit(main())"
    command = subprocess.Popen(
        [sys.executable, "-c", entry, "quickstart"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell's background job may start with SIGINT ignored, which Python would inherit.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert command.stdout is not None
    lines = []
    try:
        for line in command.stdout:  # bounded: the run itself gives up after its own waits
            lines.append(line)
            if line.startswith("Step 2."):
                break
        command.send_signal(signum)
        rest, err = command.communicate(timeout=RUN_LIMIT_S)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    out = "".join(lines) + rest
    run = Run(status=command.returncode, out=out, err=err)
    assert run.status == status, run.err
    assert "Traceback" not in run.err
    assert len(run.pids) == 4 and all(not is_running(pid) for pid in run.pids)
    assert processes_using(run.directory) == []
    assert f"Removed {run.directory}." in run.out and not run.directory.exists()
