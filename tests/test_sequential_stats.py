"""Tests for the anytime-valid betting confidence sequences (harness.stats._sequential)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.stats import (
    FUTILITY_BELOW,
    SEQUENTIAL_HORIZON,
    SequentialTest,
    anytime_pvalue,
    pass_probability,
    pass_probability_at_looks,
    bonferroni_alpha,
    confidence_sequence,
    log_capital,
    sequential_decisions,
)
from harness.stats.simulate import Scenario, false_pass_limit, simulate

MAX_DROP = 0.05
ALPHA = 0.05
LOOKS = np.arange(25, 1001, 25)  # a check after every round of 25 samples


@pytest.mark.parametrize("horizon", [None, SEQUENTIAL_HORIZON])
def test_false_pass_rate_at_the_margin_with_a_look_every_round(horizon):
    replicates = 2000
    batch = simulate(Scenario("binary", 1000, -MAX_DROP), replicates, np.random.default_rng(7))
    verdict, _ = sequential_decisions(batch.candidate - batch.reference, MAX_DROP, ALPHA, LOOKS, horizon)
    rate = float(np.mean(verdict == 1))
    assert rate <= false_pass_limit(ALPHA, replicates)


def test_false_pass_rate_at_the_margin_continuous_scores():
    replicates = 1000
    batch = simulate(Scenario("continuous", 1000, -MAX_DROP), replicates, np.random.default_rng(8))
    verdict, _ = sequential_decisions(batch.candidate - batch.reference, MAX_DROP, ALPHA, LOOKS, 1000)
    assert np.mean(verdict == 1) <= false_pass_limit(ALPHA, replicates)


def test_false_fail_rate_just_inside_the_margin():
    # truth exactly at the margin from above is the null of "fail": also <= alpha
    replicates = 1000
    batch = simulate(Scenario("binary", 1000, -MAX_DROP), replicates, np.random.default_rng(9))
    verdict, _ = sequential_decisions(batch.candidate - batch.reference, MAX_DROP, ALPHA, LOOKS, 1000)
    assert np.mean(verdict == -1) <= false_pass_limit(ALPHA, replicates)


def test_equal_candidate_passes_eventually_in_most_runs():
    batch = simulate(Scenario("binary", 1000, 0.0), 500, np.random.default_rng(10))
    verdict, n = sequential_decisions(batch.candidate - batch.reference, MAX_DROP, ALPHA, LOOKS, 1000)
    assert np.mean(verdict == 1) > 0.9
    assert np.mean(verdict == -1) == 0.0
    assert np.median(n) < 1000  # and it stops early


def test_clearly_worse_candidate_fails_early():
    batch = simulate(Scenario("binary", 1000, -0.2), 300, np.random.default_rng(11))
    verdict, n = sequential_decisions(batch.candidate - batch.reference, MAX_DROP, ALPHA, LOOKS, 1000)
    assert np.all(verdict == -1)
    assert np.mean(n) < 300


@pytest.mark.parametrize("mean", [0.1, 0.5, 0.8, 0.97])
def test_score_confidence_sequence_covers_at_all_times(mean):
    rng = np.random.default_rng(int(mean * 100))
    replicates, T, alpha = 400, 400, 0.1
    x = (rng.random((replicates, T)) < mean).astype(float)
    misses = 0
    for row in x:
        lower = confidence_sequence(row, alpha, "lower", looks=np.arange(10, T + 1, 10))
        upper = confidence_sequence(row, alpha, "upper", looks=np.arange(10, T + 1, 10))
        misses += bool(np.any(lower > mean) or np.any(upper < mean))
    rate = misses / replicates
    # each side is at alpha, so both together at most 2 alpha (union bound)
    assert rate <= false_pass_limit(2 * alpha, replicates)
    one_side = np.mean([np.any(confidence_sequence(r, alpha, "lower", looks=[100, 200, 400]) > mean) for r in x])
    assert one_side <= false_pass_limit(alpha, replicates)


def test_bounds_never_loosen_and_shrink_towards_the_mean():
    x = np.random.default_rng(3).random(2000)
    lower = confidence_sequence(x, 0.05, "lower")
    upper = confidence_sequence(x, 0.05, "upper")
    assert np.all(np.diff(lower) >= 0) and np.all(np.diff(upper) <= 0)
    assert np.all(lower <= upper)
    assert 0.5 - 0.06 < lower[-1] < x.mean() < upper[-1] < 0.5 + 0.06


def test_bound_matches_the_capital_process():
    # m below the lower bound is rejected, m above it is not (monotone in m)
    x = np.random.default_rng(4).beta(2, 2, 500)
    bound = confidence_sequence(x, 0.05, "lower", looks=[500])[0]
    k = lambda m: log_capital(x, m, 0.05)[-1]
    assert k(bound - 1e-6) >= math.log(20) > k(bound + 1e-6)


def test_sequential_test_agrees_with_the_vectorised_decisions():
    batch = simulate(Scenario("binary", 1000, -0.03), 40, np.random.default_rng(12))
    d = batch.candidate - batch.reference
    verdict, n = sequential_decisions(d, MAX_DROP, ALPHA, LOOKS, 1000)
    for row in range(d.shape[0]):
        test = SequentialTest(MAX_DROP, ALPHA, horizon=1000)
        start = 0
        for look in LOOKS:
            state = test.update(d[row, start:look])
            start = look
            if state.decided == "pass":
                assert state.lower >= -MAX_DROP - 1e-9
            if state.decided == "fail":
                assert state.upper <= -MAX_DROP + 1e-9
            if state.decided is None:
                assert state.lower <= -MAX_DROP + 1e-9 <= state.upper + 2e-9
        expected = {1: "pass", -1: "fail", 0: None}[int(verdict[row])]
        assert state.decided == expected
        if expected is not None:
            assert state.decided_at == n[row]


def test_edge_cases():
    # one observation: nothing can be excluded at alpha = 0.05 with c = 1/2
    assert confidence_sequence([1.0], 0.05, "lower")[0] == 0.0
    assert confidence_sequence([0.0], 0.05, "upper")[0] == 1.0
    # all zeros: the upper bound falls towards 0, the lower bound stays 0
    zeros = np.zeros(500)
    upper = confidence_sequence(zeros, 0.05, "upper")
    assert upper[-1] < 0.05 and np.all(confidence_sequence(zeros, 0.05, "lower") == 0.0)
    ones = np.ones(500)
    assert confidence_sequence(ones, 0.05, "lower")[-1] > 0.95
    # all ties (d = 0) pass non-inferiority once there is enough evidence, never fail
    test = SequentialTest(MAX_DROP, ALPHA)
    state = test.update([0.0])
    assert state.decided is None and state.n == 1 and state.lower < -MAX_DROP
    for _ in range(40):
        state = test.update(np.zeros(25))
    assert state.decided == "pass"
    with pytest.raises(ValueError):
        confidence_sequence([], 0.05)
    with pytest.raises(ValueError):
        confidence_sequence([1.5], 0.05)
    with pytest.raises(ValueError):
        SequentialTest(MAX_DROP).update([2.0])
    with pytest.raises(ValueError):
        SequentialTest(1.0)


def test_bonferroni_alpha():
    assert bonferroni_alpha(0.05, 5) == pytest.approx(0.01)
    with pytest.raises(ValueError):
        bonferroni_alpha(0.05, 0)


def _futile_by(diffs, total, look_limit):
    """Share of simulated candidates the futility rule drops at some look <= look_limit."""
    looks = LOOKS[LOOKS <= look_limit]
    pp = pass_probability_at_looks(diffs, -MAX_DROP, bonferroni_alpha(ALPHA, 6), total, looks)
    return float(np.mean((pp < FUTILITY_BELOW).any(axis=-1)))


def test_futility_rarely_drops_a_candidate_that_should_pass_and_often_drops_one_at_the_margin():
    rng = np.random.default_rng(11)
    good = simulate(Scenario("binary", 1000, +0.02), 1000, rng)
    margin = simulate(Scenario("binary", 1000, -MAX_DROP), 1000, rng)
    clearly_bad = simulate(Scenario("binary", 1000, -0.15), 1000, rng)
    assert _futile_by(good.candidate - good.reference, 1000, 1000) < 0.05
    assert _futile_by(margin.candidate - margin.reference, 1000, 500) > 0.5
    assert _futile_by(clearly_bad.candidate - clearly_bad.reference, 1000, 100) > 0.9


def test_pass_probability_is_monotone_and_ends_at_the_fixed_test():
    estimates = np.linspace(-0.2, 0.2, 41)
    pp = pass_probability(estimates, 0.4, 200, 1000, -MAX_DROP, 0.01)
    assert np.all(np.diff(pp) >= 0) and pp[0] < 0.01 and pp[-1] > 0.99
    # more data seen at the same estimate: the outcome is surer either way
    assert pass_probability(0.0, 0.4, 900, 1000, -MAX_DROP, 0.01) > pass_probability(0.0, 0.4, 100, 1000, -MAX_DROP, 0.01)
    # all data seen: the fixed test's own answer
    z = 2.3263478740408408  # z_0.99
    assert pass_probability(-MAX_DROP + z * 0.4 / math.sqrt(1000) + 1e-6, 0.4, 1000, 1000, -MAX_DROP, 0.01) == 1.0
    assert pass_probability(-MAX_DROP + z * 0.4 / math.sqrt(1000) - 1e-6, 0.4, 1000, 1000, -MAX_DROP, 0.01) == 0.0
    with pytest.raises(ValueError):
        pass_probability(0.0, -1.0, 10, 100, -MAX_DROP, 0.05)


def test_anytime_pvalue_is_valid_under_the_null_at_any_stopping_time():
    replicates = 2000
    batch = simulate(Scenario("binary", 1000, -MAX_DROP), replicates, np.random.default_rng(12))
    y = (batch.candidate - batch.reference + 1) / 2
    paths = log_capital(y, (1 - MAX_DROP) / 2, ALPHA, SEQUENTIAL_HORIZON)
    p = np.array([anytime_pvalue(path[LOOKS - 1]) for path in paths])
    assert np.mean(p <= ALPHA) <= false_pass_limit(ALPHA, replicates)
    assert anytime_pvalue([]) == 1.0 and anytime_pvalue([math.log(40.0)]) == pytest.approx(1 / 40)


def test_family_wise_false_pass_rate_of_a_task_with_every_candidate_at_the_margin():
    """1,000 tasks, 4 candidates each exactly at -max_drop and sharing the reference (the worst case for the
    family), a look after every round of 50: P(any candidate passes) <= alpha + 3 MC SE with alpha / 4 each."""
    from scipy import stats as sps

    tasks, k, n = 1000, 4, 1000
    rng = np.random.default_rng(13)
    z_ref = rng.standard_normal((tasks, n))
    reference = (z_ref < sps.norm.ppf(0.8)).astype(float)
    level = bonferroni_alpha(ALPHA, k)
    looks = np.arange(50, n + 1, 50)
    any_pass = np.zeros(tasks, dtype=bool)
    for _ in range(k):
        z = 0.8 * z_ref + 0.6 * rng.standard_normal((tasks, n))
        cand = (z < sps.norm.ppf(0.8 - MAX_DROP)).astype(float)
        verdict, _ = sequential_decisions(cand - reference, MAX_DROP, level, looks, SEQUENTIAL_HORIZON)
        any_pass |= verdict == 1
    # stopping rules (futility, a cheaper candidate passed) only end a candidate's chances earlier, and each
    # candidate's test uses its own pairs, so this rate bounds the run's
    assert np.mean(any_pass) <= false_pass_limit(ALPHA, tasks)
