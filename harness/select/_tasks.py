"""Every task's inputs to a fixed-size decision, from one pass over the whole results table.

`decide_fixed` on one task's rows groups them by text keys (candidate, sample_id) and pivots the
per-sample means into a candidate × sample matrix; done task by task, on a copy of each task's rows,
that was most of `harness select`'s time on 10 million rows. Here the keys are factorised once into
integer codes, rows are ordered by task once (positions, not a copy of the frame), each task's
matrix is filled with numpy, and text columns are read in one take for all tasks. The result is the
same, value for value and in the same order, as `score_matrix`, `facts` and `first_value` on the
task's rows (tests/test_select_tasks.py compares them):

- candidates (columns) and samples (rows) in order of first appearance in the task's rows, as pandas
  lays out `per_sample(g)["score"].unstack("candidate")`;
- per-sample means by pandas' group mean on keys that take its path (see `_task_part`) when a sample
  has several rows (epochs), the score itself otherwise;
- a sample's cluster is `per_sample`'s: the first non-missing one of each (candidate, sample), then
  the first of those in order of the pairs' first appearance;
- costs by pandas' group mean and sum on keys that take `facts`' path, model and config by its `first`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..results import key_codes, per_sample
from ._decision import facts_of

META = ("model", "config")  # the text columns `facts` reads


@dataclass(frozen=True)
class Scored:
    """What a fixed-size decision reads from a task's rows (see `_fixed.decide_scored`)."""

    matrix: pd.DataFrame  # per-sample scores (epochs averaged), shared samples only, one column per candidate
    clusters: np.ndarray | None  # integer cluster codes of the matrix's rows; None when a sample has none
    notes: list[str]
    facts: dict[str, dict]  # per candidate: model, config, cost per call, eval spend (`facts`)
    suite: str | None


@dataclass(frozen=True)
class TableIndex:
    """The table's keys as integer codes, and each task's row positions in table order."""

    df: pd.DataFrame
    tasks: list[str]  # in order of first appearance, as groupby("task", sort=False) yields them
    rows: list[np.ndarray]  # per task: positions of its rows, ascending
    candidates: list[list[str]]  # per task: its candidates, in order of first appearance
    cand_codes: np.ndarray  # per row: candidate code (-1: missing)
    cand_names: np.ndarray  # per candidate code: its name
    sample_codes: np.ndarray  # per row: sample_id code (-1: missing)
    sample_names: pd.Index  # per sample code: its sample_id
    sequential: list[bool]  # per task: `is_sequential` of its rows

    @classmethod
    def of(cls, df: pd.DataFrame) -> TableIndex:
        task_codes, task_names = key_codes(df["task"])
        cand_codes, cand_names = key_codes(df["candidate"])
        sample_codes, sample_names = key_codes(df["sample_id"])
        # One stable sort by task: each task's rows are a slice of positions, still in table order.
        # Rows without a task (-1) sort first and belong to none, as groupby drops them.
        order = np.argsort(task_codes, kind="stable")
        ends = np.cumsum(np.bincount(task_codes + 1, minlength=len(task_names) + 1))
        rows = [order[ends[t]:ends[t + 1]] for t in range(len(task_names))]
        names = np.asarray(cand_names, dtype=object)
        candidates = [[names[c] for c in pd.unique(cand_codes[r]) if c >= 0] for r in rows]
        if "round" in df.columns:
            marked = df["round"].notna().to_numpy()
            sequential = [bool(marked[r].any()) for r in rows]
        else:
            sequential = [False] * len(rows)
        return cls(df, list(task_names), rows, candidates, cand_codes, names, sample_codes, sample_names,
                   sequential)

    def frame(self, t: int) -> pd.DataFrame:
        """Task `t`'s rows as groupby("task") gives them: for the decisions that need the frame."""
        return self.df.take(self.rows[t])


