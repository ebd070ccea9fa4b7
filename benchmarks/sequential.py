"""Sequential (anytime-valid) selection against a fixed-size run, by simulation.

    python benchmarks/sequential.py [--runs 1000] [--seed 2026]

One task, a reference (0/1 scores, accuracy 0.8) and 6 cheaper candidates at
realistic spreads, paired and correlated with the reference (latent correlation
0.8, as in harness.stats.simulate). max_drop 0.05, family-wise alpha 0.05.

Sequential design (what `harness run --sequential` does): rounds of 50 samples up to
1,000. Each round the next slice goes to the candidates still open; a candidate is
open while undecided, cheaper than the cheapest candidate that has passed (a dearer
one can no longer be chosen), and not futile (its predictive probability of passing
by the end of the data is at least 5%: harness.stats.pass_probability). The
task stops when the cheapest passing candidate is settled (it passed and every
cheaper one has failed) or nothing is open or the data is used up. The reference
sees every sample any open candidate sees. Per-candidate level alpha/6
(Bonferroni; valid with anytime-valid tests under any stopping rule).
Fixed design: every candidate and the reference on n samples, Tango's
non-inferiority test (harness.stats.noninferiority_test), Holm over the 6; the
power-matched n is the smallest (step 25) whose power to pass D reaches the
sequential design's.
"samples" counts model calls: candidates' plus the reference's.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.stats import bonferroni_alpha, holm, noninferiority_test, sequential_decisions  # noqa: E402
from harness.stats._sequential import FUTILITY_BELOW, SEQUENTIAL_HORIZON, pass_probability_at_looks  # noqa: E402

MAX_DROP, ALPHA, REF_ACC, AGREEMENT = 0.05, 0.05, 0.8, 0.8
ROUND, N_MAX = 50, 1000
HORIZON, FUTILITY = SEQUENTIAL_HORIZON, FUTILITY_BELOW  # what harness run --sequential uses
# name, true difference to the reference, $ per 1,000 samples (the reference: $2.00)
CANDIDATES = [
    ("A clearly failing", -0.20, 0.10),
    ("B failing", -0.10, 0.20),
    ("C at the margin", -0.05, 0.30),
    ("D passing, cheaper", 0.02, 0.60),
    ("E passing", -0.01, 0.80),
    ("F as good", 0.00, 1.00),
]
REF_COST = 2.00
BEST = 3  # D: the cheapest candidate that should pass
MARGIN_CANDIDATE = 2  # C


def simulate_task(runs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(reference (runs, N), candidates (K, runs, N)) 0/1 scores with a shared reference."""
    z_ref = rng.standard_normal((runs, N_MAX))
    reference = (z_ref < stats.norm.ppf(REF_ACC)).astype(float)
    cands = []
    for _, diff, _ in CANDIDATES:
        z = AGREEMENT * z_ref + math.sqrt(1 - AGREEMENT**2) * rng.standard_normal(z_ref.shape)
        cands.append((z < stats.norm.ppf(REF_ACC + diff)).astype(float))
    return reference, np.stack(cands)


def sequential(reference, cands, horizon, futility=None):
    K, runs, _ = cands.shape
    looks = np.arange(ROUND, N_MAX + 1, ROUND)
    a = bonferroni_alpha(ALPHA, K)
    verdicts, when = zip(*(sequential_decisions(c - reference, MAX_DROP, a, looks, horizon) for c in cands))
    verdicts, when = np.stack(verdicts), np.stack(when)  # (K, runs)
    if futility is None:
        futile_at = np.full((K, runs), N_MAX + 1)
    else:
        pp = pass_probability_at_looks(cands - reference, -MAX_DROP, a, N_MAX, looks)  # (K, runs, looks)
        low = pp < futility
        futile_at = np.where(low.any(axis=-1), looks[low.argmax(axis=-1)], N_MAX + 1)
    # Decisions per candidate do not depend on the others; the task loop only decides
    # how long each candidate keeps receiving samples.
    used = np.zeros((K, runs), dtype=np.intp)
    chosen = np.full(runs, -1)
    for r in range(runs):
        n_used = np.zeros(K, dtype=np.intp)
        open_ = np.ones(K, dtype=bool)
        for look in looks:
            n_used[open_] = look
            # a verdict counts only once the candidate has had the samples it rests on (not after a drop)
            passed = [k for k in range(K) if verdicts[k, r] == 1 and when[k, r] <= min(look, n_used[k])]
            cheapest = min(passed) if passed else K  # candidates are listed by cost
            for k in range(K):
                decided = verdicts[k, r] != 0 and when[k, r] <= min(look, n_used[k])
                dropped = futile_at[k, r] <= look and not decided
                open_[k] = open_[k] and not decided and not dropped and k < cheapest
            if not open_.any():
                break
        used[:, r] = n_used
        passed_final = [k for k in range(K) if verdicts[k, r] == 1 and when[k, r] <= n_used[k]]
        chosen[r] = min(passed_final) if passed_final else -1
    verdict_seen = np.where(when <= used, verdicts, 0)
    return used, verdict_seen, chosen


