"""Candidate against reference on the same samples: the paired difference a - b."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from harness.stats._binary import (
    newcombe_interval,
    tango_interval,
    tango_lower_bound,
    tango_pvalue_greater,
)
from harness.stats._checks import choice, cluster_codes, is_binary, paired_arrays, probability
from harness.stats._location import Spread, location_interval, location_test
from harness.stats._results import Interval, OneSidedTest


def _counts(a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[int, int, int, int]:
    """(both right, candidate only, reference only, neither) for 0/1 pairs."""
    both = int(np.sum((a == 1) & (b == 1)))
    wins = int(np.sum((a == 1) & (b == 0)))
    losses = int(np.sum((a == 0) & (b == 1)))
    return both, wins, losses, a.size - both - wins - losses


def _binary_spread(wins: int, losses: int, n: int) -> Spread:
    """Wald standard error of (wins - losses)/n, with the same floor as the t methods.

    Reported for the result and for sample-size planning; the score methods
    themselves use the variance under the null, not this one.
    """
    estimate = (wins - losses) / n
    variance = (wins + losses) / n - estimate**2
    floor = 1.0 / (n + 1)  # (range / 2)^2 / (n + 1) with range 2, as in _location
    se = math.sqrt(max(variance, floor) / n)
    return Spread(estimate, se, n - 1, n, n, -1.0, 1.0)


def _pick(method: str, binary: bool, clustered: bool, score_methods: tuple[str, ...]) -> str:
    """The method "auto" stands for: clusters -> robust score, 0/1 -> Tango, else t."""
    if method in score_methods and (clustered or not binary):
        raise ValueError(f"method {method!r} needs 0/1 scores from independent samples (no clusters)")
    if method != "auto":
        return method
    if clustered:
        return "score"
    return "tango" if binary else "t"


def paired_difference(
    a: ArrayLike,
    b: ArrayLike,
    clusters: ArrayLike | None = None,
    confidence: float = 0.95,
    method: str = "auto",
) -> Interval:
    """Mean of a - b (candidate minus reference, same samples, same order) with its interval.

    method "auto": with clusters, the robust score interval (`_robust_score`); 0/1
    pairs without clusters, Tango's (1998) score interval (stays inside [-1, 1],
    copes with few or no discordant pairs); otherwise the paired t interval. Each
    inverts the same statistic as `noninferiority_test` does with "auto". Forced:
    "tango", "newcombe" (Newcombe's 1998 method 10 hybrid score interval), "t"
    (paired t; with clusters the Wald clustered t of Miller 2024, G-1 df), "score".
    """
    first, second = paired_arrays(a, b)
    codes = cluster_codes(clusters, first.size)
    confidence = probability(confidence, "confidence")
    method = choice(method, ("auto", "tango", "newcombe", "t", "score"))
    chosen = _pick(method, is_binary(first, second), codes is not None, ("tango", "newcombe"))
    if chosen in ("tango", "newcombe"):
        both, wins, losses, neither = _counts(first, second)
        s = _binary_spread(wins, losses, first.size)

        def bounds(level: float) -> tuple[float, float]:
            level = probability(level, "confidence")
            if chosen == "tango":
                return tango_interval(wins, losses, s.n, level)
            return newcombe_interval(both, wins, losses, neither, level)

        name = "tango-score" if chosen == "tango" else "newcombe-hybrid-score"
    else:
        s, located, name = location_interval(first - second, codes, -1.0, 1.0, chosen)
        name = "paired-t" if name == "t" else name

        def bounds(level: float) -> tuple[float, float]:
            return located(probability(level, "confidence"))

    low, high = bounds(confidence)
    return Interval(s.estimate, low, high, s.se, s.n, s.n_units, confidence, name, bounds)


def noninferiority_test(
    a: ArrayLike,
    b: ArrayLike,
    margin: float,
    clusters: ArrayLike | None = None,
    alpha: float = 0.05,
    method: str = "auto",
) -> OneSidedTest:
    """Is the candidate `a` at most `margin` worse than the reference `b`?

    H0: mean(a - b) <= -margin against H1: mean(a - b) > -margin, one-sided at
    `alpha`. Rejected (the candidate passes) iff the one-sided (1 - alpha) lower
    bound of the difference is above -margin; the p-value comes from the same
    statistic, so pvalue <= alpha exactly when rejected.

    method "auto": with clusters, the robust score test (variance under the null,
    `_robust_score`); 0/1 pairs without clusters, Tango's score test with the margin
    built into the null; otherwise the paired t test. Forced: "tango", "t" (with
    clusters the Wald clustered t, G-1 df), "score".
    """
    first, second = paired_arrays(a, b)
    codes = cluster_codes(clusters, first.size)
    alpha = probability(alpha, "alpha")
    margin = float(margin)
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin must lie in [0, 1), got {margin!r}")
    method = choice(method, ("auto", "tango", "t", "score"))
    chosen = _pick(method, is_binary(first, second), codes is not None, ("tango",))
    if chosen == "tango":
        _, wins, losses, _ = _counts(first, second)
        s = _binary_spread(wins, losses, first.size)
        lower = tango_lower_bound(wins, losses, s.n, alpha)
        pvalue = tango_pvalue_greater(wins, losses, s.n, -margin)
        name = "tango-score"
    else:
        s, lower, pvalue, name = location_test(first - second, codes, -1.0, 1.0, -margin, alpha, chosen)
        name = "paired-t" if name == "t" else name
    return OneSidedTest(
        estimate=s.estimate,
        lower_bound=lower,
        null_value=-margin,
        pvalue=pvalue,
        alpha=alpha,
        rejected=lower > -margin,
        se=s.se,
        n=s.n,
        n_units=s.n_units,
        method=name,
    )
