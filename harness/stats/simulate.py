"""Paired scores with a known true difference, for checking calibration by simulation.

Shared by `tests/test_stats.py` and `benchmarks/calibration.py` so that the test and
the benchmark check the same thing.

Model: each sample has a latent normal pair (z_ref, z_cand) with correlation
`agreement`, so the candidate is right where the reference is right most of the
time. With clusters, each latent value is sqrt(icc) * cluster effect +
sqrt(1 - icc) * sample noise, and the two cluster effects of a cluster are
correlated `cluster_agreement` (< 1, so the difference itself varies by cluster).
The latent values are mapped to scores through the inverse CDF of the target
marginal: a threshold for 0/1 scores, a Beta quantile for continuous scores. Every
latent value is standard normal, so each marginal mean, and therefore the true mean
difference, is exactly what the scenario says, whatever the correlations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from harness.stats._paired import noninferiority_test
from harness.stats._results import OneSidedTest


@dataclass(frozen=True)
class Scenario:
    scores: Literal["binary", "continuous"]
    n: int
    true_difference: float
    clustered: bool = False
    reference_mean: float = 0.8
    agreement: float = 0.8
    icc: float = 0.4  # latent; gives an ICC of ~0.25 (0/1) to ~0.35 (continuous) in the scores
    cluster_agreement: float = 0.5
    cluster_sizes: tuple[int, int] = (5, 10)
    concentration: float = 2.0  # a + b of the Beta marginals: U-shaped partial credit

    @property
    def candidate_mean(self) -> float:
        return self.reference_mean + self.true_difference


@dataclass(frozen=True)
class Batch:
    """`replicates` simulated tasks: one row per task."""

    candidate: NDArray[np.float64]
    reference: NDArray[np.float64]
    clusters: NDArray[np.intp] | None


def simulate(scenario: Scenario, replicates: int, rng: np.random.Generator) -> Batch:
    if not 0 < scenario.candidate_mean < 1:
        raise ValueError(f"the candidate mean {scenario.candidate_mean} must lie in (0, 1)")
    shape = (replicates, scenario.n)
    noise_ref = rng.standard_normal(shape)
    noise_cand = _correlated(noise_ref, scenario.agreement, rng)
    clusters = None
    if scenario.clustered:
        clusters = _cluster_layout(scenario, replicates, rng)
        n_effects = int(clusters.max()) + 1
        effect_ref = rng.standard_normal((replicates, n_effects))
        effect_cand = _correlated(effect_ref, scenario.cluster_agreement, rng)
        w_cluster, w_sample = math.sqrt(scenario.icc), math.sqrt(1 - scenario.icc)
        latent_ref = w_cluster * np.take_along_axis(effect_ref, clusters, 1) + w_sample * noise_ref
        latent_cand = w_cluster * np.take_along_axis(effect_cand, clusters, 1) + w_sample * noise_cand
    else:
        latent_ref, latent_cand = noise_ref, noise_cand
    to_scores = _binary if scenario.scores == "binary" else _continuous(scenario.concentration)
    return Batch(
        candidate=to_scores(latent_cand, scenario.candidate_mean),
        reference=to_scores(latent_ref, scenario.reference_mean),
        clusters=clusters,
    )


def _correlated(x: NDArray[np.float64], rho: float, rng: np.random.Generator) -> NDArray[np.float64]:
    return rho * x + math.sqrt(1 - rho * rho) * rng.standard_normal(x.shape)


def _cluster_layout(scenario: Scenario, replicates: int, rng: np.random.Generator) -> NDArray[np.intp]:
    smallest, largest = scenario.cluster_sizes
    n = scenario.n
    most = n // smallest + 1
    sizes = rng.integers(smallest, largest + 1, size=(replicates, most))
    ends = np.cumsum(sizes, axis=1)
    positions = np.arange(n)
    # One searchsorted per task; the last cluster is cut at n samples.
    return np.stack([np.searchsorted(row, positions, side="right") for row in ends]).astype(np.intp)


def _binary(latent: NDArray[np.float64], mean: float) -> NDArray[np.float64]:
    return (latent < stats.norm.ppf(mean)).astype(np.float64)


def _continuous(concentration: float) -> Callable[[NDArray[np.float64], float], NDArray[np.float64]]:
    def to_beta(latent: NDArray[np.float64], mean: float) -> NDArray[np.float64]:
        a, b = mean * concentration, (1 - mean) * concentration
        return special.betaincinv(a, b, special.ndtr(latent))

    return to_beta


@dataclass(frozen=True)
class PassRate:
    passes: int
    replicates: int

    @property
    def rate(self) -> float:
        return self.passes / self.replicates

    @property
    def mc_se(self) -> float:
        """Monte-Carlo standard error of `rate`."""
        return math.sqrt(self.rate * (1 - self.rate) / self.replicates)


Test = Callable[..., OneSidedTest]


def noninferiority_pass_rate(
    scenario: Scenario,
    margin: float,
    alpha: float,
    replicates: int,
    seed: int,
    chunk: int = 500,
    test: Test = noninferiority_test,
) -> PassRate:
    """How often `test` passes a candidate in `replicates` simulated tasks."""
    rng = np.random.default_rng(seed)
    passes = 0
    for batch in _chunks(scenario, replicates, chunk, rng):
        for row in range(batch.candidate.shape[0]):
            clusters = None if batch.clusters is None else batch.clusters[row]
            result = test(batch.candidate[row], batch.reference[row], margin, clusters=clusters, alpha=alpha)
            passes += bool(result.rejected)
    return PassRate(passes, replicates)


def _chunks(scenario: Scenario, replicates: int, chunk: int, rng: np.random.Generator) -> Iterator[Batch]:
    done = 0
    while done < replicates:
        size = min(chunk, replicates - done)
        yield simulate(scenario, size, rng)
        done += size


def false_pass_limit(alpha: float, replicates: int, sigmas: float = 3.0) -> float:
    """alpha plus `sigmas` Monte-Carlo standard errors: the calibration acceptance line."""
    return alpha + sigmas * math.sqrt(alpha * (1 - alpha) / replicates)
