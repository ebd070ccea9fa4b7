"""How many samples would settle a comparison (Miller 2024, section on power).

n = (z_alpha + z_beta)^2 * variance * design_effect / effect^2, with z_alpha one-sided
for a non-inferiority or min-score test (the decision is one-sided) and z_{alpha/2}
for a two-sided comparison. `variance` is the per-sample variance of the paired
differences; for non-inferiority the effect is the distance of the true difference
from the margin, estimate + margin.
"""

from __future__ import annotations

import math

from scipy import stats

from harness.stats._checks import probability


def _z_sum(alpha: float, power: float, one_sided: bool) -> float:
    alpha = probability(alpha, "alpha")
    power = probability(power, "power")
    z_alpha = stats.norm.isf(alpha if one_sided else alpha / 2)
    return float(z_alpha + stats.norm.ppf(power))


def samples_needed(
    sd_diff: float,
    effect: float,
    alpha: float = 0.05,
    power: float = 0.8,
    one_sided: bool = True,
    design_effect: float = 1.0,
) -> int | None:
    """Paired samples needed to detect `effect` with `power`, rounded up.

    None means "no sample size settles it": the effect is zero or negative (for a
    non-inferiority test, the estimate sits at or below -margin).
    """
    if sd_diff < 0 or not math.isfinite(sd_diff):
        raise ValueError(f"sd_diff must be a finite non-negative number, got {sd_diff!r}")
    if design_effect <= 0 or not math.isfinite(design_effect):
        raise ValueError(f"design_effect must be a positive number, got {design_effect!r}")
    if not math.isfinite(effect):
        raise ValueError(f"effect must be finite, got {effect!r}")
    z = _z_sum(alpha, power, one_sided)
    if effect <= 0:
        return None
    n = (z * sd_diff) ** 2 * design_effect / effect**2
    # Rounding noise must not push an exact integer up by one.
    return max(1, math.ceil(n - 1e-9))


def minimum_detectable_effect(
    n: int,
    sd: float,
    alpha: float = 0.05,
    power: float = 0.8,
    one_sided: bool = True,
    design_effect: float = 1.0,
) -> float:
    """The smallest true effect that `n` paired samples detect with `power`."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    if sd < 0 or not math.isfinite(sd):
        raise ValueError(f"sd must be a finite non-negative number, got {sd!r}")
    if design_effect <= 0 or not math.isfinite(design_effect):
        raise ValueError(f"design_effect must be a positive number, got {design_effect!r}")
    return _z_sum(alpha, power, one_sided) * sd * math.sqrt(design_effect / n)
