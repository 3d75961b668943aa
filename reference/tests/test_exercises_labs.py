"""Every lab, end to end through ``glasskafka exercise``: start, solve, fail, and be caught.

For each lab: ``start`` writes the workspace (the template with its contract, and a README);
the reference solution copied into it passes ``check``; the untouched template fails; and a
plausible wrong answer (the bug a student typically writes) fails with a counterexample in the
output.  The budgets are small (``--max-examples 20``) so the file stays fast on two cores.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.resources
import pathlib

import pytest
from glasskafka.cli import main
from glasskafka.exercises import LABS

from model_tests.support import require_tool

BUDGET = ["--max-examples", "20"]

# (lab, text in the solution, replacement): the wrong answer a student plausibly writes.
WRONG_ANSWERS = {
    "crc32c": ("_POLYNOMIAL = 0x82F63B78", "_POLYNOMIAL = 0xEDB88320"),  # zlib's CRC-32
    "varint": ("raw = (value << 1) ^ (value >> 31)", "raw = value & 0xFFFFFFFF"),  # no zigzag
    "index-lookup": ("    return low - 1", "    return low"),  # one slot too far
    "range-assignor": (  # the remainder given to the last members instead of the first
        "1 if index < extra else 0",
        "1 if index >= len(subscribers) - extra else 0",
    ),
    "round-robin-assignor": (  # the cursor restarts at the first member for every topic
        "        for partition in range(count):",
        "        cursor = 0\n        for partition in range(count):",
    ),
    "high-watermark": ("return min(", "return max("),  # HW as max instead of min
    "murmur2": (  # abs() instead of Java's toPositive (x & 0x7fffffff)
        "    return (murmur2(key_bytes) & 0x7FFFFFFF) % num_partitions",
        "    return abs(murmur2(key_bytes)) % num_partitions",
    ),
    "idempotent-dedupe": (  # a duplicate by first sequence alone (bug dedupe_first_seq_only)
        "first == first_seq and last == last_seq",
        "first == first_seq",
    ),
    "auto-commit": (  # commit the positions a poll has just reached (auto_commit_current_poll)
        "    if moment == POLL_START and now_ms >= next_auto_commit_ms:",
        "    if moment != CLOSE and now_ms >= next_auto_commit_ms:",
    ),
    "truncation": (  # KIP-101's rule: trust the leader's offset without comparing epochs
        "    if end_offset == UNDEFINED_EPOCH_OFFSET:",
        "    if end_offset >= 0:\n        return min(end_offset, log_end_offset), True\n"
        "    if end_offset == UNDEFINED_EPOCH_OFFSET:",
    ),
}


def solution_text(name: str) -> str:
    files = importlib.resources.files("glasskafka.exercises.solutions")
    return files.joinpath(f"{LABS[name].template}.py").read_text(encoding="utf-8")


def started(name: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> pathlib.Path:
    workspace = tmp_path / name
    assert main(["exercise", "start", name, "--dir", str(workspace)]) == 0
    capsys.readouterr()
    return workspace


def check(
    name: str, workspace: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    status = main(["exercise", "check", name, "--dir", str(workspace), *BUDGET])
    return status, capsys.readouterr().out


def test_every_lab_has_a_wrong_answer_here() -> None:
    assert sorted(WRONG_ANSWERS) == sorted(LABS)


@pytest.mark.parametrize("name", sorted(LABS))
def test_start_writes_the_template_and_a_readme(
    name: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = LABS[name]
    workspace = tmp_path / "ws"
    assert main(["exercise", "start", name, "--dir", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert f"exercise check {name} --dir {workspace}" in out
    assert sorted(p.name for p in workspace.iterdir()) == sorted(["README.md", lab.file_name])
    source = (workspace / lab.file_name).read_text(encoding="utf-8")
    assert "raise NotImplementedError" in source
    for entry in lab.entry_points:
        assert f"def {entry}(" in source
    assert "Returns" in source and "Examples" in source and "Errors" in source
    readme = (workspace / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# Lab: {lab.title}") and "## Hints" in readme


@pytest.mark.parametrize("name", sorted(LABS))
def test_the_reference_solution_passes(
    name: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = started(name, tmp_path, capsys)
    (workspace / LABS[name].file_name).write_text(solution_text(name), encoding="utf-8")
    status, out = check(name, workspace, capsys)
    assert status == 0, out
    assert "FAIL" not in out and "SKIP" not in out
    assert out.rstrip().endswith(
        f"PASSED: {len(LABS[name].checks)} of {len(LABS[name].checks)} checks passed"
    )


@pytest.mark.parametrize("name", sorted(LABS))
def test_the_untouched_workspace_fails(
    name: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = started(name, tmp_path, capsys)
    status, out = check(name, workspace, capsys)
    assert status == 1, out
    assert "NotImplementedError" in out
    assert out.startswith(f"lab {name}") and "FAILED: 0 of" in out
    assert "not run: fix the failure above first" in out or len(LABS[name].checks) == 1
    assert "Traceback" not in out


@pytest.mark.parametrize("name", sorted(LABS))
def test_a_plausible_wrong_answer_fails_with_a_counterexample(
    name: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = WRONG_ANSWERS[name]
    text = solution_text(name)
    assert old in text, "the wrong answer must edit the solution"
    workspace = started(name, tmp_path, capsys)
    (workspace / LABS[name].file_name).write_text(text.replace(old, new, 1), encoding="utf-8")
    status, out = check(name, workspace, capsys)
    assert status == 1, out
    assert "FAILED" in out and "counterexample for" in out
    for label in ("inputs:", "expected:", "got:"):
        assert label in out
    assert "NotImplementedError" not in out and "Traceback" not in out


def test_the_index_lab_draws_its_counterexample(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_tool("dot")
    old, new = WRONG_ANSWERS["index-lookup"]
    workspace = started("index-lookup", tmp_path, capsys)
    lab_file = workspace / LABS["index-lookup"].file_name
    lab_file.write_text(solution_text("index-lookup").replace(old, new, 1), encoding="utf-8")
    status, out = check("index-lookup", workspace, capsys)
    assert status == 1
    dot = workspace / "index-lookup-counterexample.dot"
    svg = workspace / "index-lookup-counterexample.svg"
    assert f"    {dot}" in out and f"    {svg}" in out
    assert "expected slot" in dot.read_text(encoding="utf-8")
    assert svg.read_bytes().lstrip().startswith((b"<?xml", b"<svg"))


@pytest.mark.parametrize(
    ("name", "picture", "text"),
    [
        ("murmur2", "murmur2-counterexample", "yours"),
        ("idempotent-dedupe", "idempotent-dedupe-counterexample", "duplicate of"),
        ("auto-commit", "auto-commit-counterexample", "yours commits"),
    ],
)
def test_the_new_labs_draw_their_counterexample(
    name: str, picture: str, text: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_tool("dot")
    old, new = WRONG_ANSWERS[name]
    workspace = started(name, tmp_path, capsys)
    lab_file = workspace / LABS[name].file_name
    lab_file.write_text(solution_text(name).replace(old, new, 1), encoding="utf-8")
    status, out = check(name, workspace, capsys)
    assert status == 1
    dot, svg = workspace / f"{picture}.dot", workspace / f"{picture}.svg"
    assert f"    {dot}" in out and f"    {svg}" in out
    assert text in dot.read_text(encoding="utf-8")
    assert svg.read_bytes().lstrip().startswith((b"<?xml", b"<svg"))


def test_a_check_leaves_glasskafka_as_it_was(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import glasskafka.broker.partition as partition
    import glasskafka.client.consumer as consumer
    import glasskafka.client.dispatch as dispatch
    import glasskafka.client.offset_commit as offset_commit
    import glasskafka.client.partitioner as partitioner
    import glasskafka.log.producer_state as producer_state
    import glasskafka.records.batch as batch
    import glasskafka.records.header as header

    def seams() -> tuple[object, ...]:
        return (
            getattr(header, "_crc32c"),  # noqa: B009 -- a private name, read on purpose
            getattr(batch, "_crc32c"),  # noqa: B009
            partition.Partition.maybe_increment_high_watermark,
            getattr(dispatch, "keyed_partition"),  # noqa: B009 -- an imported name, read on purpose
            partitioner.keyed_partition,
            getattr(partitioner, "murmur2"),  # noqa: B009
            producer_state.ProducerStateTable.check_client_append,
            offset_commit.maybe_auto_commit,
            consumer.ConsumerNode._progress_poll,
            consumer.ConsumerNode.close,
        )

    before = seams()
    for name in ("crc32c", "high-watermark", "murmur2", "idempotent-dedupe", "auto-commit"):
        workspace = started(name, tmp_path, capsys)
        check(name, workspace, capsys)
    assert seams() == before


@pytest.mark.parametrize("name", sorted(LABS))
def test_the_contracts_examples_hold_for_the_solution(name: str) -> None:
    """Every example in a template's docstring is true of the reference solution."""
    template = importlib.import_module(f"glasskafka.exercises.templates.{LABS[name].template}")
    solution = importlib.import_module(f"glasskafka.exercises.solutions.{LABS[name].template}")
    runner = doctest.DocTestRunner()
    tests = doctest.DocTestFinder().find(template)
    for test in tests:
        test.globs = dict(vars(solution))
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0 and results.failed == 0
