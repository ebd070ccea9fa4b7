"""Anytime-valid confidence sequences by betting (Waudby-Smith & Ramdas 2023).

Reference: I. Waudby-Smith and A. Ramdas, "Estimating means of bounded random
variables by betting", JRSS-B 86(1), 2023 (arXiv:2010.09686), section 4 (capital
process, predictable plug-in bets, "hedged" CS). docs/sequential.md has the details.

For observations x_1, x_2, ... in [0, 1] with conditional mean mu, and a candidate
value m, the one-sided (lower) capital process is

    K_t(m) = prod_{i<=t} (1 + lambda_i(m) * (x_i - m)),
    lambda_i(m) = min(lambda~_i, c / m),          c = 1/2 (default) or 3/4,

with lambda~_i predictable (built from x_1..x_{i-1} only):

    mu^_t    = (1/2 + sum_{i<=t} x_i) / (t + 1)
    sigma^2_t = (1/4 + sum_{i<=t} (x_i - mu^_i)^2) / (t + 1)
    lambda~_t = sqrt(2 log(1/alpha) / (sigma^2_{t-1} * t * log(1 + t)))   (horizon None)
    lambda~_t = sqrt(2 log(1/alpha) / (sigma^2_{t-1} * horizon))           (horizon N)

Under H0: mu <= m every factor has conditional mean 1 + lambda (mu - m) <= 1 and is
>= 1 - c > 0, so K_t(m) is a nonnegative supermartingale with K_0 = 1 and Ville's
inequality gives P(exists t: K_t(m) >= 1/alpha) <= alpha. Any predictable lambda~
keeps this; the schedule only changes power (the "horizon" one is tuned to be
tightest near t = horizon, the default one is the paper's, tight for all t at a
log-log cost).

K_t(m) is non-increasing in m (each factor is), so the set of m not rejected at any
look s <= t is an interval [L_t, 1]: L_t is the running maximum of the per-look
roots of K_s(m) = 1/alpha. P(exists t: mu < L_t) <= alpha. The upper bound is the
same construction on 1 - x. A decision at a value m0 ("is mu > m0?") is exactly
"m0 < L_t", which is "K_s(m0) >= 1/alpha at some look s <= t"; `log_capital`
evaluates the process at one m0 for many simulated tasks at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from harness.stats._checks import probability

_BISECTIONS = 50  # 2^-50: far below any score resolution
# Defaults of harness's sequential selection (benchmarks/sequential.py measured them):
# bets tuned for decisions within about 500 samples (for typical paired-difference
# variances the bet is then at its cap c anyway, so 300-1000 gave the same decisions),
# and a candidate is dropped once its predictive probability of passing by the end of
# the data falls below 5% (`pass_probability`).
SEQUENTIAL_HORIZON = 500
FUTILITY_BELOW = 0.05


def _check_truncation(c: float) -> float:
    c = float(c)
    if not 0.0 < c < 1.0:
        raise ValueError(f"the bet truncation c must lie in (0, 1), got {c!r}")
    return c


def _unit_array(x: ArrayLike, name: str = "x") -> NDArray[np.float64]:
    array = np.asarray(x, dtype=np.float64)
    if array.ndim == 0:
        array = array[None]
    if array.shape[-1] == 0:
        raise ValueError(f"{name} is empty: at least one observation is needed")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains nan or inf")
    if array.min() < -1e-9 or array.max() > 1 + 1e-9:
        raise ValueError(f"{name} must lie in [0, 1], got values from {array.min()} to {array.max()}")
    return np.clip(array, 0.0, 1.0)


def predictable_bets(
    x: ArrayLike, alpha: float, horizon: int | None = None, c: float = 0.5
) -> NDArray[np.float64]:
    """lambda~_t for t = 1..T along the last axis (before the c/m truncation, capped at c).

    lambda~_t depends on x_1..x_{t-1} only (predictable).
    """
    x = _unit_array(x)
    alpha = probability(alpha, "alpha")
    c = _check_truncation(c)
    t = np.arange(1, x.shape[-1] + 1, dtype=np.float64)
    mu = (0.5 + np.cumsum(x, axis=-1)) / (t + 1)  # mu^_t, t = 1..T
    sq = (0.25 + np.cumsum((x - mu) ** 2, axis=-1)) / (t + 1)  # sigma^2_t, t = 1..T
    sigma2_prev = np.concatenate([np.full(x.shape[:-1] + (1,), 0.25), sq[..., :-1]], axis=-1)
    if horizon is None:
        scale = t * np.log1p(t)
    else:
        if int(horizon) < 1:
            raise ValueError(f"horizon must be a positive number of observations, got {horizon!r}")
        scale = np.full_like(t, float(horizon))
    return np.minimum(np.sqrt(2.0 * math.log(1.0 / alpha) / (sigma2_prev * scale)), c)


def log_capital(
    x: ArrayLike,
    m: ArrayLike,
    alpha: float,
    horizon: int | None = None,
    c: float = 0.5,
    bets: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """log K_t(m) for t = 1..T along the last axis of x (the lower, "mean > m" side).

    `m` broadcasts against x[..., :1] (one value per task, or a scalar) and must lie in
    [0, 1). H0: mean <= m is rejected at level alpha by the first t with
    log K_t(m) >= log(1/alpha). `bets` may pass precomputed `predictable_bets`.
    """
    x = _unit_array(x)
    c = _check_truncation(c)
    lam = predictable_bets(x, alpha, horizon, c) if bets is None else bets
    m = np.asarray(m, dtype=np.float64)
    if m.ndim and m.shape[-1] != 1:
        m = m[..., None]
    if np.any(m < 0) or np.any(m >= 1):
        raise ValueError("m must lie in [0, 1)")
    with np.errstate(divide="ignore"):
        cap = np.where(m > 0, c / np.where(m > 0, m, 1.0), np.inf)
    lam = np.minimum(lam, cap)
    return np.cumsum(np.log1p(lam * (x - m)), axis=-1)


def _roots(x: NDArray[np.float64], lam: NDArray[np.float64], times: NDArray[np.intp], alpha: float, c: float) -> NDArray[np.float64]:
    """For each t in `times` (1-based), sup{m : K_t(m) >= 1/alpha} (0 when none), by bisection.

    x and lam are 1-D. K_t(m) is non-increasing in m, so bisection is exact.
    """
    threshold = math.log(1.0 / alpha)
    T = x.size
    mask = np.arange(T)[None, :] < times[:, None]  # (looks, T)

    def logk(m: NDArray[np.float64]) -> NDArray[np.float64]:
        with np.errstate(divide="ignore"):
            cap = np.where(m > 0, c / np.where(m > 0, m, 1.0), np.inf)
        lam_m = np.minimum(lam[None, :], cap[:, None])
        terms = np.log1p(lam_m * (x[None, :] - m[:, None]))
        return np.sum(np.where(mask, terms, 0.0), axis=1)

    lo = np.zeros(times.size)
    hi = np.ones(times.size)
    rejected_at_zero = logk(lo) >= threshold
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        reject = logk(mid) >= threshold
        lo = np.where(reject, mid, lo)
        hi = np.where(reject, hi, mid)
    return np.where(rejected_at_zero, lo, 0.0)


def confidence_sequence(
    x: ArrayLike,
    alpha: float = 0.05,
    side: Literal["lower", "upper"] = "lower",
    horizon: int | None = None,
    c: float = 0.5,
    looks: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """One-sided anytime-valid bound on the mean of x in [0, 1] after each look.

    Returns an array with one bound per look (default: after every observation),
    such that P(mean < lower at some look) <= alpha (or > upper). The bound is the
    running intersection over the looks, so it never loosens. `looks` are 1-based
    observation counts, increasing.
    """
    array = _unit_array(x)
    if array.ndim != 1:
        raise ValueError(f"x must be one-dimensional, got shape {array.shape}")
    alpha = probability(alpha, "alpha")
    c = _check_truncation(c)
    if side not in ("lower", "upper"):
        raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
    data = array if side == "lower" else 1.0 - array
    times = np.arange(1, data.size + 1) if looks is None else np.asarray(looks, dtype=np.intp)
    if times.ndim != 1 or times.size == 0 or times.min() < 1 or times.max() > data.size or np.any(np.diff(times) <= 0):
        raise ValueError("looks must be increasing observation counts between 1 and len(x)")
    lam = predictable_bets(data, alpha, horizon, c)
    roots = np.concatenate([_roots(data, lam, chunk, alpha, c) for chunk in np.array_split(times, max(1, times.size // 64))])
    bound = np.maximum.accumulate(roots)
    return bound if side == "lower" else 1.0 - bound


def bonferroni_alpha(alpha: float, candidates: int) -> float:
    """Per-candidate level so the task's family-wise error stays at alpha.

    Valid for anytime-valid tests whatever the dependence between candidates (they
    share the reference) and whatever the stopping rule: P(any false decision) <=
    sum of the per-candidate error probabilities (union bound).
    """
    alpha = probability(alpha, "alpha")
    if int(candidates) < 1:
        raise ValueError(f"candidates must be at least 1, got {candidates!r}")
    return alpha / int(candidates)


@dataclass(frozen=True)
class SequentialState:
    """Where a sequential non-inferiority test stands after a look.

    `lower`/`upper` bound the mean paired difference (candidate - reference) in
    [-1, 1]; `decided` is "pass" (lower > -margin), "fail" (upper < -margin) or None
    (still open); `n` pairs seen; `decided_at` the n of the look that decided.
    """

    lower: float
    upper: float
    estimate: float
    n: int
    decided: Literal["pass", "fail"] | None
    decided_at: int | None


class SequentialTest:
    """Anytime-valid non-inferiority test of a candidate against the reference.

    H0: mean(a - b) <= -margin. Feed paired differences d = a - b in [-1, 1] round by
    round with `update`; each update is a look. The differences are mapped to
    y = (d + 1) / 2 in [0, 1] and tested with the betting capital process at
    m0 = (1 - margin) / 2: "pass" when the lower process rejects mean <= m0 at
    level alpha, "fail" when the upper process (on 1 - y) rejects mean >= m0. Each
    side is one-sided at alpha (no alpha/2 split): P(false pass) <= alpha and
    P(false fail) <= alpha, at any stopping time. For K candidates of a task use
    alpha = bonferroni_alpha(alpha, K). Once decided the verdict is kept (further
    updates only tighten the bounds).
    """

    def __init__(self, margin: float, alpha: float = 0.05, horizon: int | None = None, c: float = 0.5):
        margin = float(margin)
        if not 0.0 <= margin < 1.0:
            raise ValueError(f"margin must lie in [0, 1), got {margin!r}")
        self.margin = margin
        self.alpha = probability(alpha, "alpha")
        self.horizon = horizon
        self.c = _check_truncation(c)
        self._y = np.empty(0)
        self._lower_y = 0.0  # running max of the roots at the looks (y scale)
        self._upper_y = 1.0
        self._decided: Literal["pass", "fail"] | None = None
        self._decided_at: int | None = None

    @property
    def null_value(self) -> float:
        return (1.0 - self.margin) / 2.0

    def update(self, diffs: ArrayLike) -> SequentialState:
        d = np.asarray(diffs, dtype=np.float64).ravel()
        if d.size == 0:
            raise ValueError("update needs at least one paired difference")
        if not np.all(np.isfinite(d)) or d.min() < -1 - 1e-9 or d.max() > 1 + 1e-9:
            raise ValueError("paired differences must be finite and lie in [-1, 1]")
        self._y = np.concatenate([self._y, np.clip((d + 1.0) / 2.0, 0.0, 1.0)])
        n = self._y.size
        look = np.array([n])
        lower_lam = predictable_bets(self._y, self.alpha, self.horizon, self.c)
        upper_lam = predictable_bets(1.0 - self._y, self.alpha, self.horizon, self.c)
        self._lower_y = max(self._lower_y, float(_roots(self._y, lower_lam, look, self.alpha, self.c)[0]))
        self._upper_y = min(self._upper_y, 1.0 - float(_roots(1.0 - self._y, upper_lam, look, self.alpha, self.c)[0]))
        if self._decided is None:
            threshold = math.log(1.0 / self.alpha)
            m0 = self.null_value
            if log_capital(self._y, m0, self.alpha, self.horizon, self.c, lower_lam)[-1] >= threshold:
                self._decided, self._decided_at = "pass", n
            elif log_capital(1.0 - self._y, 1.0 - m0, self.alpha, self.horizon, self.c, upper_lam)[-1] >= threshold:
                self._decided, self._decided_at = "fail", n
        return self.state

    @property
    def state(self) -> SequentialState:
        n = self._y.size
        estimate = float(2.0 * self._y.mean() - 1.0) if n else math.nan
        return SequentialState(
            lower=2.0 * self._lower_y - 1.0,
            upper=2.0 * self._upper_y - 1.0,
            estimate=estimate,
            n=n,
            decided=self._decided,
            decided_at=self._decided_at,
        )


def sequential_decisions(
    diffs: ArrayLike,
    margin: float,
    alpha: float,
    looks: ArrayLike,
    horizon: int | None = None,
    c: float = 0.5,
) -> tuple[NDArray[np.int8], NDArray[np.intp]]:
    """Vectorised `SequentialTest` over many tasks: diffs has shape (tasks, T).

    Returns (verdict, n_decided) per task: verdict 1 pass, -1 fail, 0 open at the
    last look; n_decided the look's sample count (T's last look when open). Same
    decisions as feeding each row to `SequentialTest` at these looks.
    """
    d = np.asarray(diffs, dtype=np.float64)
    if d.ndim == 1:
        d = d[None, :]
    y = np.clip((d + 1.0) / 2.0, 0.0, 1.0)
    looks = np.asarray(looks, dtype=np.intp)
    m0 = (1.0 - float(margin)) / 2.0
    threshold = math.log(1.0 / alpha)
    up = log_capital(y, m0, alpha, horizon, c)[:, looks - 1] >= threshold
    down = log_capital(1.0 - y, 1.0 - m0, alpha, horizon, c)[:, looks - 1] >= threshold
    any_up, any_down = up.any(axis=1), down.any(axis=1)
    first_up = np.where(any_up, up.argmax(axis=1), looks.size)
    first_down = np.where(any_down, down.argmax(axis=1), looks.size)
    verdict = np.where(first_up < first_down, 1, np.where(first_down < first_up, -1, 0)).astype(np.int8)
    # pass is checked first at a look, as in SequentialTest
    both_same = (first_up == first_down) & (first_up < looks.size)
    verdict[both_same] = 1
    first = np.minimum(first_up, first_down)
    n_decided = np.where(first < looks.size, looks[np.minimum(first, looks.size - 1)], looks[-1])
    return verdict, n_decided


def pass_probability(
    estimate: ArrayLike,
    sd: ArrayLike,
    n: ArrayLike,
    total: ArrayLike,
    threshold: float,
    alpha: float,
) -> NDArray[np.float64]:
    """Predictive probability that the data left could still show mean > threshold.

    Flat-prior normal predictive probability (Spiegelhalter, Freedman & Blackburn
    1986; Dmitrienko & Wang 2006) that a one-sided fixed-size test at level alpha on
    all `total` samples would pass, given `n` seen with mean `estimate` and standard
    deviation `sd`: the final mean is normal with mean `estimate` and variance
    sd^2 (total - n) / (total n), the test passes when it exceeds
    threshold + z_{1-alpha} sd / sqrt(total).

    Used only to *drop* a candidate (futility): dropping can never make anything pass,
    so it leaves every false-pass guarantee as it is and only costs power, which the
    benchmark measures. The fixed test it asks about is easier to pass than the
    confidence sequence at the same level, so the rule errs towards keeping a
    candidate. Vectorised; at n >= total it is 1 or 0 (the fixed test's answer).
    """
    est, s = np.asarray(estimate, dtype=np.float64), np.asarray(sd, dtype=np.float64)
    n_, big = np.asarray(n, dtype=np.float64), np.asarray(total, dtype=np.float64)
    if np.any(n_ < 1) or np.any(big < 1):
        raise ValueError("n and total must be at least 1")
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ValueError("sd must be finite and non-negative")
    z = float(_norm_ppf(1.0 - probability(alpha, "alpha")))
    s = np.maximum(s, 1e-12)
    critical = threshold + z * s / np.sqrt(big)
    left = np.maximum(big - n_, 0.0)
    scale = s * np.sqrt(left / (big * n_))
    with np.errstate(divide="ignore", invalid="ignore"):
        zscore = np.where(left > 0, (est - critical) / np.where(scale > 0, scale, 1.0), np.where(est > critical, np.inf, -np.inf))
    return _norm_cdf(zscore)


def _norm_ppf(p: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(p))


def _norm_cdf(z: NDArray[np.float64]) -> NDArray[np.float64]:
    from scipy.special import ndtr

    return np.asarray(ndtr(z), dtype=np.float64)


def anytime_pvalue(log_capital_path: ArrayLike) -> float:
    """The anytime-valid p-value 1 / max_t K_t (Ville): P(it ever falls to <= a) <= a under H0."""
    path = np.asarray(log_capital_path, dtype=np.float64)
    if path.size == 0:
        return 1.0
    return float(min(1.0, math.exp(-max(0.0, float(np.max(path))))))


def pass_probability_at_looks(
    x: ArrayLike, threshold: float, alpha: float, total: int, looks: ArrayLike
) -> NDArray[np.float64]:
    """`pass_probability` after each look for observations x (..., T) (scores or paired differences).

    The standard deviation is floored by one pseudo-observation of spread 1
    ((1 + sum of squares) / n), so a run of identical early values cannot look
    certain.
    """
    data = np.asarray(x, dtype=np.float64)
    at = np.asarray(looks, dtype=np.intp)
    csum = np.cumsum(data, axis=-1)[..., at - 1]
    csq = np.cumsum(data**2, axis=-1)[..., at - 1]
    mean = csum / at
    var = np.maximum(csq / at - mean**2, 0.0)
    sd = np.sqrt((1.0 + var * at) / at)
    return pass_probability(mean, sd, np.broadcast_to(at, mean.shape), total, threshold, alpha)
