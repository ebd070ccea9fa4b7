"""Standard errors of a mean, plain or clustered, and the t-based bounds built on them.

Clustered SE (Miller 2024, eq. for clustered errors; Cameron & Miller 2015 "CR1"):

    SE^2 = G/(G-1) * sum_c (sum_{i in c} (x_i - mean))^2 / n^2

with t on G-1 degrees of freedom for method="t". Why CR1: for an intercept-only
model the G/(G-1) factor makes SE^2 exactly unbiased when clusters are equal-sized
and independent, and it is what statsmodels' cluster-robust OLS computes (so it can
be checked against it). It is the `se` every clustered result reports; the default
clustered bounds and p-values evaluate the same variance at the null value instead
(`_robust_score`), because the Wald form passed too often in simulation. It needs
G >= 2; with one cluster there is no information about the variance and the
interval is the whole score range.

Variance floor: an observed variance of exactly zero (every difference equal, every
score the same) would give SE = 0 and a pass from a handful of samples. The
per-sample variance is therefore never taken below

    (range / 2)^2 / (n + 1),   range = high - low of the values (2 for differences),

which is exactly the sample variance of n + 1 values of which one sits half the
range away from the other n: as if one more sample had disagreed. The floor is on
the sample level also when clustered (SE^2 >= floor / n). It binds only when the
data show (almost) no variation; then it behaves much like Tango's score test does
for 0/1 pairs without a discordant pair: at a 0.05 margin and alpha 0.05, 34
identical paired differences are needed to pass (33 in clusters of 5), where
Tango's test needs 52 all-agreeing 0/1 pairs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from harness.stats._checks import cluster_codes
from harness.stats._robust_score import (
    score_interval,
    score_lower_bound,
    score_parts,
    score_pvalue_greater,
)


def clustered_se(values: ArrayLike, clusters: ArrayLike) -> float:
    """Cluster-robust (CR1) standard error of the mean of `values`.

    Equals statsmodels `OLS(values, ones).fit(cov_type="cluster",
    cov_kwds={"groups": clusters}).bse[0]`.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError("values must be a non-empty one-dimensional array of finite numbers")
    codes = cluster_codes(clusters, array.size)
    assert codes is not None
    n_clusters = int(codes.max()) + 1
    if n_clusters < 2:
        raise ValueError("a clustered standard error needs at least two clusters")
    return math.sqrt(_clustered_variance(array, codes, n_clusters))


def _clustered_variance(values: NDArray[np.float64], codes: NDArray[np.intp], n_clusters: int) -> float:
    residual_sums = np.bincount(codes, weights=values - values.mean(), minlength=n_clusters)
    g = n_clusters
    return float(g / (g - 1) * np.sum(residual_sums**2) / values.size**2)


@dataclass(frozen=True)
class Spread:
    """A mean with its standard error and the t degrees of freedom behind it."""

    estimate: float
    se: float
    df: int  # 0: no information about the variance (one sample or one cluster)
    n: int
    n_units: int
    low: float  # the range the values can take, for clipping bounds
    high: float

    @property
    def informative(self) -> bool:
        return self.df >= 1


def spread(
    values: NDArray[np.float64], codes: NDArray[np.intp] | None, low: float, high: float
) -> Spread:
    n = values.size
    estimate = float(values.mean())
    units = n if codes is None else int(codes.max()) + 1
    if units < 2:
        return Spread(estimate, math.inf, 0, n, units, low, high)
    if codes is None:
        variance_of_mean = float(values.var(ddof=1)) / n
    else:
        variance_of_mean = _clustered_variance(values, codes, units)
    floor = ((high - low) / 2) ** 2 / (n + 1) / n
    return Spread(estimate, math.sqrt(max(variance_of_mean, floor)), units - 1, n, units, low, high)


def t_interval(s: Spread, confidence: float) -> tuple[float, float]:
    if not s.informative:
        return (s.low, s.high)
    half = float(stats.t.ppf(0.5 + confidence / 2, s.df)) * s.se
    return (max(s.low, s.estimate - half), min(s.high, s.estimate + half))


def t_lower_bound(s: Spread, alpha: float) -> float:
    if not s.informative:
        return s.low
    return max(s.low, s.estimate - float(stats.t.isf(alpha, s.df)) * s.se)


def t_pvalue_greater(s: Spread, null_value: float) -> float:
    """One-sided p-value for H0: mean <= null_value."""
    if not s.informative:
        return 1.0
    return float(stats.t.sf((s.estimate - null_value) / s.se, s.df))


# The two families for fractional or clustered values, behind one switch, so the
# mean and the paired difference pick them the same way.

_T_NAMES = {False: "t", True: "clustered-t"}
_SCORE_NAMES = {False: "score", True: "clustered-score"}


def location_interval(
    values: NDArray[np.float64],
    codes: NDArray[np.intp] | None,
    low: float,
    high: float,
    kind: str,
) -> tuple[Spread, Callable[[float], tuple[float, float]], str]:
    """The spread, a level -> (low, high) function, and the method name."""
    s = spread(values, codes, low, high)
    if kind == "score":
        parts = score_parts(values, codes, low, high)
        return s, lambda level: score_interval(parts, level), _SCORE_NAMES[codes is not None]
    return s, lambda level: t_interval(s, level), _T_NAMES[codes is not None]


def location_test(
    values: NDArray[np.float64],
    codes: NDArray[np.intp] | None,
    low: float,
    high: float,
    null_value: float,
    alpha: float,
    kind: str,
) -> tuple[Spread, float, float, str]:
    """The spread, the one-sided lower bound, the p-value of H0 mean <= null, the name."""
    s = spread(values, codes, low, high)
    if kind == "score":
        parts = score_parts(values, codes, low, high)
        name = _SCORE_NAMES[codes is not None]
        return s, score_lower_bound(parts, alpha), score_pvalue_greater(parts, null_value), name
    return s, t_lower_bound(s, alpha), t_pvalue_greater(s, null_value), _T_NAMES[codes is not None]
