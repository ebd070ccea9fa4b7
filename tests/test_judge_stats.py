"""Pairwise judge scores decided by the paired non-inferiority test: the error rate stays at alpha.

A world: each sample has a latent quality difference q (candidate minus reference). The judge sees
both answers twice, candidate first and reference first; it favours the answer shown first by `bias`
and adds logistic noise, and says "same" inside a band of `tie`. So its verdicts flip with the order
on many samples (order inconsistency) and it ties often. The mean of q is solved so that the
candidate's true expected score (its win rate, ties and flips counting one half) is exactly
0.5 - max_drop, the boundary of the null hypothesis. At the boundary, the test must pass at most
alpha of the time (+3 Monte-Carlo SE); at a win rate of 0.5 it must pass most of the time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss

from harness import stats
from harness.scorers import REFERENCE_SCORE, Verdict, consistent, pairwise_score

ALPHA = 0.05
REPS = 2000
NODES, WEIGHTS = hermegauss(80)  # E over q ~ Normal(mu, sd) by Gauss-Hermite quadrature
WEIGHTS = WEIGHTS / WEIGHTS.sum()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _probabilities(q, order: int, bias: float, tie: float):
    """P(better), P(worse) of one verdict; order +1: the candidate is shown first."""
    z = q + bias * order
    return _sigmoid(z - tie), _sigmoid(-z - tie)


def expected_score(mu: float, sd: float, bias: float, tie: float) -> float:
    q = mu + sd * NODES
    b1, w1 = _probabilities(q, +1, bias, tie)
    b2, w2 = _probabilities(q, -1, bias, tie)
    both_better, both_worse = b1 * b2, w1 * w2
    per_q = both_better + 0.5 * (1 - both_better - both_worse)
    return float(np.sum(WEIGHTS * per_q))


def solve_mu(target: float, sd: float, bias: float, tie: float) -> float:
    low, high = -10.0, 10.0  # expected_score increases with mu
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if expected_score(mid, sd, bias, tie) < target else (low, mid)
    return (low + high) / 2


def _verdicts(q, order: int, bias: float, tie: float, rng) -> np.ndarray:
    z = q + bias * order + rng.logistic(size=q.shape)
    return np.where(z > tie, Verdict.BETTER, np.where(z < -tie, Verdict.WORSE, Verdict.SAME))


def simulate(mu: float, sd: float, bias: float, tie: float, n: int, reps: int, rng
             ) -> tuple[np.ndarray, np.ndarray]:
    """Scores (reps × n) built with pairwise_score from both orders' verdicts, and each replicate's
    order-consistency rate."""
    q = rng.normal(mu, sd, size=(reps, n))
    first, second = _verdicts(q, +1, bias, tie, rng), _verdicts(q, -1, bias, tie, rng)
    score = np.vectorize(lambda a, b: pairwise_score(Verdict(a), Verdict(b)))(first, second)
    agree = np.vectorize(lambda a, b: consistent(Verdict(a), Verdict(b)))(first, second)
    return score.astype(float), agree.mean(axis=1)


def pass_rate(scores: np.ndarray, margin: float) -> float:
    reference = np.full(scores.shape[1], REFERENCE_SCORE)
    return float(np.mean([stats.noninferiority_test(s, reference, margin, alpha=ALPHA).rejected for s in scores]))


def test_the_pairwise_score_of_two_verdicts():
    B, S, W = Verdict.BETTER, Verdict.SAME, Verdict.WORSE
    assert pairwise_score(B, B) == 1.0 and pairwise_score(W, W) == 0.0
    assert {pairwise_score(a, b) for a in (B, S, W) for b in (B, S, W) if (a, b) not in ((B, B), (W, W))} == {0.5}
    assert pairwise_score(S, S) == REFERENCE_SCORE  # the reference against itself
    assert consistent(B, B) and consistent(S, S) and not consistent(B, W)


def test_the_world_is_what_it_says():
    """The quadrature's expected score is the simulated one, so the boundary is where the test is run."""
    rng = np.random.default_rng(1)
    mu = solve_mu(0.45, sd=1.0, bias=0.8, tie=0.5)
    assert expected_score(mu, 1.0, 0.8, 0.5) == pytest.approx(0.45, abs=1e-9)
    scores, agree = simulate(mu, 1.0, 0.8, 0.5, 2000, 50, rng)
    assert scores.mean() == pytest.approx(0.45, abs=0.004)  # 100,000 samples: SE about 0.0013
    assert 0.3 < agree.mean() < 0.7  # the judge flips with the order on many samples


@pytest.mark.parametrize(("margin", "n", "sd", "bias", "tie"), [
    (0.05, 300, 1.0, 0.8, 0.5),   # strong position bias: half the verdicts flip with the order
    (0.05, 60, 1.0, 0.8, 0.5),    # few samples: the three-point scores are far from normal
    (0.02, 400, 2.0, 0.3, 1.5),   # many ties, a wide spread of sample difficulty
    (0.10, 150, 0.5, 1.5, 0.2),   # a judge that nearly always prefers the first answer
])
def test_a_candidate_exactly_at_the_margin_passes_at_most_alpha_of_the_time(margin, n, sd, bias, tie):
    rng = np.random.default_rng([int(margin * 1000), n])
    mu = solve_mu(REFERENCE_SCORE - margin, sd, bias, tie)
    scores, agree = simulate(mu, sd, bias, tie, n, REPS, rng)
    rate = pass_rate(scores, margin)
    se = math.sqrt(ALPHA * (1 - ALPHA) / REPS)
    assert rate <= ALPHA + 3 * se, f"pass rate {rate:.4f} at the boundary (alpha {ALPHA}, MC SE {se:.4f})"
    assert agree.mean() < 0.95  # order inconsistency is part of the world tested


def test_a_candidate_as_good_as_the_reference_passes_most_of_the_time():
    """Not vacuous: a win rate of exactly 0.5 with a 0.05 margin is shown non-inferior at n = 300."""
    rng = np.random.default_rng(11)
    mu = solve_mu(REFERENCE_SCORE, 1.0, 0.8, 0.5)
    scores, _ = simulate(mu, 1.0, 0.8, 0.5, 300, 500, rng)
    assert pass_rate(scores, 0.05) > 0.8
