"""Tests for harness.stats: reference values, edge cases, and calibration by simulation."""

from __future__ import annotations

import math
import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_confint

from harness.stats import (
    clustered_se,
    holm,
    mean_interval,
    min_score_test,
    minimum_detectable_effect,
    noninferiority_test,
    paired_difference,
    samples_needed,
)
from harness.stats._binary import (
    _restricted_losses_rate,
    tango_interval,
    tango_lower_bound,
    tango_statistic,
)
from harness.stats._robust_score import score_parts, score_pvalue_greater
from harness.stats.simulate import Scenario, false_pass_limit, noninferiority_pass_rate


def _pairs(both: int, wins: int, losses: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 candidate and reference scores with the given 2x2 counts."""
    a = np.repeat([1.0, 1.0, 0.0, 0.0], [both, wins, losses, neither])
    b = np.repeat([1.0, 0.0, 1.0, 0.0], [both, wins, losses, neither])
    return a, b


def _clustered_data(seed: int, n: int = 90, clusters: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, clusters, n)  # unequal cluster sizes on purpose
    effect = rng.normal(0, 0.15, clusters)[groups]
    b = np.clip(0.7 + effect + rng.normal(0, 0.15, n), 0, 1)
    a = np.clip(b - 0.02 + rng.normal(0, 0.15, n), 0, 1)
    return a, b, groups


# --- the mean of one candidate ------------------------------------------------------


@pytest.mark.parametrize(("successes", "n"), [(0, 10), (3, 10), (81, 100), (100, 100), (1, 1)])
def test_binary_mean_interval_is_wilson(successes: int, n: int) -> None:
    scores = np.r_[np.ones(successes), np.zeros(n - successes)]
    result = mean_interval(scores)
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    scipy_ci = stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    assert result.method == "wilson"
    assert (result.low, result.high) == pytest.approx((low, high), abs=1e-12)
    assert (result.low, result.high) == pytest.approx((scipy_ci.low, scipy_ci.high), abs=1e-12)
    assert result.confidence_interval(0.9) == pytest.approx(
        proportion_confint(successes, n, alpha=0.1, method="wilson"), abs=1e-12
    )


def test_continuous_mean_interval_is_the_t_interval() -> None:
    scores = np.random.default_rng(1).beta(2, 1, 40)
    result = mean_interval(scores)
    reference = stats.ttest_1samp(scores, 0.5)
    assert result.method == "t"
    assert result.confidence_interval() == pytest.approx(tuple(reference.confidence_interval(0.95)), abs=1e-12)
    assert result.confidence_interval(0.8) == pytest.approx(tuple(reference.confidence_interval(0.8)), abs=1e-12)
    assert result.se == pytest.approx(stats.sem(scores), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clustered_se_matches_statsmodels_cluster_robust_ols(seed: int) -> None:
    _, values, groups = _clustered_data(seed)
    fit = sm.OLS(values, np.ones_like(values)).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    assert clustered_se(values, groups) == pytest.approx(fit.bse[0], rel=1e-12)
    wald = mean_interval(values, clusters=groups, method="t")
    assert wald.method == "clustered-t"
    assert wald.n_units == len(np.unique(groups))
    assert wald.confidence_interval() == pytest.approx(tuple(fit.conf_int(0.05)[0]), abs=1e-12)


def test_clustered_mean_interval_defaults_to_the_robust_score_interval() -> None:
    _, values, groups = _clustered_data(3)
    score = mean_interval(values, clusters=groups)
    assert score.method == "clustered-score"
    assert score.low < score.estimate < score.high
    # The bounds are where the score statistic reaches the normal quantile.
    parts = score_parts(values, np.unique(groups, return_inverse=True)[1], 0.0, 1.0)
    z = stats.norm.isf(0.025)
    assert parts.statistic(score.estimate - score.low, parts.b) == pytest.approx(z, rel=1e-9)
    assert parts.statistic(score.high - score.estimate, -parts.b) == pytest.approx(z, rel=1e-9)


def test_clustering_widens_the_interval_when_clusters_are_alike() -> None:
    groups = np.repeat(np.arange(10), 10)
    values = np.clip(np.repeat(np.linspace(0.3, 0.9, 10), 10) + np.tile(np.linspace(-0.05, 0.05, 10), 10), 0, 1)
    plain = mean_interval(values)
    clustered = mean_interval(values, clusters=groups)
    assert clustered.high - clustered.low > 2 * (plain.high - plain.low)


# --- paired differences --------------------------------------------------------------


def test_continuous_paired_difference_is_the_paired_t_interval() -> None:
    rng = np.random.default_rng(4)
    b = rng.beta(3, 1, 50)
    a = np.clip(b + rng.normal(-0.03, 0.3, 50), 0, 1)
    result = paired_difference(a, b)
    reference = stats.ttest_rel(a, b)
    assert result.method == "paired-t"
    assert result.estimate == pytest.approx(np.mean(a - b))
    assert result.confidence_interval() == pytest.approx(tuple(reference.confidence_interval(0.95)), abs=1e-12)


def test_continuous_noninferiority_is_the_one_sided_t_test_shifted_by_the_margin() -> None:
    rng = np.random.default_rng(5)
    b = rng.beta(3, 1, 60)
    a = np.clip(b + rng.normal(-0.01, 0.25, 60), 0, 1)
    result = noninferiority_test(a, b, margin=0.05)
    reference = stats.ttest_1samp(a - b + 0.05, 0.0, alternative="greater")
    assert result.pvalue == pytest.approx(reference.pvalue, rel=1e-10)
    assert result.lower_bound == pytest.approx(reference.confidence_interval(0.95).low - 0.05, abs=1e-12)
    assert result.rejected == (result.pvalue <= 0.05)


def test_newcombe_method_10_reproduces_the_published_example() -> None:
    # Cavo et al. (2012) complete response before/after consolidation, table
    # [[59, 6], [16, 80]]; Fagerland, Lydersen & Laake (2017), Statistical Analysis of
    # Contingency Tables, ch. 8: estimate -0.0621, Newcombe square-and-add 95% CI
    # -0.1186 to -0.0046.
    a, b = _pairs(both=59, wins=6, losses=16, neither=80)
    result = paired_difference(a, b, method="newcombe")
    assert round(result.estimate, 4) == -0.0621
    assert (round(result.low, 4), round(result.high, 4)) == (-0.1186, -0.0046)


@pytest.mark.parametrize(
    ("wins", "losses", "n", "low", "high"),
    [
        # R PropCIs 0.3-0 scoreci.mp(b=losses, c=wins, n), an independent implementation
        # of Tango (1998); its root finder stops at 1e-7.
        (20, 40, 160, -0.21806423366069794, -0.030864588916301727),
        (0, 0, 100, -0.03699350357055664, 0.036993443965911865),
        (7, 1, 50, 0.011619682312011706, 0.24658078670501707),
        (5, 0, 25, 0.04016923904418947, 0.3913094520568848),
        (4, 11, 320, -0.04968377873301506, 0.00209718327969313),
    ],
)
def test_tango_interval_matches_an_independent_implementation(
    wins: int, losses: int, n: int, low: float, high: float
) -> None:
    a, b = _pairs(both=0, wins=wins, losses=losses, neither=n - wins - losses)
    result = paired_difference(a, b)
    assert result.method == "tango-score"
    assert result.low == pytest.approx(low, abs=1e-6)
    assert result.high == pytest.approx(high, abs=1e-6)


@pytest.mark.parametrize(("wins", "losses"), [(9, 2), (0, 5), (12, 30), (1, 1)])
def test_tango_statistic_at_zero_is_mcnemars(wins: int, losses: int) -> None:
    table = [[40, wins], [losses, 25]]
    n = 65 + wins + losses
    chi2 = mcnemar(table, exact=False, correction=False).statistic
    assert tango_statistic(wins, losses, n, 0.0) ** 2 == pytest.approx(chi2, rel=1e-12)


@pytest.mark.parametrize(("wins", "losses", "n"), [(9, 2, 44), (3, 17, 100), (0, 6, 30), (25, 25, 60)])
@pytest.mark.parametrize("delta", [-0.3, -0.05, 0.0, 0.1])
def test_tango_restricted_mle_maximises_the_constrained_likelihood(
    wins: int, losses: int, n: int, delta: float
) -> None:
    # P(win) = q + delta, P(loss) = q, P(tie) = 1 - 2q - delta; maximise over q numerically.
    def negative_log_likelihood(q: float) -> float:
        cells = np.array([q + delta, q, 1 - 2 * q - delta])
        counts = np.array([wins, losses, n - wins - losses])
        return -float(np.sum(counts * np.log(np.maximum(cells, 1e-300))))

    lowest, highest = max(0.0, -delta), (1 - delta) / 2
    numeric = optimize.minimize_scalar(
        negative_log_likelihood, bounds=(lowest + 1e-12, highest - 1e-12), method="bounded",
        options={"xatol": 1e-12},
    ).x
    assert _restricted_losses_rate(wins, losses, n, delta) == pytest.approx(numeric, abs=1e-6)


def test_tango_statistic_decreases_in_the_null_value() -> None:
    grid = np.linspace(-0.999, 0.999, 801)
    for wins, losses, n in [(9, 2, 44), (0, 0, 20), (30, 2, 40), (0, 12, 12), (5, 5, 200)]:
        values = [tango_statistic(wins, losses, n, d) for d in grid]
        assert np.all(np.diff(values) <= 1e-12), (wins, losses, n)


@pytest.mark.parametrize(("wins", "losses", "n"), [(9, 2, 44), (3, 17, 100), (0, 0, 30), (40, 0, 40)])
def test_tango_interval_bounds_solve_the_score_equation(wins: int, losses: int, n: int) -> None:
    low, high = tango_interval(wins, losses, n, 0.95)
    z = stats.norm.isf(0.025)
    if low > -1:
        assert tango_statistic(wins, losses, n, low) == pytest.approx(z, abs=1e-8)
    if high < 1:
        assert tango_statistic(wins, losses, n, high) == pytest.approx(-z, abs=1e-8)
    swapped = tango_interval(losses, wins, n, 0.95)
    assert swapped == pytest.approx((-high, -low), abs=1e-10)
    one_sided = tango_lower_bound(wins, losses, n, 0.05)
    if one_sided > -1:
        assert tango_statistic(wins, losses, n, one_sided) == pytest.approx(stats.norm.isf(0.05), abs=1e-8)


# --- one-sided tests: p-value and bound agree ------------------------------------------


def test_noninferiority_pvalue_and_lower_bound_agree_for_every_method() -> None:
    rng = np.random.default_rng(6)
    checked = 0
    for trial in range(300):
        n = int(rng.integers(5, 80))
        kind = trial % 3
        b = (rng.random(n) < 0.7).astype(float)
        flip = rng.random(n) < rng.uniform(0, 0.4)
        a = np.where(flip, 1 - b, b) if kind != 1 else np.clip(b + rng.normal(-0.05, 0.2, n), 0, 1)
        clusters = rng.integers(0, max(2, n // 6), n) if kind == 2 else None
        margin = float(rng.uniform(0.0, 0.3))
        result = noninferiority_test(a, b, margin, clusters=clusters)
        if abs(result.lower_bound + margin) < 1e-9:
            continue  # exactly on the boundary: either answer is right
        assert result.rejected == (result.pvalue <= 0.05), (trial, result)
        assert result.rejected == (result.lower_bound > -margin)
        assert math.isfinite(result.pvalue) and 0 <= result.pvalue <= 1
        checked += 1
    assert checked > 250


def test_clustered_lower_bound_matches_a_brute_force_inversion() -> None:
    a, b, groups = _clustered_data(8, n=70, clusters=9)
    result = noninferiority_test(a, b, 0.05, clusters=groups)
    assert result.method == "clustered-score"
    # The bound is the largest null value m such that every null value at or below m
    # is rejected; scan the p-value on a fine grid to find it independently.
    parts = score_parts(a - b, np.unique(groups, return_inverse=True)[1], -1.0, 1.0)
    grid = np.linspace(-0.999, result.estimate, 40001)
    rejected = np.array([score_pvalue_greater(parts, m) <= 0.05 for m in grid])
    assert rejected[0] and not rejected[-1]
    brute = grid[np.argmin(rejected) - 1]
    assert result.lower_bound == pytest.approx(brute, abs=2 * (grid[1] - grid[0]))


def test_min_score_exact_test_is_the_binomial_test() -> None:
    scores = np.r_[np.ones(88), np.zeros(12)]
    result = min_score_test(scores, threshold=0.8)
    reference = stats.binomtest(88, 100, 0.8, alternative="greater")
    assert result.method == "exact-binomial"
    assert result.pvalue == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.lower_bound == pytest.approx(reference.proportion_ci(0.95, method="exact").low, rel=1e-12)
    assert result.rejected == (result.pvalue <= 0.05)


@pytest.mark.parametrize(("n", "threshold"), [(100, 0.62), (100, 0.9), (300, 0.77), (1000, 0.64)])
def test_min_score_exact_test_never_passes_more_than_alpha_at_the_threshold(n: int, threshold: float) -> None:
    # Exact size, not simulation: sum the binomial probability of every passing count.
    passing = [x for x in range(n + 1) if min_score_test(np.r_[np.ones(x), np.zeros(n - x)], threshold).rejected]
    assert stats.binom.pmf(passing, n, threshold).sum() <= 0.05


def test_min_score_t_test_matches_scipy() -> None:
    scores = np.random.default_rng(9).beta(5, 2, 80)
    result = min_score_test(scores, threshold=0.65)
    reference = stats.ttest_1samp(scores, 0.65, alternative="greater")
    assert result.method == "t"
    assert result.pvalue == pytest.approx(reference.pvalue, rel=1e-10)
    assert result.lower_bound == pytest.approx(reference.confidence_interval(0.95).low, abs=1e-12)


# --- multiplicity and power ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_holm_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pvalues = np.r_[rng.uniform(0, 0.1, 6), rng.uniform(0, 1, 4), [0.02, 0.02, 1.0]]
    rng.shuffle(pvalues)
    expected = multipletests(pvalues, method="holm")[1]
    assert holm(pvalues) == pytest.approx(expected, abs=1e-15)


def test_holm_edge_cases() -> None:
    assert holm([]).size == 0
    assert holm([0.03]) == pytest.approx([0.03])
    with pytest.raises(ValueError, match="nan"):
        holm([0.1, float("nan")])


@pytest.mark.parametrize(("sd", "effect", "one_sided"), [(0.4, 0.05, True), (0.2, 0.03, False), (1.0, 0.5, True)])
def test_samples_needed_matches_the_normal_power_formula(sd: float, effect: float, one_sided: bool) -> None:
    alternative = "larger" if one_sided else "two-sided"
    exact = NormalIndPower().solve_power(effect / sd, nobs1=None, alpha=0.05, power=0.8, ratio=0, alternative=alternative)
    assert samples_needed(sd, effect, alpha=0.05, power=0.8, one_sided=one_sided) == math.ceil(exact)
    n = samples_needed(sd, effect, one_sided=one_sided)
    assert n is not None
    assert minimum_detectable_effect(n, sd, one_sided=one_sided) <= effect
    assert minimum_detectable_effect(n - 1, sd, one_sided=one_sided) > effect
    assert samples_needed(sd, effect, design_effect=2.0, one_sided=one_sided) == pytest.approx(2 * exact, abs=1)


def test_samples_needed_says_none_when_no_sample_size_settles_it() -> None:
    assert samples_needed(0.3, 0.0) is None
    assert samples_needed(0.3, -0.02) is None
    a, b = _pairs(both=50, wins=2, losses=20, neither=28)  # estimate -0.18, far below -0.05
    assert noninferiority_test(a, b, 0.05).samples_needed() is None


def test_a_result_knows_how_many_samples_would_settle_it() -> None:
    b = np.full(40, 0.5)
    a = b - 0.02 + np.linspace(-0.45, 0.45, 40)  # mean difference -0.02, sd 0.27
    result = noninferiority_test(a, b, 0.05)
    assert not result.rejected
    needed = result.samples_needed()
    assert needed == samples_needed(result.se * math.sqrt(40), result.estimate + 0.05, alpha=0.05)
    assert needed is not None and needed > 40


# --- edge cases -----------------------------------------------------------------------


def test_a_single_sample_gives_no_pass_and_no_nan() -> None:
    assert mean_interval([1.0]).confidence_interval() == pytest.approx(proportion_confint(1, 1, method="wilson"))
    assert mean_interval([0.4]).confidence_interval() == (0.0, 1.0)
    for a, b in [([0.4], [0.4]), ([1.0], [1.0]), ([1.0], [0.0])]:
        result = noninferiority_test(a, b, 0.05)
        assert not result.rejected and not math.isnan(result.pvalue) and not math.isnan(result.lower_bound)


@pytest.mark.parametrize("value", [0.0, 1.0, 0.5])
def test_identical_scores_do_not_pass_from_a_handful_of_samples(value: float) -> None:
    for n in (2, 5, 20):
        result = noninferiority_test(np.full(n, value), np.full(n, value), 0.05)
        assert not result.rejected, (value, n)
        assert math.isfinite(result.se) and result.se > 0
        interval = paired_difference(np.full(n, value), np.full(n, value))
        assert interval.low < 0 < interval.high
    # ... but many agreeing samples are evidence of non-inferiority.
    assert noninferiority_test(np.full(300, value), np.full(300, value), 0.05).rejected


def test_identical_continuous_differences_need_about_34_samples() -> None:
    # The threshold documented in _location: 33 fail, 34 pass at margin 0.05.
    assert not noninferiority_test(np.full(33, 0.5), np.full(33, 0.5), 0.05).rejected
    assert noninferiority_test(np.full(34, 0.5), np.full(34, 0.5), 0.05).rejected


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_all_zero_and_all_one_means(value: float) -> None:
    result = mean_interval(np.full(50, value))
    assert result.low <= value <= result.high
    assert 0 < result.high - result.low < 0.1
    assert min_score_test(np.full(50, value), 0.5).rejected == (value == 1.0)


def test_a_single_cluster_carries_no_information() -> None:
    a, b, _ = _clustered_data(11, n=30)
    one = np.zeros(30)
    assert mean_interval(b, clusters=one).confidence_interval() == (0.0, 1.0)
    result = noninferiority_test(a, b, 0.2, clusters=one)
    assert not result.rejected and result.pvalue == 1.0
    with pytest.raises(ValueError, match="two clusters"):
        clustered_se(b, one)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: paired_difference([1, 0, 1], [1, 0]), "same samples"),
        (lambda: noninferiority_test([1, 0], [1, 0, 1], 0.05), "same samples"),
        (lambda: noninferiority_test([1, 0], [1, 0], 0.05, clusters=[1]), "one label per sample"),
        (lambda: noninferiority_test([1, 0], [1, 0], 1.5), "margin"),
        (lambda: noninferiority_test([1, 0], [1, 0], 0.05, alpha=0), "alpha"),
        (lambda: mean_interval([0.5, 1.2]), r"\[0, 1\]"),
        (lambda: mean_interval([0.5, float("nan")]), "nan"),
        (lambda: mean_interval([]), "empty"),
        (lambda: mean_interval([0.5, 0.2], method="wilson"), "0/1"),
        (lambda: mean_interval([1, 0], confidence=95), "confidence"),
        (lambda: min_score_test([1, 0], 0.0), "threshold"),
        (lambda: paired_difference([1, 0], [1, 0], clusters=[1, 2], method="tango"), "no clusters"),
        (lambda: paired_difference([1, 0], [1, 0], method="bootstrap"), "method must be one of"),
        (lambda: mean_interval([1, 0], clusters=[1, None]), "None"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- calibration by simulation ----------------------------------------------------------

ALPHA, MARGIN = 0.05, 0.05
REPLICATES = 4000


@pytest.mark.parametrize(
    "scenario",
    [
        Scenario("binary", 100, -MARGIN),
        Scenario("binary", 300, -MARGIN),
        Scenario("continuous", 100, -MARGIN),
        Scenario("continuous", 300, -MARGIN),
        Scenario("binary", 100, -MARGIN, clustered=True),
        Scenario("binary", 300, -MARGIN, clustered=True),
        Scenario("continuous", 100, -MARGIN, clustered=True),
    ],
    ids=lambda s: f"{s.scores}-n{s.n}-{'clustered' if s.clustered else 'independent'}",
)
def test_false_pass_rate_at_the_margin_is_at_most_alpha(scenario: Scenario) -> None:
    rate = noninferiority_pass_rate(scenario, MARGIN, ALPHA, REPLICATES, seed=2024)
    assert rate.rate <= false_pass_limit(ALPHA, REPLICATES), rate
    # A test that never passes would satisfy the line above; make sure it does pass
    # candidates that are as good as the reference.
    equal = Scenario(scenario.scores, scenario.n, 0.0, clustered=scenario.clustered)
    assert noninferiority_pass_rate(equal, MARGIN, ALPHA, 300, seed=7).rate > 0.15


def test_the_calibration_check_catches_a_miscalibrated_test() -> None:
    # A test run at twice the nominal alpha must fail the check; if it stops failing,
    # the simulation has lost its teeth (e.g. the truth drifted away from the margin).
    def too_liberal(a: np.ndarray, b: np.ndarray, margin: float, clusters=None, alpha: float = ALPHA):
        return noninferiority_test(a, b, margin, clusters=clusters, alpha=2 * alpha)

    for scenario in (Scenario("binary", 100, -MARGIN), Scenario("continuous", 100, -MARGIN, clustered=True)):
        rate = noninferiority_pass_rate(scenario, MARGIN, ALPHA, REPLICATES, seed=2024, test=too_liberal)
        assert rate.rate > false_pass_limit(ALPHA, REPLICATES), (scenario, rate)


def test_simulated_truth_is_what_the_scenario_says() -> None:
    from harness.stats.simulate import simulate

    for scenario in (Scenario("binary", 200, -0.05, clustered=True), Scenario("continuous", 200, -0.05)):
        batch = simulate(scenario, 4000, np.random.default_rng(1))
        difference = (batch.candidate - batch.reference).mean()
        assert difference == pytest.approx(-0.05, abs=0.004)
        assert batch.reference.mean() == pytest.approx(0.8, abs=0.004)
        agreement = np.mean(np.abs(batch.candidate - batch.reference) < 0.25)
        assert agreement > 0.6
