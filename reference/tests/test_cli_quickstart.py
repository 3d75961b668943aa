"""``glasskafka quickstart --sim``: the simulated narration, its key lines, and the guide's copy.

The real-process run (the command's default) is tested in ``test_cli_quickstart_real.py``;
here every run is in the simulator, chosen by ``--sim`` or implied by ``--seed``/``--verbose``.
"""

from __future__ import annotations

import pathlib
import re

import pytest
from glasskafka.cli import main
from glasskafka.cli.quickstart import EVENTS, TOPIC

GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "guide" / "quickstart.md"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The simulated run's output (``--sim`` unless ``--seed`` or ``--verbose`` imply it)."""
    implied = any(arg in ("--seed", "--verbose") for arg in args)
    assert main(["quickstart", *([] if implied else ["--sim"]), *args]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def step(output: str, number: int) -> str:
    """The text of step ``number``."""
    found = re.search(rf"^Step {number}\. .*?(?=^Step {number + 1}\. |\Z)", output, re.M | re.S)
    assert found is not None, f"no step {number}"
    return found.group(0)


def consumed(text: str) -> list[tuple[int, str]]:
    return [
        (int(offset), value)
        for offset, value in re.findall(r"^  offset (\d+)  key=null  value=(.*)$", text, re.M)
    ]


def test_the_quickstart_tells_the_whole_story_in_the_courses_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run(capsys)
    titles = re.findall(r"^Step \d+\. (.*)$", out, re.M)
    assert titles == [
        "Start the coordination service and 3 brokers",
        "Brokers register and elect a controller",
        f"Create topic {TOPIC} with 3 partitions and replication factor 3",
        "Produce three events to partition 0 with acks=all",
        "Followers replicate; the high watermark advances",
        "Consume partition 0 from the beginning",
        "Kill the leader of partition 0, broker 1",
        "Consume partition 0 again, from the new leader",
        "Where the data lives: each broker's log directory (simulated disks)",
        "Stop",
    ]
    assert "/brokers/ids = [1, 2, 3]" in step(out, 2)
    assert re.search(
        r"Broker \d created the ephemeral /controller first and is the controller, with "
        r"controller epoch 1\.",
        step(out, 2),
    )
    describe = step(out, 3)
    for line in (
        f"\tTopic: {TOPIC}\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3",
        f"\tTopic: {TOPIC}\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,3,1",
        f"\tTopic: {TOPIC}\tPartition: 2\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,1,2",
    ):
        assert line in describe
    assert re.findall(r"-> partition 0, offset (\d+)", step(out, 4)) == ["0", "1", "2"]
    assert step(out, 5).count("log end offset 3, high watermark 3") == 3


def test_after_the_kill_a_new_leader_from_the_isr_serves_exactly_what_was_produced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run(capsys)
    produced = [(i, event.decode()) for i, event in enumerate(EVENTS)]
    assert consumed(step(out, 6)) == produced
    kill = step(out, 7)
    new_leader = re.search(
        r"elected broker (\d) leader of quickstart-events-0 \(clean election\)", kill
    )
    assert new_leader is not None and new_leader.group(1) != "1"
    assert "Leader epoch 0 -> 1" in kill
    assert f"\tTopic: {TOPIC}\tPartition: 0\tLeader: {new_leader.group(1)}\tReplicas: 1,2,3" in kill
    after = step(out, 8)
    assert consumed(after) == produced
    assert f"read from leader broker {new_leader.group(1)}" in after
    assert "Nothing acknowledged was lost" in after


def test_the_disks_show_a_segment_per_replica_named_by_base_offset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    disks = step(run(capsys), 9)
    for broker in (1, 2, 3):
        for partition in (0, 1, 2):
            assert f"broker-{broker}: {TOPIC}-{partition}/00000000000000000000.log (" in disks
    sizes = re.findall(rf"{TOPIC}-0/00000000000000000000\.log \((\d+) bytes\)", disks)
    assert len(set(sizes)) == 1 and int(sizes[0]) > 0, "every replica holds the same bytes"


def test_when_the_leader_was_also_the_controller_a_new_controller_takes_over(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kill = step(run(capsys, "--seed", "2"), 7)
    assert "Broker 1 was also the controller" in kill
    assert "with controller epoch 2" in kill


@pytest.mark.parametrize("seed", ["1", "5", "123456789"])
def test_other_seeds_tell_the_same_story(capsys: pytest.CaptureFixture[str], seed: str) -> None:
    out = run(capsys, "--seed", seed)
    assert consumed(step(out, 8)) == consumed(step(out, 6))
    assert len(consumed(step(out, 6))) == 3


def test_nothing_alarming_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys).lower()
    for word in ("traceback", "error", "warning", "exception", "failed"):
        assert word not in out


def test_verbose_adds_what_the_nodes_said(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "--verbose")
    assert out.count("-- what the nodes did --") >= 5
    assert re.search(r"^  \| +\d+ ms  broker-\d +sends #\d+ to broker-\d: KafkaRequest", out, re.M)
    assert "LeaderAndIsrRequest" in out


def test_the_guide_page_shows_the_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys)
    page = GUIDE.read_text(encoding="utf-8")
    shown = re.search(r"With the default seed 0:\n\n```text\n(.*?)```", page, re.S)
    assert shown is not None, "the guide lost its output block"
    assert shown.group(1) == out


def test_seed_and_verbose_choose_the_simulator_as_sim_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plain = run(capsys)
    assert plain.startswith("glasskafka quickstart: 3 brokers in the simulator, seed 0\n")
    assert main(["quickstart", "--seed", "0"]) == 0
    assert capsys.readouterr().out == plain
    assert main(["quickstart", "--sim", "--seed", "0"]) == 0
    assert capsys.readouterr().out == plain


@pytest.mark.parametrize(
    "args", [["--seed", "x"], ["--seed"], ["--bogus"], ["--sim", "--real"], ["--sim=yes"]]
)
def test_bad_options_are_a_usage_error_without_a_traceback(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["quickstart", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: glasskafka" in err and "Traceback" not in err
