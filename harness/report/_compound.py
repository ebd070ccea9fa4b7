"""The view model of a task's compound candidates (cascades, routers): what each route buys, and how sure it is.

Everything comes from the decision the report recomputed: select's compound verdicts carry their
evaluation (`Verdict.compound`, one point per threshold tried). The comparison is with the best
single route, the one the task would take without compound candidates (the cheapest passing single
candidate, or the reference), on the very samples the compound was judged on: for a router that is
the share it did not learn on, so a single candidate's score over all samples would not compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .. import select
from ..compound import AgreeCheck, CascadeSpec, ConfidenceCheck, ParsesCheck, RegexCheck, RouterSpec


@dataclass
class PointRow:
    """One threshold tried, on the compound's test samples."""

    threshold: float | None  # None: nothing to tune
    shares: list[tuple[str, float]]  # (step, share of requests it answered)
    cost_per_call: float
    score: float
    difference: float | None  # mean paired difference against the reference
    p_value: float  # this threshold's own test (fixed-sequence testing compares it with the level)
    safe: bool  # fixed-sequence testing rejected its null: shown not worse at the candidate's level
    chosen: bool
    outcome: str  # what fixed-sequence testing made of it, in words


@dataclass
class CompoundView:
    candidate: str
    kind: str  # cascade | router
    how: str  # how a request is routed, in words
    status: str
    reason: str
    chosen: bool  # the task's route
    points: list[PointRow]
    shown: int  # the point the verdict stands on: the chosen one, else the most conservative
    safe: int  # how many thresholds fixed-sequence testing rejected (a prefix of `points`)
    test_samples: int
    train_samples: int  # a router's: the samples it learned on and is never judged on
    score: float
    score_low: float
    score_high: float
    diff: float | None
    diff_low: float | None
    diff_high: float | None
    diff_confidence: float | None
    p_adjusted: float | None
    reference: str | None
    reference_score: float | None  # on the same samples
    reference_cost: float | None
    baseline: str | None  # the best single route
    baseline_why: str
    baseline_score: float | None  # on the same samples
    baseline_cost: float | None
    traffic: float | None
    min_score: float | None
    max_drop: float | None

    @property
    def point(self) -> PointRow:
        return self.points[self.shown]

    @property
    def cost_per_call(self) -> float:
        return self.point.cost_per_call

    @property
    def tuned(self) -> bool:
        return len(self.points) > 1

    @property
    def has_chosen_point(self) -> bool:
        return any(p.chosen for p in self.points)

    @property
    def cost_change(self) -> float | None:
        """Relative cost per call against the best single route: −0.78 is 78% cheaper."""
        if self.baseline_cost is None or not _ok(self.cost_per_call) or not _ok(self.baseline_cost) \
                or self.baseline_cost <= 0:
            return None
        return self.cost_per_call / self.baseline_cost - 1

    @property
    def cost_words(self) -> str:
        """The cost per call against the best single route: "78% cheaper than big"."""
        change = self.cost_change
        if change is None or self.baseline is None:
            return ""
        if abs(change) < 0.005:
            return f"the same as {self.baseline}"
        return f"{abs(change):.0%} {'cheaper' if change < 0 else 'more'} than {self.baseline}"

    @property
    def sure_words(self) -> str:
        return {"pass": "shown safe", "fail": "proven worse", "inconclusive": "not shown"}.get(self.status, self.status)

    @property
    def score_change(self) -> float | None:
        return None if self.baseline_score is None else self.score - self.baseline_score

    @property
    def monthly(self) -> float | None:
        return self.cost_per_call * self.traffic if self.traffic is not None and _ok(self.cost_per_call) else None

    @property
    def baseline_monthly(self) -> float | None:
        if self.traffic is None or self.baseline_cost is None or not _ok(self.baseline_cost):
            return None
        return self.baseline_cost * self.traffic


def compound_views(d: select.TaskDecision, matrix: pd.DataFrame) -> list[CompoundView]:
    """One view per compound verdict of `d`; `matrix` holds per-sample scores (sample_id x candidate)."""
    baseline = best_single(d)
    return [_view(v, d, baseline, matrix) for v in d.verdicts if v.compound is not None]


def best_single(d: select.TaskDecision) -> select.Verdict | None:
    """What the task would route to without compound candidates: the cheapest passing single candidate,
    or the reference (ties: the higher score), as select chooses among all candidates."""
    ref = d.criteria.reference
    options = [v for v in d.verdicts if v.compound is None and (v.status == select.Status.PASS or v.candidate == ref)]
    return min(options, key=lambda v: (v.cost_per_call, -v.score.estimate)) if options else None


