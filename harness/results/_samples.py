"""One value per sample: epochs averaged before anything compares samples."""

from __future__ import annotations

import pandas as pd

from ..errors import InputError, Problem


def per_sample(df: pd.DataFrame, by: tuple[str, ...] = ("candidate",), **extra: tuple[str, str]) -> pd.DataFrame:
    """One row per (*by, sample_id): the sample's score averaged over its epochs, and its cluster.

    Epochs of one sample are repeated measurements of the same item, not new samples: counting
    them as independent would shrink the standard error by up to sqrt(epochs) for no new
    information, so every comparison averages them first and treats the sample as the unit
    (Miller 2024, "resampling"). Averages of 0/1 scores over several epochs are fractions, which
    the t methods of harness.stats handle. Rows keep the order in which samples first appear.
    `extra` adds named aggregations in pandas' `agg` form, e.g. `round=("round", "min")`.

    Raises InputError when the epochs of one sample carry different clusters."""
    if "cluster" not in df.columns:
        df = df.assign(cluster=None)
    groups = df.groupby([*by, "sample_id"], sort=False)
    out = groups.agg(score=("score", "mean"), cluster=("cluster", "first"), **extra)
    if len(out) < len(df) and df["cluster"].notna().any():
        split = groups["cluster"].nunique() > 1
        if split.any():
            where = ", ".join(str(k[-1] if isinstance(k, tuple) else k) for k in split[split].index[:5])
            raise InputError([Problem("results", f"the epochs of sample(s) {where} carry different clusters",
                                      field="cluster", hint="a sample belongs to one cluster: give all its rows "
                                                            "the same cluster id")], title="invalid results")
    return out
