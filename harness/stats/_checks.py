"""Input validation shared by the public functions.

Every public function funnels its arrays through here, so a malformed input fails
with one clear ValueError instead of a nan three calls later.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Scores are defined on [0, 1] by the results schema; allow rounding noise at the ends.
_TOLERANCE = 1e-9


def scores_array(values: ArrayLike, name: str = "scores") -> NDArray[np.float64]:
    """A 1-D float array of finite scores in [0, 1]."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty: at least one score is needed")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains nan or inf")
    low, high = float(array.min()), float(array.max())
    if low < -_TOLERANCE or high > 1 + _TOLERANCE:
        raise ValueError(f"{name} must lie in [0, 1], got values from {low} to {high}")
    return np.clip(array, 0.0, 1.0)


def paired_arrays(
    a: ArrayLike, b: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Candidate and reference scores on the same samples, in the same order."""
    first, second = scores_array(a, "a"), scores_array(b, "b")
    if first.size != second.size:
        raise ValueError(
            "a and b must be paired scores on the same samples, in the same order: "
            f"got {first.size} and {second.size} scores"
        )
    return first, second


def cluster_codes(clusters: ArrayLike | None, n: int) -> NDArray[np.intp] | None:
    """Cluster labels (any comparable values) as codes 0..G-1, or None."""
    if clusters is None:
        return None
    labels = np.asarray(clusters)
    if labels.ndim != 1 or labels.size != n:
        raise ValueError(f"clusters must be one label per sample: expected {n}, got shape {labels.shape}")
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError("clusters contains nan: give every sample a cluster (or pass clusters=None)")
    if labels.dtype.kind == "O" and any(label is None for label in labels):
        raise ValueError("clusters contains None: give every sample a cluster (or pass clusters=None)")
    try:
        _, codes = np.unique(labels, return_inverse=True)
    except TypeError as error:  # mixed label types that cannot be ordered
        raise ValueError(f"cluster labels must be of one comparable type: {error}") from None
    return codes.astype(np.intp)


def is_binary(*arrays: NDArray[np.float64]) -> bool:
    return all(bool(np.all((array == 0.0) | (array == 1.0))) for array in arrays)


def probability(value: Any, name: str) -> float:
    """A level such as alpha or confidence: strictly between 0 and 1."""
    number = float(value)
    if not 0.0 < number < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return number


def choice(value: str, allowed: tuple[str, ...], name: str = "method") -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value
