"""Per-task decision: which candidates pass, which is cheapest, and why.

A candidate passes when every criterion the task sets is shown at the
task's family-wise error rate: its score's lower bound reaches `min_score`,
and its paired difference against the reference is above `-max_drop`.
Each candidate's tests are combined as an intersection-union test (its
p-value is the largest of its tests'), and Holm's procedure controls the
family of candidates of a task. Among the passing candidates and the
reference, the cheapest production cost per call wins.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import _select_sequential as seq
from . import stats
from ._select_sequential import SequentialSummary
from .errors import InputError, Problem

PASS, FAIL, INCONCLUSIVE, REFERENCE = "pass", "fail", "inconclusive", "reference"
DEFAULT_MAX_DROP = 0.05


@dataclass(frozen=True)
class Criteria:
    min_score: float | None = None
    max_drop: float | None = None
    alpha: float = 0.05
    reference: str | None = None

    @property
    def margin(self) -> float | None:
        """max_drop, defaulting to DEFAULT_MAX_DROP when there is a reference to compare with."""
        return self.max_drop if self.max_drop is not None else (DEFAULT_MAX_DROP if self.reference else None)


@dataclass(frozen=True)
class Verdict:
    candidate: str
    model: str
    config: dict[str, Any]
    status: str  # pass | fail | inconclusive | reference
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
    stopped: str | None = None  # passed | failed | futile | not needed | open


@dataclass
class TaskDecision:
    task: str
    suite: str | None
    criteria: Criteria
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


def select(df: pd.DataFrame, criteria: dict[str, Criteria], traffic: dict[str, float | None] | None = None,
           source: str = "results", skip_without_criteria: bool = False) -> list[TaskDecision]:
    """One decision per task of `df` (a validated results table); `criteria` maps task -> Criteria.

    `skip_without_criteria` leaves out tasks that set neither min_score nor a
    reference (what `harness run` wants: it still reports their scores)
    instead of refusing them (what `harness select` does).
    """
    traffic = traffic or {}
    if skip_without_criteria:
        keep = [t for t, c in criteria.items() if c.min_score is not None or c.reference is not None]
        df = df[df["task"].isin(keep)]
    problems = _check_criteria(df, criteria, source)
    if problems:
        raise InputError(problems, title="cannot select")
    return [decide_task(g, task, criteria[task], traffic.get(task)) for task, g in df.groupby("task", sort=False)]


def _check_criteria(df: pd.DataFrame, criteria: dict[str, Criteria], source: str) -> list[Problem]:
    problems = []
    for task, g in df.groupby("task", sort=False):
        c = criteria.get(task)
        if c is None or (c.min_score is None and c.reference is None):
            problems.append(Problem(source, f"task {task!r} has no criteria", field="criteria",
                                    hint="set min_score, or a reference (with max_drop), in the suite or with "
                                         "--min-score / --reference"))
        elif c.reference is not None and c.reference not in (names := set(g["candidate"].unique())):
            problems.append(Problem(source, f"reference {c.reference!r} is not a candidate of task {task!r}",
                                    field="reference", hint=f"use one of: {', '.join(sorted(names))}"))
    return problems


def _score_matrix(g: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray | None, list[str]]:
    """Per-sample scores (epochs averaged), one column per candidate, restricted to shared samples."""
    per = g.groupby(["candidate", "sample_id"], sort=False)["score"].mean().unstack("candidate")
    notes = []
    complete = per.dropna()
    if len(complete) < len(per):
        short = [c for c in per.columns if per[c].isna().any()]
        notes.append(f"unpaired samples: {', '.join(short)} lack some samples; compared on the "
                     f"{len(complete)} of {len(per)} samples every candidate has")
    clusters = g.groupby("sample_id")["cluster"].first().reindex(complete.index)
    # Integer codes once per task: the tests re-derive cluster membership per call,
    # and sorting strings 600 times dominated select's run time.
    codes = pd.factorize(clusters)[0] if clusters.notna().all() else None
    return complete, codes, notes


def decide_task(g: pd.DataFrame, task: str, c: Criteria, traffic: float | None) -> TaskDecision:
    if seq.is_sequential(g):
        return _decide_sequential(g, task, c, traffic)
    matrix, clusters, notes = _score_matrix(g)
    if matrix.empty:
        raise InputError([Problem("results", f"task {task!r}: no sample is shared by all candidates",
                                  hint="every candidate must be scored on the same samples")], title="cannot select")
    ref = c.reference
    margin = c.margin
    facts = _facts(g)
    tested: dict[str, tuple[stats.OneSidedTest | None, stats.OneSidedTest | None]] = {}
    for cand in matrix.columns:
        a = matrix[cand].to_numpy()
        ms = stats.min_score_test(a, c.min_score, clusters, c.alpha) if c.min_score is not None else None
        ni = (stats.noninferiority_test(a, matrix[ref].to_numpy(), margin, clusters, c.alpha)
              if ref and cand != ref else None)
        tested[cand] = (ms, ni)
    family = [k for k, (ms, ni) in tested.items() if ms or ni]
    raw = {k: max(t.pvalue for t in tested[k] if t) for k in family}
    adjusted = dict(zip(family, stats.holm([raw[k] for k in family]))) if family else {}
    verdicts = []
    for cand in matrix.columns:
        a = matrix[cand].to_numpy()
        ms, ni = tested[cand]
        diff = stats.paired_difference(a, matrix[ref].to_numpy(), clusters, 1 - 2 * c.alpha) if ref and cand != ref else None
        # "fail" needs the evidence to exclude the threshold: the (1 - alpha) one-sided upper bound.
        upper = stats.mean_interval(a, clusters, 1 - 2 * c.alpha).high if ms is not None else None
        status, reason, needed = _verdict(cand, ref, ms, ni, diff, upper, adjusted.get(cand), c, margin, len(family))
        verdicts.append(Verdict(
            **facts[cand], status=status, reason=reason, score=stats.mean_interval(a, clusters, 0.95), difference=diff,
            noninferiority=ni, min_score=ms, p_value=raw.get(cand), p_adjusted=adjusted.get(cand),
            samples_needed=needed))
    chosen, summary = _choose(verdicts, ref, c)
    return TaskDecision(task=task, suite=_first(g, "suite"), criteria=Criteria(c.min_score, margin, c.alpha, ref),
                        verdicts=verdicts, chosen=chosen, summary=summary, n=len(matrix),
                        traffic_per_month=traffic, notes=notes)


def _facts(g: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per candidate, the Verdict fields that come straight from its rows: model, config, costs."""
    costs = g.groupby("candidate")["prod_cost_usd"].mean()
    spend = g.groupby("candidate")["cost_usd"].sum()
    meta = g.groupby("candidate")[["model", "config"]].first()
    facts = {}
    for cand in meta.index:
        config = meta.loc[cand, "config"]
        facts[cand] = {"candidate": cand, "model": str(meta.loc[cand, "model"] or cand),
                       "config": json.loads(config) if isinstance(config, str) and config else {},
                       "cost_per_call": float(costs.get(cand, math.nan)), "eval_cost": float(spend.get(cand, 0.0))}
    return facts


