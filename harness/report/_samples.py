"""The samples a reviewer should read: where the chosen route lost against the reference.

Without a reference, where it scored below 1. For a compound route the answer shown is the one
the route gave (the step that answered the sample), and a router is read only on the samples it
was judged on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import select
from ._compound import steps_of

MAX_TEXT = 1500  # characters of one input/output/target shown before it is cut


@dataclass
class SampleRow:
    sample_id: str
    input: str
    target: str
    chosen_output: str
    chosen_score: float
    reference_output: str | None  # None when there is no reference to compare with
    reference_score: float | None
    reference_input: str | None = None  # only when the reference saw a different prompt
    answered_by: str | None = None  # a compound route: the step whose answer it gave
    judge_verdict: str = ""  # a judged task: the judge's verdicts on the chosen answer, and its text
    judge_reason: str = ""


@dataclass
class Regressions:
    samples: list[SampleRow] = field(default_factory=list)  # at most `limit`, largest drop first
    total: int = 0
    what: str = ""  # what the listed samples are, in words
    note: str = ""  # why none are listed, when none are


def regressions(g: pd.DataFrame, per: pd.DataFrame, d: select.TaskDecision, limit: int) -> Regressions:
    """`per`: per-sample scores, sample_id x candidate (epochs averaged)."""
    chosen, ref = d.chosen, d.criteria.reference
    if chosen is None:
        return Regressions(note="no candidate was chosen, so there is no route to review")
    if chosen == ref:
        return Regressions(note=f"the reference {ref} is kept, so nothing changes for any sample")
    out = Regressions()
    scores, by = _chosen_scores(d, per)
    mine = scores.dropna()
    if ref is None:
        lost = mine[mine < 1].sort_values()
        out.what = f"samples where {chosen} scored below 1"
        order = lost.index
    else:
        both = pd.DataFrame({"mine": scores, "ref": per[ref]}).dropna()
        drop = both["ref"] - both["mine"]
        # For 0/1 scores this is exactly "the chosen one failed and the reference passed".
        lost = drop[drop > 0].sort_values(ascending=False, kind="stable")
        out.what = f"samples where {chosen} scored below the reference {ref}"
        order = lost.index
    if by is not None and len(mine) < len(per):  # a router: it is judged only where it did not learn
        out.what += f" (of the {len(mine)} samples it did not learn on)"
    out.total = len(order)
    if not all(col in g.columns and g[col].notna().any() for col in ("input", "output")):
        out.note = "the results carry no input/output texts, so the samples cannot be shown"
        return out
    first = g.sort_values("epoch", kind="stable").drop_duplicates(["candidate", "sample_id"]).set_index(
        ["candidate", "sample_id"])
    for sid in list(order)[:limit]:
        mine_row = first.loc[(by[sid] if by is not None else chosen, sid)]
        ref_row = first.loc[(ref, sid)] if ref is not None else None
        ref_input = _cut(ref_row.get("input")) if ref_row is not None else None
        out.samples.append(SampleRow(
            sample_id=str(sid), input=_cut(mine_row.get("input")), target=_cut(mine_row.get("target")),
            chosen_output=_cut(mine_row.get("output")), chosen_score=float(scores[sid]),
            reference_output=_cut(ref_row.get("output")) if ref_row is not None else None,
            reference_score=float(per.loc[sid, ref]) if ref is not None else None,
            reference_input=ref_input if ref_input is not None and ref_input != _cut(mine_row.get("input")) else None,
            answered_by=by[sid] if by is not None else None,
            judge_verdict=_cut(mine_row.get("judge_verdict")), judge_reason=_cut(mine_row.get("judge_reason"))))
    return out


def _chosen_scores(d: select.TaskDecision, per: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
    """The chosen route's per-sample scores (aligned with `per`), and for a compound the step that answered."""
    assert d.chosen is not None
    e = d.verdict(d.chosen).compound
    if e is None:
        return per[d.chosen], None
    i = e.chosen if e.chosen is not None else 0
    steps = steps_of(e.spec)
    index = pd.Index(e.test_samples)
    by = pd.Series([steps[k] for k in e.answered[i]], index=index)
    return pd.Series(e.scores[i], index=index).reindex(per.index), by


def _cut(value: Any) -> str:
    # Model text is shown as it is: an output "None" or "nan" is an answer, not a missing value.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}… ({len(text) - MAX_TEXT} more characters)"
