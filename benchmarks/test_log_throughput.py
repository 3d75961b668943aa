"""Smoke test: the log throughput benchmark runs end to end at a tiny size (no timing asserted)."""

from __future__ import annotations

import pytest

from benchmarks.log_throughput import Case, main, measure


def test_one_case_measures_both_sides() -> None:
    result = measure(Case(records_per_batch=16, batches=5), repeat=1)
    assert result.total_bytes > 5 * 16 * 1000
    assert min(result.log_append, result.file_append, result.log_read, result.file_read) > 0


def test_the_command_prints_a_line_per_batch_size(capsys: pytest.CaptureFixture[str]) -> None:
    results = main(["--megabytes", "0.05", "--repeat", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert [r.case.records_per_batch for r in results] == [16, 1000]
    assert len(lines) == 3 and "1000 records/batch" in lines[2] and "read" in lines[2]
