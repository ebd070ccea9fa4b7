"""select's one pass over the table (harness/select/_tasks.py) gives each task exactly what the per-task
frame path gives: the same matrix (values to the bit, rows and columns in the same order), cluster codes,
notes, costs, model, config and suite."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from harness import results
from harness.errors import InputError
from harness.select import Criteria, select
from harness.select._decision import facts, first_value
from harness.select._fixed import score_matrix
from harness.select._tasks import TableIndex, scored_tasks


def table(seed: int, epochs: int = 1, contiguous: bool = False, shuffle: bool = True) -> pd.DataFrame:
    """Tasks with unsorted candidate names, fractional scores, clusters (one task without), NaN costs,
    models and configs missing for some candidates, unpaired samples, and epochs as asked."""
    rng = np.random.default_rng(seed)
    rows = []
    for t, task in enumerate(["zeta", "alpha", "mid"]):
        cands = ["b10", "a2", "c1", "b9"][: 2 + t]
        for c, cand in enumerate(cands):
            samples = [s for s in range(60) if not (c == 1 and s % 11 == 0)]
            for s in samples:
                for e in range(1, epochs + 1):
                    rows.append({
                        "suite": f"suite{t % 2}", "task": task, "candidate": cand, "sample_id": f"s{s:03d}",
                        "epoch": e, "cluster": None if t == 2 else (f"k{s % 7}" if (s + e) % 5 else None),
                        "score": float(np.round(rng.random(), 3)) if t != 1 else float(rng.random() < 0.7),
                        "cost_usd": math.nan if cand == "c1" else float(rng.random() * 1e-3),
                        "prod_cost_usd": float(rng.random() * 1e-4 + 1e-7 * s),
                        "model": None if cand == "a2" else f"p/{cand}",
                        "config": json.dumps({"t": c}) if c % 2 else "",
                    })
    df = pd.DataFrame(rows)
    if contiguous:  # a sample's epochs next to each other: pandas sums them by reduceat
        df = df.sort_values(["task", "candidate", "sample_id", "epoch"], kind="stable")
    elif shuffle:
        df = df.sample(frac=1.0, random_state=seed)
    return results.validate(df.reset_index(drop=True), "test")


def same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("epochs, contiguous, shuffle", [(1, False, True), (3, False, True), (3, True, False),
                                                           (1, False, False), (2, False, True)])
@pytest.mark.parametrize("seed", [1, 2])
def test_one_pass_gives_each_task_what_its_rows_give(seed, epochs, contiguous, shuffle):
    df = table(seed, epochs, contiguous, shuffle)
    index = TableIndex.of(df)
    scored = scored_tasks(index, list(range(len(index.tasks))))
    frames = dict(tuple(df.groupby("task", sort=False)))
    assert index.tasks == list(frames)
    for t, task in enumerate(index.tasks):
        g = frames[task]
        matrix, codes, notes = score_matrix(g)
        s = scored[t]
        assert list(s.matrix.columns) == list(matrix.columns)
        assert list(s.matrix.index) == list(matrix.index)
        assert s.matrix.to_numpy().tobytes() == matrix.to_numpy().tobytes()  # to the bit
        assert (s.clusters is None) == (codes is None)
        if codes is not None:
            assert s.clusters.tolist() == codes.tolist()
        assert s.notes == notes
        assert s.suite == first_value(g, "suite")
        expected = facts(g)
        assert set(s.facts) == set(expected)
        for cand, f in expected.items():
            got = s.facts[cand]
            assert {k: got[k] for k in ("candidate", "model", "config")} == \
                {k: f[k] for k in ("candidate", "model", "config")}
            assert same_float(got["cost_per_call"], f["cost_per_call"])
            assert same_float(got["eval_cost"], f["eval_cost"])


def test_the_decisions_are_those_of_the_frame_path():
    df = table(3, epochs=2)
    criteria = {t: Criteria(reference="b10", max_drop=0.1, min_score=0.3) for t in df["task"].unique()}
    fast = select(df, criteria, {t: 1000 for t in criteria})
    from harness.select import decide_task

    slow = [decide_task(g, task, criteria[task], 1000) for task, g in df.groupby("task", sort=False)]
    assert repr(fast) == repr(slow)


def test_epochs_in_two_clusters_are_refused_as_per_sample_refuses_them():
    df = pd.DataFrame({"task": "t", "candidate": ["a", "a", "b", "b"], "sample_id": ["s1", "s1", "s1", "s1"],
                       "epoch": [1, 2, 1, 2], "cluster": ["x", "y", "x", "x"], "score": [1.0, 0.0, 1.0, 1.0],
                       "cost_usd": 0.1})
    df = results.validate(df.assign(cluster="x"), "test").assign(cluster=["x", "y", "x", "x"])
    with pytest.raises(InputError, match="different clusters"):
        select(df, {"t": Criteria(reference="a")})


@pytest.mark.parametrize("values", [[], ["b", "a", None, "b", "c", None], [None, None]])
def test_key_codes_are_pandas_factorize(values):
    from harness.results import key_codes

    # two chunks, as a Parquet file's column often has
    col = pd.concat([pd.Series(values, dtype="str"), pd.Series(["a", None, "z"], dtype="str")], ignore_index=True)
    for s in (col, col.astype(object)):
        codes, uniques = key_codes(s)
        expected_codes, expected = pd.factorize(s)
        assert codes.tolist() == expected_codes.tolist()
        assert uniques.equals(expected)
