"""Smoke test of the simulator benchmark at a tiny size (no timing assertions)."""

from __future__ import annotations

import pytest

from benchmarks import sim_throughput


def test_both_runs_make_every_delivery() -> None:
    assert sim_throughput.run_simulator(101)[0] == 101
    assert sim_throughput.run_peer(101)[0] == 101


def test_main_prints_both_rates_and_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert sim_throughput.main(["--deliveries", "300", "--repeat", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["deliveries", "per", "run:", "300"]
    assert [line.split(":")[0] for line in lines[1:]] == [
        "simulator (glasskafka.sim)",
        "peer (bare heapq loop)",
        "ratio simulator/peer",
    ]
    assert float(lines[3].split()[-1]) > 0


@pytest.mark.parametrize("argv", [["--deliveries", "0"], ["--repeat", "-1"], ["--deliveries", "x"]])
def test_bad_arguments_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        sim_throughput.main(argv)
    assert exit_.value.code == 2
    assert "--deliveries" in capsys.readouterr().err
