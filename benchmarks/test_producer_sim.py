"""Smoke test of the producer benchmark at a tiny size (no timing assertions)."""

from __future__ import annotations

import pytest

from benchmarks import producer_sim


def test_a_run_delivers_every_record_in_batches() -> None:
    setting = producer_sim.Setting(batch_size=16_384, linger_ms=5)
    run = producer_sim.run_once(setting, idempotent=True, records=60, rate=20)
    assert run.records == 60 and run.simulated_ms > 0
    # 60 records of 1000 bytes cannot fit in fewer than four 16 KiB batches.
    assert 4 <= run.batches <= 60


def test_linger_makes_fuller_batches() -> None:
    eager = producer_sim.run_once(
        producer_sim.Setting(batch_size=65_536, linger_ms=0), idempotent=False, records=60, rate=2
    )
    patient = producer_sim.run_once(
        producer_sim.Setting(batch_size=65_536, linger_ms=20), idempotent=False, records=60, rate=2
    )
    assert patient.batches < eager.batches


def test_main_prints_the_grid_and_the_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    assert producer_sim.main(["--records", "40", "--repeat", "1", "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("records per run: 40 of 1000 bytes")
    assert lines[1].split()[:3] == ["batch.size", "linger.ms", "idempotence"]
    rows = [line.split() for line in lines[2:6]]
    assert [row[2] for row in rows] == ["true", "false", "true", "false"]
    assert lines[6] == "ratio idempotence true/false:"
    assert lines[-1].startswith("mean ratio: simulated ")
    assert float(lines[-1].split()[-1]) > 0


@pytest.mark.parametrize("argv", [["--records", "0"], ["--rate", "-1"], ["--repeat", "x"]])
def test_bad_arguments_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        producer_sim.main(argv)
    assert exit_.value.code == 2
    assert "--records" in capsys.readouterr().err