def _view(v: select.Verdict, d: select.TaskDecision, baseline: select.Verdict | None,
          matrix: pd.DataFrame) -> CompoundView:
    e: select.CompoundEval = v.compound
    steps = steps_of(e.spec)
    shown = e.chosen if e.chosen is not None else 0
    points = [PointRow(threshold=p.threshold, shares=list(zip(steps, p.shares)), cost_per_call=p.cost, score=p.score,
                       difference=p.difference, p_value=p.p_value, safe=i < e.rejected, chosen=i == e.chosen,
                       outcome=_outcome(i, e.rejected, i == e.chosen))
              for i, p in enumerate(e.points)]
    ref = d.criteria.reference
    ref_verdict = d.reference
    same = matrix.reindex(e.test_samples)
    diff = v.difference
    if baseline is None:
        why = "no single candidate passes and there is no reference"
    elif baseline.candidate == ref:
        why = "the reference: no cheaper single candidate passes"
    else:
        why = "the cheapest single candidate that passes"
    return CompoundView(
        candidate=v.candidate, kind=e.spec.kind, how=how_text(e.spec, e.train_samples), status=v.status,
        reason=v.reason, chosen=v.candidate == d.chosen, points=points, shown=shown, safe=e.rejected,
        test_samples=len(e.test_samples), train_samples=e.train_samples, score=v.score.estimate,
        score_low=v.score.low, score_high=v.score.high, diff=diff.estimate if diff else None,
        diff_low=diff.low if diff else None, diff_high=diff.high if diff else None,
        diff_confidence=diff.confidence if diff else None, p_adjusted=v.p_adjusted, reference=ref,
        reference_score=_mean(same, ref), reference_cost=ref_verdict.cost_per_call if ref_verdict else None,
        baseline=baseline.candidate if baseline else None, baseline_why=why,
        baseline_score=_mean(same, baseline.candidate) if baseline else None,
        baseline_cost=baseline.cost_per_call if baseline else None, traffic=d.traffic_per_month,
        min_score=d.criteria.min_score, max_drop=d.criteria.max_drop if ref is not None else None)


def _outcome(i: int, safe: int, chosen: bool) -> str:
    if i < safe:
        return "shown safe, chosen (the cheapest of them)" if chosen else "shown safe"
    # Fixed-sequence testing stops at its first non-rejection: later thresholds are never tested.
    return "not shown: testing stops here" if i == safe else "not tested (after the stop)"


def steps_of(spec: CascadeSpec | RouterSpec) -> list[str]:
    return list(spec.steps) if isinstance(spec, CascadeSpec) else [spec.cheap, spec.fallback]


def how_text(spec: CascadeSpec | RouterSpec, trained_on: int = 0) -> str:
    """How the compound routes a request, in one sentence."""
    if isinstance(spec, RouterSpec):
        return (f"a text classifier, learned on {trained_on} samples, sends a request to {spec.cheap} when its "
                f"predicted probability that {spec.cheap}'s answer is as good as {spec.fallback}'s reaches the "
                f"threshold; {spec.fallback} answers the rest")
    parts = [f"{step} answers when {_check_text(spec.check_of(s))}" for s, step in enumerate(spec.steps[:-1])]
    return "; else ".join(parts) + f"; {spec.steps[-1]} answers the rest"


def _check_text(check: ParsesCheck | RegexCheck | AgreeCheck | ConfidenceCheck) -> str:
    if isinstance(check, ParsesCheck):
        return "its answer has the shape the task's scorer expects"
    if isinstance(check, RegexCheck):
        return f"its answer matches {check.pattern!r}"
    if isinstance(check, AgreeCheck):
        return (f"its answer agrees with {check.with_}'s (that call is paid too)" if check.with_
                else "its two answers (epochs) agree")
    return "its answer's own probability reaches the threshold"


def config_text(v: select.Verdict) -> str:
    """The candidates table's configuration cell of a compound candidate: steps and the point shown."""
    e: select.CompoundEval = v.compound
    p = e.points[e.chosen if e.chosen is not None else 0]
    shares = ", ".join(f"{step} {share:.0%}" for step, share in zip(steps_of(e.spec), p.shares))
    at = f"; threshold {p.threshold:.3g}" if p.threshold is not None else ""
    return f"{' → '.join(steps_of(e.spec))}{at}; answered by {shares}"


def _mean(matrix: pd.DataFrame, cand: str | None) -> float | None:
    if cand is None or cand not in matrix.columns:
        return None
    col = matrix[cand].dropna()
    return float(col.mean()) if len(col) else None


def _ok(x: float | None) -> bool:
    return x is not None and math.isfinite(x)
