"""Methods for 0/1 scores: a single proportion, and paired proportions.

Paired 0/1 scores reduce to counts: `wins` = samples the candidate got right and
the reference wrong, `losses` = the reverse, `n` = all samples. The difference of
the two accuracies is (wins - losses) / n.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from scipy import optimize, stats

# Bounds of the root search: the score statistic is singular at exactly +-1.
_EDGE = 1e-12
_NORMAL = NormalDist()


def normal_isf(tail: float) -> float:
    # The standard library's normal is exact to double precision and ~50x faster
    # than scipy.stats.norm for scalars, which matters in the calibration loops.
    return -_NORMAL.inv_cdf(tail)


def normal_sf(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2))


def wilson_interval(successes: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson (1927) score interval for a proportion."""
    z = normal_isf((1 - confidence) / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def exact_lower_bound(successes: int, n: int, alpha: float) -> float:
    """Clopper-Pearson one-sided lower bound: never covers less than 1 - alpha."""
    if successes == 0:
        return 0.0
    return float(stats.beta.ppf(alpha, successes, n - successes + 1))


def exact_pvalue_greater(successes: int, n: int, null_value: float) -> float:
    """P(X >= successes) under Binomial(n, null_value): the dual of exact_lower_bound."""
    return float(stats.binom.sf(successes - 1, n, null_value))


def _restricted_losses_rate(wins: int, losses: int, n: int, delta: float) -> float:
    """Maximum-likelihood P(loss) under the constraint P(win) - P(loss) = delta.

    Closed form of Tango (1998), eq. 5: the positive root of a quadratic.
    """
    a = 2 * n
    b = -wins - losses + (2 * n - wins + losses) * delta
    c = -losses * delta * (1 - delta)
    return (math.sqrt(max(b * b - 4 * a * c, 0.0)) - b) / (2 * a)


def tango_statistic(wins: int, losses: int, n: int, delta: float) -> float:
    """Tango's score statistic for H0: difference = delta (large: truth is above delta).

    The variance is evaluated under the null (restricted MLE), which is what keeps
    the test near its nominal level when discordant pairs are few, where the Wald
    variance (evaluated at the estimate) is too small.
    """
    numerator = wins - losses - n * delta
    if numerator == 0:
        return 0.0
    q = _restricted_losses_rate(wins, losses, n, delta)
    variance = n * (2 * q + delta * (1 - delta))
    if variance <= 0:
        return math.copysign(math.inf, numerator)
    return numerator / math.sqrt(variance)


def tango_pvalue_greater(wins: int, losses: int, n: int, null_value: float) -> float:
    """One-sided p-value for H0: difference <= null_value."""
    return normal_sf(tango_statistic(wins, losses, n, null_value))


def tango_lower_bound(wins: int, losses: int, n: int, alpha: float) -> float:
    """The smallest difference the one-sided score test at level alpha does not reject.

    Inverting the same statistic the p-value uses keeps the two consistent.
    """
    z = normal_isf(alpha)
    estimate = (wins - losses) / n
    left = -1 + _EDGE
    if estimate <= left or tango_statistic(wins, losses, n, left) <= z:
        return -1.0
    return float(
        optimize.brentq(lambda d: tango_statistic(wins, losses, n, d) - z, left, estimate, xtol=1e-13)
    )


def tango_interval(wins: int, losses: int, n: int, confidence: float) -> tuple[float, float]:
    """Tango (1998) score interval for the difference of paired proportions."""
    tail = (1 - confidence) / 2
    low = tango_lower_bound(wins, losses, n, tail)
    high = -tango_lower_bound(losses, wins, n, tail)  # mirror image: swap roles
    return (low, high)


def newcombe_interval(
    both: int, wins: int, losses: int, neither: int, confidence: float
) -> tuple[float, float]:
    """Newcombe (1998) method 10: Wilson intervals of the two margins, square-and-add.

    The correlation between the margins uses Newcombe's corrected phi (zero for a
    small positive association), as in Fagerland, Lydersen & Laake (2017), ch. 8.
    """
    n = both + wins + losses + neither
    first, second = both + wins, both + losses  # candidate's and reference's successes
    p1, p2 = first / n, second / n
    l1, u1 = wilson_interval(first, n, confidence)
    l2, u2 = wilson_interval(second, n, confidence)
    margins = first * (n - first) * second * (n - second)
    phi = 0.0
    if margins > 0:
        association = both * neither - wins * losses
        if association > n / 2:
            phi = (association - n / 2) / math.sqrt(margins)
        elif association < 0:
            phi = association / math.sqrt(margins)
    estimate = p1 - p2
    low = estimate - math.sqrt(max(0.0, (p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2)))
    high = estimate + math.sqrt(max(0.0, (p2 - l2) ** 2 + (u1 - p1) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1)))
    return (max(-1.0, low), min(1.0, high))