def scored_tasks(index: TableIndex, which: list[int]) -> dict[int, Scored | None]:
    """`Scored` for each task in `which` (None: none of its rows has a candidate and a sample_id)."""
    df = index.df
    cluster = df["cluster"] if "cluster" in df.columns else pd.Series(None, index=df.index, dtype=object)
    score, has_cluster = df["score"].to_numpy(), cluster.notna().to_numpy()
    given = {col: df[col].notna().to_numpy() for col in META}
    parts = {t: _task_part(index, t, score, has_cluster, given) for t in which}
    parts = {t: p for t, p in parts.items() if p is not None}
    # A take from a column of 10 million strings costs about as much for 10 rows as for 10,000:
    # each text column is read once, at the rows every task needs.
    suites = _taken(df["suite"], [p.first_row for p in parts.values()]) if "suite" in df.columns else None
    clusters = _taken(cluster, [p.cluster_rows for p in parts.values() if p.cluster_rows is not None])
    meta = {col: _taken(df[col], [p.meta_rows[col] for p in parts.values()]) for col in META}
    out: dict[int, Scored | None] = {t: None for t in which}
    for t, p in parts.items():
        codes = pd.factorize(next(clusters))[0] if p.cluster_rows is not None else None
        # groupby's `first` of each candidate's chosen row alone is its `first` of all its rows
        firsts = pd.DataFrame({col: next(meta[col]) for col in META}).groupby(np.arange(len(p.costs))).first()
        found = facts_of(p.costs, p.spend, firsts.set_axis(p.costs.index))
        out[t] = Scored(p.matrix, codes, p.notes, found, _text(next(suites).iloc[0]) if suites else None)
    return out


@dataclass(frozen=True)
class _Part:
    """One task's figures, and the rows of the text columns still to read."""

    matrix: pd.DataFrame
    notes: list[str]
    first_row: np.ndarray  # [the task's first row]: its suite
    cluster_rows: np.ndarray | None  # per matrix row, the row its cluster is read from; None: a sample has none
    costs: pd.Series  # mean production cost per candidate, indexed by name in `facts`' (sorted) order
    spend: pd.Series  # summed eval cost per candidate, the same index
    meta_rows: dict[str, np.ndarray]  # per text column of META, per candidate: the row its value is read from


def _task_part(index: TableIndex, t: int, score: np.ndarray, has_cluster: np.ndarray,
               given: dict[str, np.ndarray]) -> _Part | None:
    every = index.rows[t]
    keyed = (index.cand_codes[every] >= 0) & (index.sample_codes[every] >= 0)  # groupby drops the others
    r = every[keyed]
    if not len(r):
        return None
    c_local, c_uniq = pd.factorize(index.cand_codes[r])
    s_local, s_uniq = pd.factorize(index.sample_codes[r])
    k, m = len(c_uniq), len(s_uniq)
    pair = c_local.astype(np.int64) * m + s_local
    if np.bincount(pair, minlength=k * m).max() > 1:  # epochs (or repeats): averaged as per_sample does
        if has_cluster[r].any() and _clusters_split(index.df["cluster"].to_numpy()[r], pair):
            per_sample(index.frame(t))  # raises per_sample's own error, with its words
        # pandas sums a group one way when the keys run in row order (ufunc.reduceat) and another when
        # they do not (a compensated sum): keys numbered by first appearance, NaN where a key is
        # missing, are per_sample's own, so the same rows take the same path.
        ids, pairs = pd.factorize(pair)
        key = np.full(len(every), np.nan)
        key[keyed] = ids
        means = pd.Series(score[every]).groupby(key, sort=False).mean()
        values, at = means.to_numpy(), pairs[means.index.to_numpy().astype(np.int64)]
    else:  # one row per sample: its mean is its score
        values, at = score[r], pair
    grid = np.full(k * m, np.nan)
    grid[at] = values
    grid = grid.reshape(k, m).T  # samples × candidates
    complete = ~np.isnan(grid).any(axis=1)
    names = [index.cand_names[c] for c in c_uniq]
    notes = []
    if complete.sum() < m:
        short = [n for n, col in zip(names, grid.T) if np.isnan(col).any()]
        notes.append(f"unpaired samples: {', '.join(short)} lack some samples; compared on the "
                     f"{int(complete.sum())} of {m} samples every candidate has")
    matrix = pd.DataFrame(grid[complete], index=pd.Index(index.sample_names[s_uniq[complete]], name="sample_id"),
                          columns=pd.Index(names, name="candidate"))
    chosen = _sample_clusters(r, pair, s_local, m, has_cluster[r])[complete]
    costs, spend, meta_rows = _facts(index, every, given)
    return _Part(matrix, notes, every[:1], None if (chosen < 0).any() else chosen, costs, spend, meta_rows)


