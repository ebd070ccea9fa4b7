"""Result objects: frozen, named, with methods (the scipy.stats shape)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.stats._power import samples_needed as _samples_needed
from harness.stats._power import minimum_detectable_effect as _minimum_detectable_effect


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval.

    `n` counts samples; `n_units` counts the independent units the standard error
    rests on (clusters when clustered, else samples).
    """

    estimate: float
    low: float
    high: float
    se: float
    n: int
    n_units: int
    confidence: float
    method: str
    _bounds: Callable[[float], tuple[float, float]] = field(repr=False, compare=False)

    def confidence_interval(self, confidence: float | None = None) -> tuple[float, float]:
        """(low, high) at the stored level, or recomputed at another level."""
        if confidence is None or confidence == self.confidence:
            return (self.low, self.high)
        return self._bounds(confidence)


@dataclass(frozen=True)
class OneSidedTest:
    """One-sided test of H0: mean <= null_value against H1: mean > null_value.

    `lower_bound` is the one-sided (1 - alpha) lower confidence bound and is
    consistent with `pvalue`: `rejected` is True exactly when the bound clears
    `null_value` (equivalently, pvalue <= alpha). A criterion *passes* when its
    null hypothesis is rejected.
    """

    estimate: float
    lower_bound: float
    null_value: float
    pvalue: float
    alpha: float
    rejected: bool
    se: float
    n: int
    n_units: int
    method: str

    @property
    def distance(self) -> float:
        """How far the estimate lies above the null value (negative: below it)."""
        return self.estimate - self.null_value

    def samples_needed(self, power: float = 0.8) -> int | None:
        """Samples that would pass this test with `power` if the estimate were the truth.

        Same design as the data (the clustering is carried by `se`). None when the
        estimate is not above the null value: more samples of the same kind would
        only confirm a failure, no sample size settles it as a pass.
        """
        if not math.isfinite(self.se) or self.n < 1:
            return None
        return _samples_needed(
            sd_diff=self.se * math.sqrt(self.n),
            effect=self.distance,
            alpha=self.alpha,
            power=power,
            one_sided=True,
        )

    def minimum_detectable_effect(self, power: float = 0.8) -> float:
        """The smallest distance above the null value this sample size detects with `power`."""
        if not math.isfinite(self.se):
            return math.inf
        return _minimum_detectable_effect(
            n=self.n, sd=self.se * math.sqrt(self.n), alpha=self.alpha, power=power, one_sided=True
        )