def _decide_sequential(g: pd.DataFrame, task: str, c: Criteria, traffic: float | None) -> TaskDecision:
    """Verdicts of a run in rounds: anytime-valid tests at each round's end (harness/_select_sequential.py)."""
    ref = c.reference
    margin = c.margin
    found, summary = seq.tracks(g, c.min_score, margin, c.alpha, ref)
    facts = _facts(g)
    per = g.groupby(["candidate", "sample_id"], sort=False)["score"].mean()
    verdicts = []
    for cand, t in found.items():
        status, reason = _sequential_verdict(t, cand == ref, ref, c, margin)
        verdicts.append(Verdict(
            **facts[cand], status=status, reason=reason, score=stats.mean_interval(per.loc[cand].to_numpy(), None, 0.95),
            difference=t.difference, noninferiority=t.noninferiority, min_score=t.min_score, p_value=t.p_value,
            p_adjusted=t.p_adjusted, samples=t.samples, decided_round=t.decided_round, decided_at=t.decided_at,
            stopped=t.state))
    chosen, text = _choose(verdicts, ref, c)
    notes = []
    clusters = g["cluster"].dropna().nunique() if "cluster" in g.columns else 0
    if clusters:
        notes.append(f"the anytime-valid tests treat samples as independent: this task's {clusters} clusters are "
                     "not modelled (a fixed-size run's tests account for them)")
    return TaskDecision(task=task, suite=_first(g, "suite"), criteria=Criteria(c.min_score, margin, c.alpha, ref),
                        verdicts=verdicts, chosen=chosen, summary=text, n=max(t.samples for t in found.values()),
                        traffic_per_month=traffic, notes=notes, sequential=summary)


