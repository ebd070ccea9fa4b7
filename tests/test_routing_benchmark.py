"""benchmarks/routing.py runs on the committed ZeroEval sample (the full data is rebuilt, not committed)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import routing  # noqa: E402


def test_the_benchmark_runs_on_the_sample_and_prints_every_task_and_margin(capsys):
    routing.run(reps=2, sample=True)
    out = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in out if line.split() and line.split()[0] in routing.TASKS]
    margins, timed = rows[:len(routing.TASKS) * len(routing.MARGINS)], rows[len(routing.TASKS) * len(routing.MARGINS):]
    assert [(r[0], float(r[1])) for r in margins] == [(t, m) for t in routing.TASKS for m in routing.MARGINS]
    assert any(line.startswith("violation rate over all tasks and margins (compound)") for line in out)
    # the router's own times: trained on half of each task's 200 sampled questions, a positive time each
    assert [(r[0], int(r[1])) for r in timed] == [(t, 100) for t in routing.TASKS]
    assert all(float(r[2]) > 0 and float(r[3]) > 0 for r in timed)
