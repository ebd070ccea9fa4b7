"""Tests for harness/results.py: the results table's one per-sample epoch averaging."""

import pandas as pd
import pytest

from harness.errors import InputError
from harness.results import per_sample


def _rows(scores, ids, clusters, candidate="a"):
    return pd.DataFrame({"candidate": candidate, "sample_id": ids, "score": scores, "cluster": clusters})


def test_per_sample_averages_epochs_in_order_of_first_appearance():
    df = _rows([1, 0, 1, 1, 1, 0.5], ["s2", "s1", "s2", "s1", "s3", "s3"], ["d1", "d1", "d1", "d1", "d2", "d2"])
    per = per_sample(df, epochs=("score", "size"))
    assert list(per.index) == [("a", "s2"), ("a", "s1"), ("a", "s3")]
    assert per["score"].tolist() == pytest.approx([1.0, 0.5, 0.75])
    assert per["epochs"].tolist() == [2, 2, 2] and per["cluster"].tolist() == ["d1", "d1", "d2"]


def test_per_sample_keeps_candidates_apart_and_works_without_a_cluster_column():
    df = pd.concat([_rows([1, 0], ["s1", "s1"], None, "a"), _rows([0, 0], ["s1", "s1"], None, "b")])
    per = per_sample(df.drop(columns="cluster"))
    assert per["score"].to_dict() == {("a", "s1"): 0.5, ("b", "s1"): 0.0}
    assert per_sample(df, by=())["score"].to_dict() == {"s1": 0.25}


def test_per_sample_refuses_a_sample_whose_epochs_are_in_two_clusters():
    df = _rows([1, 0, 1], ["s1", "s1", "s2"], ["d1", "d2", "d1"])
    with pytest.raises(InputError, match="sample.*s1.*different clusters"):
        per_sample(df)
