"""A compound candidate at a FIXED threshold, replayed on results: what its route would have answered.

The gate judges a compound route from a routing table on the task's samples: the threshold and the
router are the table's, nothing is tuned again. The walk through the steps and the costs are
select's own (`_compound.outcome`), so a route is gated by the same rules it was chosen by.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..compound import CascadeSpec, RouterSpec, TextRouter
from ..errors import InputError
from ._checks import ScorerInfo
from ._compound import CompoundEval, Point, _fixed_checks, _walk, check_problems, outcome, wide

_DEFAULTS = {"epoch": 1, "cluster": None, "input": "", "output": "", "target": ""}


def compound_rows(rows: pd.DataFrame, spec: CascadeSpec | RouterSpec, info: ScorerInfo, threshold: float | None,
                  router: TextRouter | None = None, label: str | None = None) -> pd.DataFrame:
    """One results row per sample the compound's candidates share: the answering step's score and output,
    and the cost of every call the policy makes. `rows` hold the candidates' results, their `candidate`
    column the ids the spec names."""
    g = rows.copy()
    for col, value in _DEFAULTS.items():
        if col not in g.columns:
            g[col] = value
    if "prod_cost_usd" not in g.columns:
        g["prod_cost_usd"] = g["cost_usd"] if "cost_usd" in g.columns else np.nan
    task = str(g["task"].iloc[0]) if "task" in g.columns and len(g) else "task"
    w = wide(g)
    problems = check_problems(spec, w, info, task)
    if problems:
        raise InputError(problems, title="cannot replay the compound route")
    e = CompoundEval(spec, [], list(map(str, w.score.index)), router=router, info=info)
    scores, costs = outcome(e, w, info, Point(threshold, (), 0.0, 0.0, None, 1.0))
    steps = spec.steps if isinstance(spec, CascadeSpec) else [spec.cheap, spec.fallback]
    if isinstance(spec, CascadeSpec):  # which step answered, for the outputs a failing sample shows
        taken, _, _ = _walk(spec, w, _fixed_checks(spec, w, info), threshold)
    else:
        assert router is not None, "a router route is replayed with its trained model"
        taken = np.where(np.array([router.probability(t) for t in w.text]) >= threshold, 0, 1)
    first = g.sort_values("epoch", kind="stable").drop_duplicates("sample_id").set_index("sample_id")
    ids = list(w.score.index)
    return pd.DataFrame({
        "task": task, "candidate": label or spec.label(), "model": f"compound/{spec.kind}", "config": "",
        "sample_id": ids, "epoch": 1, "score": scores.astype(float),
        "prod_cost_usd": np.asarray(costs, dtype=float), "cost_usd": np.asarray(costs, dtype=float),
        "cluster": first["cluster"].reindex(ids).to_numpy(),
        "input": w.text.to_numpy(), "output": [w.output[steps[t]].iloc[k] for k, t in enumerate(taken)],
        "target": first["target"].reindex(ids).fillna("").astype(str).to_numpy()})
