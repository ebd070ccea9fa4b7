"""The mean score of one candidate: its interval, and the min-score test."""

from __future__ import annotations

from numpy.typing import ArrayLike

from harness.stats._binary import exact_lower_bound, exact_pvalue_greater, wilson_interval
from harness.stats._checks import choice, cluster_codes, is_binary, probability, scores_array
from harness.stats._location import location_interval, location_test, spread
from harness.stats._results import Interval, OneSidedTest


def mean_interval(
    scores: ArrayLike,
    clusters: ArrayLike | None = None,
    confidence: float = 0.95,
    method: str = "auto",
) -> Interval:
    """Confidence interval for the mean score.

    method "auto": with clusters, the robust score interval (see `_robust_score`);
    0/1 scores without clusters, Wilson (good coverage near 0 and 1, never outside
    [0, 1]); otherwise the t interval. "wilson", "t" (Student t; with clusters the
    Wald clustered t of Miller 2024, G-1 df) and "score" force one.
    """
    values = scores_array(scores)
    codes = cluster_codes(clusters, values.size)
    confidence = probability(confidence, "confidence")
    method = choice(method, ("auto", "wilson", "t", "score"))
    binary = is_binary(values)
    if method == "wilson" and (codes is not None or not binary):
        raise ValueError("the Wilson interval needs 0/1 scores from independent samples (no clusters)")
    if method == "wilson" or (method == "auto" and codes is None and binary):
        s = spread(values, codes, 0.0, 1.0)
        successes = int(values.sum())

        def bounds(level: float) -> tuple[float, float]:
            return wilson_interval(successes, s.n, probability(level, "confidence"))

        name = "wilson"
    else:
        kind = "score" if method == "score" or (method == "auto" and codes is not None) else "t"
        s, located, name = location_interval(values, codes, 0.0, 1.0, kind)

        def bounds(level: float) -> tuple[float, float]:
            return located(probability(level, "confidence"))

    low, high = bounds(confidence)
    return Interval(s.estimate, low, high, s.se, s.n, s.n_units, confidence, name, bounds)


def min_score_test(
    scores: ArrayLike,
    threshold: float,
    clusters: ArrayLike | None = None,
    alpha: float = 0.05,
    method: str = "auto",
) -> OneSidedTest:
    """One-sided test that the mean score reaches `threshold`: H0 mean < threshold.

    Rejected (the criterion passes) iff the one-sided (1 - alpha) lower bound is at
    least `threshold`. method "auto": with clusters, the robust score test; 0/1
    scores without clusters, the exact binomial (Clopper-Pearson) bound, because the
    Wilson bound's one-sided error rate oscillates up to ~0.06 at alpha 0.05 for n in
    the hundreds while the exact bound never exceeds alpha; otherwise the one-sample
    t test. "exact", "t" and "score" force one.
    """
    values = scores_array(scores)
    codes = cluster_codes(clusters, values.size)
    alpha = probability(alpha, "alpha")
    threshold = float(threshold)
    if not 0.0 < threshold <= 1.0:
        # A threshold of 0 is no criterion at all: every mean reaches it.
        raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
    method = choice(method, ("auto", "exact", "t", "score"))
    binary = is_binary(values)
    if method == "exact" and (codes is not None or not binary):
        raise ValueError("the exact binomial test needs 0/1 scores from independent samples (no clusters)")
    if method == "exact" or (method == "auto" and codes is None and binary):
        s = spread(values, codes, 0.0, 1.0)
        successes = int(values.sum())
        lower = exact_lower_bound(successes, s.n, alpha)
        pvalue = exact_pvalue_greater(successes, s.n, threshold)
        name = "exact-binomial"
    else:
        kind = "score" if method == "score" or (method == "auto" and codes is not None) else "t"
        s, lower, pvalue, name = location_test(values, codes, 0.0, 1.0, threshold, alpha, kind)
    return OneSidedTest(
        estimate=s.estimate,
        lower_bound=lower,
        null_value=threshold,
        pvalue=pvalue,
        alpha=alpha,
        rejected=lower >= threshold,
        se=s.se,
        n=s.n,
        n_units=s.n_units,
        method=name,
    )
