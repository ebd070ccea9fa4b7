"""Does "pass" mean what it says? Simulate tasks with a known truth and count passes.

    python benchmarks/calibration.py [--replicates 10000] [--seed 2024] [--jobs 2]

For 0/1 and continuous scores, independent and clustered samples, n = 100, 300,
1000, it prints the false-pass rate of `noninferiority_test` when the true mean
difference is exactly -max_drop (must be <= alpha within Monte-Carlo error) and
the pass rate when the candidate is exactly as good as the reference (power).
The generators live in `harness.stats.simulate`, shared with tests/test_stats.py.

Other benchmarks plug in through `BENCHMARKS` (see `register`): a function that
takes the parsed arguments and returns the text to print, e.g. the `select` speed
benchmark, run with `--only select-speed`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from harness.stats import noninferiority_test  # noqa: E402
from harness.stats.simulate import (  # noqa: E402
    PassRate,
    Scenario,
    false_pass_limit,
    noninferiority_pass_rate,
    simulate,
)

MAX_DROP = 0.05
ALPHA = 0.05
SIZES = (100, 300, 1000)

Benchmark = Callable[[argparse.Namespace], str]
BENCHMARKS: dict[str, Benchmark] = {}


def register(name: str) -> Callable[[Benchmark], Benchmark]:
    """Add a benchmark section: `@register("select-speed") def f(args) -> str`."""

    def add(function: Benchmark) -> Benchmark:
        BENCHMARKS[name] = function
        return function

    return add


@dataclass(frozen=True)
class Cell:
    scenario: Scenario
    replicates: int
    seed: int


def _run(cell: Cell) -> tuple[Cell, PassRate, float]:
    started = time.perf_counter()
    rate = noninferiority_pass_rate(cell.scenario, MAX_DROP, ALPHA, cell.replicates, cell.seed)
    return cell, rate, time.perf_counter() - started


def _method(scenario: Scenario) -> str:
    batch = simulate(replace(scenario, n=min(scenario.n, 100)), 1, np.random.default_rng(0))
    clusters = None if batch.clusters is None else batch.clusters[0]
    return noninferiority_test(batch.candidate[0], batch.reference[0], MAX_DROP, clusters=clusters).method


def _describe(scenario: Scenario) -> str:
    """Measured properties of the simulated data, so the table can be judged."""
    batch = simulate(replace(scenario, n=1000, true_difference=-MAX_DROP), 200, np.random.default_rng(1))
    difference = batch.candidate - batch.reference
    text = f"sd(a-b) {difference.std():.3f}, P(|a-b| < 0.1) {np.mean(np.abs(difference) < 0.1):.2f}"
    if batch.clusters is not None:
        text += f", ICC scores {_icc(batch.reference, batch.clusters):.2f}, ICC a-b {_icc(difference, batch.clusters):.2f}"
    return text


def _icc(values: np.ndarray, clusters: np.ndarray) -> float:
    """One-way ANOVA intraclass correlation, averaged over the simulated tasks."""
    estimates = []
    for row, labels in zip(values, clusters):
        sizes = np.bincount(labels)
        means = np.bincount(labels, weights=row) / sizes
        groups, n = sizes.size, row.size
        between = np.sum(sizes * (means - row.mean()) ** 2) / (groups - 1)
        within = np.sum((row - means[labels]) ** 2) / (n - groups)
        size = (n - np.sum(sizes**2) / n) / (groups - 1)
        estimates.append((between - within) / (between + (size - 1) * within))
    return float(np.mean(estimates))


@register("calibration")
def calibration(args: argparse.Namespace) -> str:
    kinds = [(scores, clustered) for scores in ("binary", "continuous") for clustered in (False, True)]
    seeds = np.random.SeedSequence(args.seed).generate_state(len(kinds) * len(SIZES) * 2)
    cells = []
    for (scores, clustered), n in ((kind, n) for kind in kinds for n in SIZES):
        for truth in (-MAX_DROP, 0.0):
            scenario = Scenario(scores, n, truth, clustered=clustered)
            cells.append(Cell(scenario, args.replicates, int(seeds[len(cells)])))
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = {(c.scenario.scores, c.scenario.clustered, c.scenario.n, c.scenario.true_difference): (r, t)
                   for c, r, t in pool.map(_run, cells)}
    elapsed = time.perf_counter() - started
    limit = false_pass_limit(ALPHA, args.replicates)
    lines = [
        f"Calibration of noninferiority_test: max_drop {MAX_DROP}, alpha {ALPHA}, "
        f"{args.replicates} simulated tasks per cell, seed {args.seed}",
        f"false pass = pass rate at a true difference of exactly -{MAX_DROP} (must be <= {ALPHA} "
        f"+ 3 MC SE = {limit:.4f}); power = pass rate at a true difference of 0",
        "reference accuracy 0.8; candidate and reference agree most of the time; clusters of 5-10 samples",
        "",
        f"{'scores':<11}{'samples':<13}{'n':>5}  {'false pass':>10} {'MC SE':>7} {'ok':>3}  "
        f"{'power':>6} {'MC SE':>7}  method",
    ]
    failures = 0
    for scores, clustered in kinds:
        for n in SIZES:
            null, _ = results[(scores, clustered, n, -MAX_DROP)]
            power, _ = results[(scores, clustered, n, 0.0)]
            ok = null.rate <= limit
            failures += not ok
            method = _method(Scenario(scores, n, -MAX_DROP, clustered=clustered))
            lines.append(
                f"{scores:<11}{'clustered' if clustered else 'independent':<13}{n:>5}  "
                f"{null.rate:>10.4f} {null.mc_se:>7.4f} {'yes' if ok else 'NO':>3}  "
                f"{power.rate:>6.3f} {power.mc_se:>7.4f}  {method}"
            )
    lines.append("")
    lines.append("simulated data (n = 1000):")
    for scores, clustered in kinds:
        label = f"{scores}, {'clustered' if clustered else 'independent'}"
        lines.append(f"  {label:<24} {_describe(Scenario(scores, 1000, -MAX_DROP, clustered=clustered))}")
    lines.append(f"\n{len(cells)} cells in {elapsed:.0f} s on {args.jobs} processes; "
                 f"{'all calibrated' if failures == 0 else f'{failures} cell(s) above the limit'}")
    return "\n".join(lines)


@register("select-speed")
def select_speed(args: argparse.Namespace) -> str:
    """`select` on 20 tasks × 30 candidates × 5,000 samples (3 million rows), median of a few repeats."""
    import statistics
    import time

    import pandas as pd

    from harness import results
    from harness.select import Criteria, select

    rng = np.random.default_rng(args.seed)
    tasks, cands, n = 20, 30, 5000
    frames = []
    for t in range(tasks):
        ref = (rng.random(n) < 0.8).astype(float)
        cluster = np.repeat(np.arange(n // 10), 10).astype(str)
        for c in range(cands):
            flips = rng.random(n) < 0.05 * (c % 5) / 4
            frames.append(pd.DataFrame({"task": f"task{t}", "candidate": f"c{c}", "sample_id": np.arange(n).astype(str),
                                        "score": np.where(flips, 1 - ref, ref), "cluster": cluster,
                                        "prod_cost_usd": 1e-4 * (c + 1), "cost_usd": 5e-5 * (c + 1)}))
    df = results.validate(pd.concat(frames, ignore_index=True), "synthetic")
    criteria = {f"task{t}": Criteria(min_score=0.7, max_drop=0.05, alpha=0.05, reference="c29") for t in range(tasks)}
    times = []
    for _ in range(3):
        start = time.perf_counter()
        decisions = select(df, criteria)
        times.append(time.perf_counter() - start)
    passed = sum(v.status == "pass" for d in decisions for v in d.verdicts)
    return (f"select on {tasks} tasks x {cands} candidates x {n:,} samples ({len(df):,} rows, clustered): "
            f"median {statistics.median(times):.2f} s over {len(times)} runs "
            f"(min {min(times):.2f}, max {max(times):.2f}); {passed} passing verdicts")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=10_000, help="simulated tasks per cell")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these sections")
    args = parser.parse_args(argv)
    for name in args.only or list(BENCHMARKS):
        print(BENCHMARKS[name](args), flush=True)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