def _sample_clusters(r: np.ndarray, pair: np.ndarray, s_local: np.ndarray, m: int,
                     has: np.ndarray) -> np.ndarray:
    """Per sample, the table position of the cluster per_sample gives it (-1: none).

    per_sample takes each (candidate, sample)'s first non-missing cluster, then per sample the first
    of those in order of the pairs' first appearance."""
    out = np.full(m, -1, dtype=np.int64)
    if not has.any():
        return out
    pairs, first_row = np.unique(pair, return_index=True)  # every pair, and where it first appears
    named_pairs, named_row = np.unique(pair[has], return_index=True)
    named_row = np.flatnonzero(has)[named_row]  # the pair's first row with a cluster
    by_appearance = named_row[np.argsort(first_row[np.searchsorted(pairs, named_pairs)], kind="stable")]
    samples, first = np.unique(s_local[by_appearance], return_index=True)
    out[samples] = r[by_appearance[first]]
    return out


def _clusters_split(cluster: np.ndarray, pair: np.ndarray) -> bool:
    """Whether some (candidate, sample) has rows in two clusters (per_sample refuses that)."""
    return bool((pd.Series(cluster).groupby(pair).nunique() > 1).any())


def _facts(index: TableIndex, r: np.ndarray,
           given: dict[str, np.ndarray]) -> tuple[pd.Series, pd.Series, dict[str, np.ndarray]]:
    """`facts`' aggregates of one task's rows (positions `r`), grouped on integer keys, not names.

    As in `_task_part`, the keys are what `facts`' groupby makes of the names (each candidate's rank
    among the task's sorted names, NaN where it has none), so the sums take its path and give its
    figures to the last bit. Model and config are each candidate's first non-missing value: here the
    row to read it from (its first row when it has none)."""
    df, codes = index.df, index.cand_codes[r]
    present = pd.unique(codes[codes >= 0])
    rank = np.full(len(index.cand_names), np.nan)
    rank[present], by_rank = pd.factorize(pd.Series(index.cand_names[present], dtype=df["candidate"].dtype),
                                          sort=True)
    key = np.where(codes >= 0, rank[np.maximum(codes, 0)], np.nan)
    label = pd.Index(np.asarray(by_rank, dtype=object), name="candidate")

    def named(x: pd.Series) -> pd.Series:
        return x.set_axis(label[x.index.to_numpy().astype(np.int64)])

    # One grouping for every figure: the sums, and each candidate's first row and first row with a
    # model / config (a `first` of row positions, NaN where the column is missing).
    at = np.arange(len(r), dtype=float)
    grouped = pd.DataFrame({"cost": df["prod_cost_usd"].to_numpy()[r], "spend": df["cost_usd"].to_numpy()[r],
                            "row": at, **{col: np.where(given[col][r], at, np.nan) for col in META}}).groupby(key)
    costs, spend = named(grouped["cost"].mean()), named(grouped["spend"].sum())
    first = grouped[["row", *META]].first()
    meta_rows = {col: r[first[col].fillna(first["row"]).to_numpy().astype(np.int64)] for col in META}
    return costs, spend, meta_rows


def _taken(col: pd.Series, positions: list[np.ndarray]) -> Iterator[pd.Series]:
    """The values of `col` at each array of positions, in order, read in one take."""
    if not positions:
        return iter(())
    values = col.iloc[np.concatenate(positions)].reset_index(drop=True)
    bounds = np.cumsum([0, *map(len, positions)])
    return iter([values.iloc[a:b].reset_index(drop=True) for a, b in itertools.pairwise(bounds)])


def _text(value: object) -> str | None:
    """`first_value`'s reading of a cell: missing is None, anything else its text."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
