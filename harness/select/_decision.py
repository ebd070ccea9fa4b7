"""What a task's decision is made of: each candidate's verdict, the choice, and the words for both."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from .. import stats
from ..criteria import Criteria
from ._sequential import SequentialSummary, TrackState


class Status(StrEnum):
    """A candidate's verdict on a task."""

    PASS = "pass"  # every criterion shown at the task's family-wise error rate
    FAIL = "fail"  # the evidence excludes a threshold
    INCONCLUSIVE = "inconclusive"  # neither, yet: the verdict says how many samples would settle it
    REFERENCE = "reference"  # what runs today


@dataclass(frozen=True)
class Verdict:
    candidate: str
    model: str
    config: dict[str, Any]
    status: Status
    reason: str
    score: stats.Interval
    cost_per_call: float
    eval_cost: float
    difference: stats.Interval | None = None
    noninferiority: stats.OneSidedTest | None = None
    min_score: stats.OneSidedTest | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    samples_needed: int | None = None
    # sequential runs (harness run --sequential): how far the candidate went and why it stopped
    samples: int | None = None
    decided_round: int | None = None
    decided_at: int | None = None  # samples seen at the deciding look
    stopped: TrackState | None = None
    compound: Any = None  # a compound candidate's evaluation (`_compound.CompoundEval`), None for the others


@dataclass
class TaskDecision:
    task: str
    suite: str | None
    criteria: Criteria  # as applied: `Criteria.as_decided()`
    verdicts: list[Verdict]
    chosen: str | None
    summary: str
    n: int
    traffic_per_month: float | None = None
    notes: list[str] = field(default_factory=list)
    sequential: SequentialSummary | None = None  # set when the results came in rounds

    def verdict(self, candidate: str) -> Verdict:
        return next(v for v in self.verdicts if v.candidate == candidate)

    @property
    def reference(self) -> Verdict | None:
        ref = self.criteria.reference
        return self.verdict(ref) if ref else None

    def monthly(self, candidate: str | None) -> float | None:
        if candidate is None or self.traffic_per_month is None:
            return None
        return self.verdict(candidate).cost_per_call * self.traffic_per_month


def facts(g: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per candidate, the Verdict fields that come straight from its rows: model, config, costs."""
    grouped = g.groupby("candidate")
    return facts_of(grouped["prod_cost_usd"].mean(), grouped["cost_usd"].sum(),
                    grouped[["model", "config"]].first())


def facts_of(costs: pd.Series, spend: pd.Series, meta: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """`facts` from its aggregates per candidate: mean production cost, summed eval cost, first model
    and config (select computes them for every task in one groupby, `_tasks`)."""
    out = {}
    for cand in meta.index:
        config = meta.loc[cand, "config"]
        out[cand] = {"candidate": cand, "model": str(meta.loc[cand, "model"] or cand),
                     "config": json.loads(config) if isinstance(config, str) and config else {},
                     "cost_per_call": float(costs.get(cand, math.nan)), "eval_cost": float(spend.get(cand, 0.0))}
    return out


def choose(verdicts: list[Verdict], ref: str | None, c: Criteria) -> tuple[str | None, str]:
    """Among the passing candidates and the reference, the cheapest per call (ties: the higher score)."""
    options = [v for v in verdicts if v.status == Status.PASS or (v.candidate == ref)]
    passing = [v for v in verdicts if v.status == Status.PASS]
    if not options:
        return None, "no candidate passes and no reference is set: the task falls back to the default route"
    best = min(options, key=lambda v: (v.cost_per_call, -v.score.estimate))
    if best.candidate == ref:
        why = "no cheaper candidate passes" if passing or len(verdicts) > 1 else "it is the only candidate"
        if best.status == Status.FAIL:
            why += f"; the reference itself is below min_score {c.min_score:g}"
        return ref, f"keep the reference {ref}: {why}"
    if ref is None:
        return best.candidate, f"{best.candidate} is the cheapest candidate that meets min_score"
    saving = 1 - best.cost_per_call / next(v for v in verdicts if v.candidate == ref).cost_per_call
    return best.candidate, f"switch to {best.candidate}: not worse than {ref}, {saving:.0%} cheaper per call"


def first_value(g: pd.DataFrame, col: str) -> str | None:
    value = g[col].iloc[0] if col in g.columns else None
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def settle_text(needed: int | None, now: int, spread_known: bool = True) -> str:
    """How many samples would settle a verdict that is not shown yet, in words."""
    if not spread_known:  # one sample (or one cluster) has no spread to plan with
        return f"{now} sample(s) cannot show how scores spread: score more samples, then this says how many"
    if needed is None:
        return "the estimate is on the wrong side of the threshold: more samples would not make it pass"
    return f"about {needed} samples in all would settle it (now {now})"
