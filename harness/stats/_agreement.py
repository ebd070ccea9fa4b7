"""How well a judge agrees with people: Cohen's kappa on verdicts, Spearman's rho on grades.

Thresholds (docs/judge.md says why): kappa above 0.40, the top of Landis & Koch's "fair" band, and rho at
least 0.50; and at least MIN_LABELS labelled answers, since fewer cannot tell a good judge from luck.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

KAPPA_THRESHOLD = 0.40  # Landis & Koch (1977): 0.21-0.40 "fair", 0.41-0.60 "moderate"
SPEARMAN_THRESHOLD = 0.50
MIN_LABELS = 10
# Landis, J. R. & Koch, G. G. (1977). The measurement of observer agreement for categorical data.
# Biometrics 33(1), 159-174: below 0 "poor", then bands with inclusive upper bounds.
_BANDS = [(0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"), (1.0, "almost perfect")]


@dataclass(frozen=True)
class Agreement:
    """A judge's agreement with human labels on `n` answers; `statistic` is nan when it is undefined (one side
    gave a single verdict or grade throughout)."""

    method: Literal["cohen_kappa", "spearman"]
    statistic: float
    n: int
    matches: int  # answers where the judge and the label are the same

    @property
    def threshold(self) -> float:
        return KAPPA_THRESHOLD if self.method == "cohen_kappa" else SPEARMAN_THRESHOLD

    @property
    def name(self) -> str:
        return "Cohen's kappa" if self.method == "cohen_kappa" else "Spearman's rho"

    @property
    def level(self) -> str | None:
        """Landis & Koch's word for a kappa ("fair", "substantial", ...); None for rho or an undefined kappa."""
        if self.method != "cohen_kappa" or math.isnan(self.statistic):
            return None
        if self.statistic < 0:
            return "poor"
        return next((word for top, word in _BANDS if self.statistic <= top), "almost perfect")

    @property
    def weak(self) -> bool:
        """Whether the judge's verdicts should not be trusted on this evidence: agreement below the threshold,
        undefined, or measured on fewer than MIN_LABELS answers."""
        low = self.statistic <= KAPPA_THRESHOLD if self.method == "cohen_kappa" else self.statistic < SPEARMAN_THRESHOLD
        return self.n < MIN_LABELS or math.isnan(self.statistic) or low


def verdict_agreement(judge: Sequence[str], human: Sequence[str],
                      labels: Sequence[str] = ("worse", "same", "better")) -> Agreement:
    """Cohen's kappa (unweighted) between the judge's and the people's verdicts on the same answers."""
    from sklearn.metrics import cohen_kappa_score

    _same_length(judge, human)
    with warnings.catch_warnings():  # an undefined kappa is nan, said in words by the caller
        warnings.simplefilter("ignore")
        kappa = float(cohen_kappa_score(list(judge), list(human), labels=list(labels))) if judge else math.nan
    return Agreement("cohen_kappa", kappa, len(judge), sum(a == b for a, b in zip(judge, human)))


def grade_agreement(judge: Sequence[float], human: Sequence[float]) -> Agreement:
    """Spearman's rank correlation between the judge's and the people's grades of the same answers."""
    from scipy.stats import spearmanr

    _same_length(judge, human)
    with warnings.catch_warnings():  # constant grades: rho is nan
        warnings.simplefilter("ignore")
        rho = float(spearmanr(judge, human).statistic) if len(judge) > 1 else math.nan
    return Agreement("spearman", rho, len(judge), sum(a == b for a, b in zip(judge, human)))


def _same_length(a: Sequence[object], b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"{len(a)} judge values but {len(b)} labels: each label pairs with one judged answer")