def fixed(reference, cands, n):
    K, runs, _ = cands.shape
    verdict = np.zeros((K, runs), dtype=np.int8)
    for r in range(runs):
        p = [noninferiority_test(cands[k, r, :n], reference[r, :n], MAX_DROP, alpha=ALPHA).pvalue for k in range(K)]
        verdict[:, r] = holm(p) <= ALPHA
    passed = verdict == 1
    chosen = np.where(passed.any(axis=0), passed.argmax(axis=0), -1)
    return verdict, chosen


def summarise(name, samples, dollars, pass_d, false_pass_c, fwer, picked_d):
    return (f"{name:<34} {np.mean(samples):>8.0f} {np.percentile(samples, 90):>8.0f} "
            f"{np.mean(dollars):>7.2f} {np.percentile(dollars, 90):>7.2f} "
            f"{pass_d:>7.3f} {false_pass_c:>8.4f} {fwer:>7.4f} {picked_d:>7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    reference, cands = simulate_task(args.runs, rng)
    costs = np.array([c for _, _, c in CANDIDATES]) / 1000
    nulls = np.array([d <= -MAX_DROP for _, d, _ in CANDIDATES])
    lines, seq_rows = [], {}
    header = (f"{'design':<34} {'samples':>8} {'p90':>8} {'$ mean':>7} {'$ p90':>7} "
              f"{'pow D':>7} {'FP at C':>8} {'FWER':>7} {'pick D':>7}")
    designs = (("sequential (harness)", HORIZON, FUTILITY), ("sequential, no futility stop", HORIZON, None),
               ("sequential, paper bet schedule", None, FUTILITY))
    for label, horizon, fut in designs:
        used, verdict, chosen = sequential(reference, cands, horizon, fut)
        ref_used = used.max(axis=0)
        samples = used.sum(axis=0) + ref_used
        dollars = costs @ used + REF_COST / 1000 * ref_used
        pass_d = np.mean(verdict[BEST] == 1)
        fwer = np.mean((verdict[nulls] == 1).any(axis=0))
        seq_rows[label] = (samples, pass_d, dollars)
        lines.append(summarise(label, samples, dollars, pass_d, np.mean(verdict[MARGIN_CANDIDATE] == 1), fwer,
                               np.mean(chosen == BEST)))
        per_cand = "  ".join(f"{CANDIDATES[k][0].split()[0]}:{used[k].mean():.0f}" for k in range(len(CANDIDATES)))
        lines.append(f"    mean samples per candidate: {per_cand}  ref:{ref_used.mean():.0f}")
    target = seq_rows[designs[0][0]][1]
    fixed_rows, matched = [], None
    for n in range(100, N_MAX + 1, 25):
        verdict, chosen = fixed(reference, cands, n)
        pass_d = np.mean(verdict[BEST] == 1)
        if matched is None and pass_d >= target:
            matched = n
        if n == N_MAX or n == matched:
            samples = np.full(args.runs, n * (len(CANDIDATES) + 1))
            dollars = np.full(args.runs, n * (costs.sum() + REF_COST / 1000))
            fixed_rows.append((n, summarise(f"fixed n={n}" + (" (power-matched)" if n == matched else ""),
                                            samples, dollars, pass_d, np.mean(verdict[MARGIN_CANDIDATE] == 1),
                                            np.mean((verdict[nulls] == 1).any(axis=0)), np.mean(chosen == BEST))))
    print(f"{args.runs} simulated tasks; max_drop {MAX_DROP}, family-wise alpha {ALPHA}, rounds of {ROUND} up to {N_MAX}")
    print("candidates (true difference, $/1k samples): "
          + ", ".join(f"{n} ({d:+.2f}, {c:.2f})" for n, d, c in CANDIDATES) + f"; reference $/1k {REF_COST:.2f}")
    print(header)
    for line in lines:
        print(line)
    for _, line in fixed_rows:
        print(line)
    seq_samples, _, seq_dollars = seq_rows[designs[0][0]]
    for n, _ in fixed_rows:
        fixed_dollars = n * (costs.sum() + REF_COST / 1000)
        print(f"{designs[0][0]} vs fixed n={n}: {100 * (1 - seq_samples.mean() / (n * (len(CANDIDATES) + 1))):.0f}% "
              f"fewer samples (p90: {100 * (1 - np.percentile(seq_samples, 90) / (n * (len(CANDIDATES) + 1))):.0f}%), "
              f"{100 * (1 - seq_dollars.mean() / fixed_dollars):.0f}% fewer dollars")
    if matched is None:
        print(f"no fixed n <= {N_MAX} reaches the sequential power on D ({target:.3f})")
    print("pow D: P(D passes); FP at C: P(C passes), truth at -max_drop; FWER: P(any of A, B, C passes); "
          "pick D: P(D is the chosen cheapest passing candidate)")


if __name__ == "__main__":
    main()
