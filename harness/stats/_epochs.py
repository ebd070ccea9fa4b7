"""Scores arrive one row per sample x epoch; the statistics want one value per sample."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from harness.stats._checks import scores_array


@dataclass(frozen=True)
class SampleScores:
    """One row per sample, sorted by sample id, so two candidates' results line up."""

    sample_ids: NDArray[np.generic]
    scores: NDArray[np.float64]
    epochs: NDArray[np.int64]
    clusters: NDArray[np.generic] | None


def average_epochs(
    scores: ArrayLike, sample_ids: ArrayLike, clusters: ArrayLike | None = None
) -> SampleScores:
    """Average the epochs of each sample.

    Epochs of one sample are repeated measurements of the same item, not new
    samples: counting them as independent would shrink the standard error by up
    to sqrt(epochs) for no new information. Averaging first treats the sample as
    the unit (Miller 2024, "resampling" section). Averages of 0/1 scores over
    several epochs are fractions, so the t methods apply to them.
    """
    values = scores_array(scores)
    ids = np.asarray(sample_ids)
    if ids.shape != values.shape:
        raise ValueError(f"sample_ids must be one per score: got {ids.shape} for {values.shape}")
    unique_ids, codes = np.unique(ids, return_inverse=True)
    epochs = np.bincount(codes)
    means = np.bincount(codes, weights=values) / epochs
    cluster_of_sample = None
    if clusters is not None:
        labels = np.asarray(clusters)
        if labels.shape != values.shape:
            raise ValueError(f"clusters must be one per score: got {labels.shape} for {values.shape}")
        first = np.zeros(unique_ids.size, dtype=np.intp)
        first[codes[::-1]] = np.arange(values.size)[::-1]  # first row of each sample
        cluster_of_sample = labels[first]
        if np.any(labels != cluster_of_sample[codes]):
            raise ValueError("a sample's epochs must all carry the same cluster")
    return SampleScores(unique_ids, means, epochs.astype(np.int64), cluster_of_sample)