def _sequential_verdict(t: seq.Track, is_ref: bool, ref: str | None, c: Criteria,
                        margin: float | None) -> tuple[str, str]:
    when = f"at round {t.decided_round} ({t.decided_at} samples; anytime-valid, adjusted p = {t.p_adjusted:.3g})" \
        if t.decided else ""
    if t.decided == "pass":
        parts = []
        if t.noninferiority is not None:
            parts.append(f"not worse than {ref} by more than {margin:.3f} (difference "
                         f"{t.noninferiority.estimate:+.3f}, lower bound {t.noninferiority.lower_bound:+.3f})")
        if t.min_score is not None:
            parts.append(f"score lower bound {t.min_score.lower_bound:.3f} ≥ {c.min_score:.3f}")
        return (REFERENCE if is_ref else PASS), "; ".join(parts) + f" {when}"
    if is_ref and t.min_score is None:
        return REFERENCE, "the reference: what runs today"
    if t.decided == "fail":
        if t.noninferiority is not None and t.difference is not None and t.difference.high < -margin:
            return FAIL, (f"proven worse than {ref}: difference {t.difference.estimate:+.3f}, upper bound "
                          f"{t.difference.high:+.3f} below -{margin:.3f} {when}")
        score = t.min_score.estimate if t.min_score is not None else math.nan
        return FAIL, f"score {score:.3f} is below min_score {c.min_score:.3f} {when}"
    if is_ref:
        return REFERENCE, f"the reference; its own min_score is not shown ({t.why})"
    return INCONCLUSIVE, f"not shown: {t.why}"


def _verdict(cand: str, ref: str | None, ms: stats.OneSidedTest | None, ni: stats.OneSidedTest | None,
             diff: stats.Interval | None, upper_score: float | None, p_adj: float | None, c: Criteria, margin: float | None,
             family: int) -> tuple[str, str, int | None]:
    if cand == ref and ms is None:
        return REFERENCE, "the reference: what runs today", None
    if p_adj is not None and p_adj <= c.alpha:
        parts = []
        if ni is not None:
            parts.append(f"not worse than {ref} by more than {margin:.3f} (difference {ni.estimate:+.3f}, "
                         f"lower bound {ni.lower_bound:+.3f})")
        if ms is not None:
            parts.append(f"score lower bound {ms.lower_bound:.3f} ≥ {c.min_score:.3f}")
        status = REFERENCE if cand == ref else PASS
        return status, "; ".join(parts) + f"; adjusted p = {p_adj:.3g}", None
    if ni is not None and diff is not None and diff.high < -margin:
        return FAIL, (f"proven worse than {ref}: difference {diff.estimate:+.3f}, upper bound {diff.high:+.3f} "
                      f"below -{margin:.3f}"), None
    if ms is not None and upper_score is not None and upper_score < c.min_score:
        return FAIL, f"score {ms.estimate:.3f} is below min_score {c.min_score:.3f} (upper bound {upper_score:.3f})", None
    blocking = [t for t in (ni, ms) if t is not None and not t.rejected] or [t for t in (ni, ms) if t is not None]
    worst = min(blocking, key=lambda t: t.distance)
    what = "non-inferiority" if worst is ni else "min_score"
    effective_alpha = c.alpha / max(family, 1)  # Holm's first step: conservative for planning
    needed = stats.samples_needed(worst.se * math.sqrt(worst.n), worst.distance, effective_alpha) if worst.se > 0 else None
    if needed is None:
        more = "the estimate is on the wrong side of the threshold: more samples would not make it pass"
    else:
        more = f"about {needed} samples in all would settle it (now {worst.n})"
    if cand == ref:
        return REFERENCE, f"the reference; its own min_score is not shown ({more})", needed
    return INCONCLUSIVE, f"{what} not shown at alpha {c.alpha:g} (adjusted p = {p_adj:.3g}); {more}", needed


def _choose(verdicts: list[Verdict], ref: str | None, c: Criteria) -> tuple[str | None, str]:
    options = [v for v in verdicts if v.status == PASS or (v.candidate == ref)]
    passing = [v for v in verdicts if v.status == PASS]
    if not options:
        return None, "no candidate passes and no reference is set: the task falls back to the default route"
    best = min(options, key=lambda v: (v.cost_per_call, -v.score.estimate))
    if best.candidate == ref:
        why = "no cheaper candidate passes" if passing or len(verdicts) > 1 else "it is the only candidate"
        if best.status == FAIL:
            why += f"; the reference itself is below min_score {c.min_score:g}"
        return ref, f"keep the reference {ref}: {why}"
    if ref is None:
        return best.candidate, f"{best.candidate} is the cheapest candidate that meets min_score"
    saving = 1 - best.cost_per_call / next(v for v in verdicts if v.candidate == ref).cost_per_call
    return best.candidate, f"switch to {best.candidate}: not worse than {ref}, {saving:.0%} cheaper per call"


def _first(g: pd.DataFrame, col: str) -> str | None:
    value = g[col].iloc[0] if col in g.columns else None
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def criteria_from_suites(suites: list[Any]) -> tuple[dict[str, Criteria], dict[str, float | None]]:
    crit, traffic = {}, {}
    for s in suites:
        for t in s.tasks:
            k = t.criteria
            crit[t.name] = Criteria(k.min_score, k.max_drop, k.alpha, k.reference)
            traffic[t.name] = t.traffic_per_month
    return crit, traffic
