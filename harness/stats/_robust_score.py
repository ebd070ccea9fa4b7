"""Robust (generalized) score test and interval for a mean, for clustered samples.

The Wald clustered t (estimate +- t(G-1) * clustered SE) lets too many candidates
pass with clustered 0/1 scores: in our simulations at a true difference of exactly
-max_drop (the scenarios of benchmarks/calibration.py) it passed 5.5-6% of tasks at
alpha 5% with 13-40 clusters and up to 7% with 4-8 clusters, because the SE is
estimated around the estimate and so is small exactly when the estimate happens to
be high. The score test evaluates the same clustered sandwich variance at the null
value instead (Rotnitzky & Jewell 1990; Boos 1992), the way Tango's test does for
unclustered pairs:

    T(m0) = (mean - m0) / SE0(m0),
    SE0(m0)^2 = G/(G-1) * sum_c (sum_{i in c} (x_i - m0))^2 / n^2,

referred to the standard normal. It stayed at or below alpha (within simulation
error) in every clustered scenario we simulated, 3 to 150 clusters, 0/1 and
continuous scores, and it is conservative with very few clusters. Miller's G/(G-1)
factor is kept; the t reference is not: with the variance taken under the null,
t(G-1) on top was needlessly conservative (about 3% at 13 clusters).

With x = mean - m0 and S_c the residual sum of cluster c, the numerator of SE0^2 is
Q(x) = A + 2 B x + C x^2 (A = sum S_c^2, B = sum n_c S_c, C = sum n_c^2), so the
bounds are roots of a quadratic. T is not monotone in general (it tends to
L = n / sqrt(k C) far from the estimate), so a null value m0 is rejected only when
every null value below it is rejected too; that keeps the bound and the p-value of
the composite null `mean <= m0` consistent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from harness.stats._binary import normal_isf, normal_sf


@dataclass(frozen=True)
class ScoreParts:
    estimate: float
    n: int
    units: int
    k: float  # G / (G - 1)
    a: float
    b: float
    c: float
    floor: float  # lowest SE0^2, the variance floor of _location
    low: float
    high: float

    @property
    def informative(self) -> bool:
        return self.units >= 2

    @property
    def limit(self) -> float:
        """T far from the estimate: the largest evidence the clustering allows."""
        return self.n / math.sqrt(self.k * self.c)

    def statistic(self, x: float, b: float) -> float:
        se2 = max(self.k * (self.a + 2 * b * x + self.c * x * x) / self.n**2, self.floor)
        return x / math.sqrt(se2)


def score_parts(
    values: NDArray[np.float64], codes: NDArray[np.intp] | None, low: float, high: float
) -> ScoreParts:
    n = values.size
    if codes is None:
        codes = np.arange(n)
    units = int(codes.max()) + 1
    estimate = float(values.mean())
    sums = np.bincount(codes, weights=values - estimate, minlength=units)
    sizes = np.bincount(codes, minlength=units).astype(np.float64)
    k = units / (units - 1) if units >= 2 else math.inf
    floor = ((high - low) / 2) ** 2 / (n + 1) / n
    return ScoreParts(
        estimate, n, units, k, float(sums @ sums), float(sizes @ sums), float(sizes @ sizes), floor, low, high
    )


def _distance_to_bound(p: ScoreParts, z: float, b: float) -> float:
    """Smallest x > 0 beyond which every T(x') exceeds z; inf if there is none."""
    if p.limit <= z:
        return math.inf
    lead = p.n**2 - z * z * p.k * p.c
    half_linear = z * z * p.k * b
    root = (half_linear + math.sqrt(half_linear**2 + lead * z * z * p.k * p.a)) / lead
    return max(root, z * math.sqrt(p.floor))


def score_lower_bound(p: ScoreParts, alpha: float) -> float:
    if not p.informative:
        return p.low
    return max(p.low, p.estimate - _distance_to_bound(p, normal_isf(alpha), p.b))


def score_upper_bound(p: ScoreParts, alpha: float) -> float:
    if not p.informative:
        return p.high
    # Mirror image: testing "mean >= m0" flips the sign of x, hence of B.
    return min(p.high, p.estimate + _distance_to_bound(p, normal_isf(alpha), -p.b))


def score_interval(p: ScoreParts, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2
    return (score_lower_bound(p, tail), score_upper_bound(p, tail))


def score_pvalue_greater(p: ScoreParts, null_value: float) -> float:
    """p-value of H0: mean <= null_value (the largest over that composite null)."""
    if not p.informative:
        return 1.0
    x = p.estimate - null_value
    statistic = p.statistic(x, p.b)
    if x > 0:
        statistic = min(statistic, p.limit)
    return normal_sf(statistic)
