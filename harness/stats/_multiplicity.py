"""Family-wise error control over a task's candidates."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def holm(pvalues: ArrayLike) -> NDArray[np.float64]:
    """Holm step-down adjusted p-values, in the order given.

    Reject H_i at family-wise level alpha iff adjusted[i] <= alpha. Uniformly at
    least as powerful as Bonferroni and valid under any dependence between the
    candidates' tests (they share the reference, so they are dependent).
    """
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be one-dimensional, got shape {p.shape}")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("pvalues must lie in [0, 1] with no nan")
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = (m - np.arange(m)) * p[order]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(np.maximum.accumulate(stepped), 1.0)
    return adjusted


def fixed_sequence(pvalues: ArrayLike, alpha: float) -> int:
    """How many hypotheses fixed-sequence testing rejects: H_1, H_2, ... in the order given, each at the full
    `alpha`, stopping at the first that is not rejected.

    The family-wise error rate over the whole sequence is at most alpha, however long it is, provided
    the order is fixed before the data are seen. Learn-then-Test (Angelopoulos, Bates, Candès, Jordan &
    Lei 2021, "Learn then Test: calibrating predictive algorithms to achieve risk control", §3) uses it
    over thresholds ordered from the most to the least conservative: every rejected threshold is then
    safe at once, and any of them (say, the cheapest) may be chosen after looking.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be one-dimensional, got shape {p.shape}")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("pvalues must lie in [0, 1] with no nan")
    failed = np.flatnonzero(p > alpha)
    return int(failed[0]) if failed.size else int(p.size)
