"""Verdicts of a fixed-size run: every candidate scored on the same samples, tested once.

A candidate passes when every criterion the task sets is shown at the task's family-wise
error rate: its score's lower bound reaches `min_score`, and its paired difference against
the reference is above `-max_drop`. Each candidate's tests are combined as an
intersection-union test (its p-value is the largest of its tests'), and Holm's procedure
controls the family of candidates of a task.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import stats
from ..criteria import Criteria
from ..errors import InputError, Problem
from ..results import per_sample
from ._compound import CompoundEval, TaskCompounds, evaluate, wide
from ._compound_verdict import compound_verdict
from ._decision import Status, TaskDecision, Verdict, choose, facts, first_value, settle_text


def score_matrix(g: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray | None, list[str]]:
    """Per-sample scores (epochs averaged), one column per candidate, restricted to shared samples."""
    per = per_sample(g)
    matrix = per["score"].unstack("candidate")
    notes = []
    complete = matrix.dropna()
    if len(complete) < len(matrix):
        short = [c for c in matrix.columns if matrix[c].isna().any()]
        notes.append(f"unpaired samples: {', '.join(short)} lack some samples; compared on the "
                     f"{len(complete)} of {len(matrix)} samples every candidate has")
    clusters = per["cluster"].groupby(level="sample_id", sort=False).first().reindex(complete.index)
    # Integer codes once per task: the tests re-derive cluster membership per call,
    # and sorting strings 600 times dominated select's run time.
    codes = pd.factorize(clusters)[0] if clusters.notna().all() else None
    return complete, codes, notes


def decide_fixed(g: pd.DataFrame, task: str, c: Criteria, traffic: float | None,
                 compounds: TaskCompounds | None = None) -> TaskDecision:
    """The decision on one task's rows."""
    matrix, clusters, notes = score_matrix(g)
    _check_shared(matrix, task)
    return decide_scored(matrix, clusters, notes, facts(g), first_value(g, "suite"), task, c, traffic,
                         _compound_evals(g, task, c, compounds))


def decide_scored(matrix: pd.DataFrame, clusters: np.ndarray | None, notes: list[str], found: dict[str, dict],
                  suite: str | None, task: str, c: Criteria, traffic: float | None,
                  evals: list[CompoundEval] | None = None) -> TaskDecision:
    """The decision from what it reads of a task's rows: `score_matrix`'s matrix, cluster codes and
    notes, `facts`, the suite's name, and the compound candidates' evaluations.

    `select` computes these for every task in one pass over the table (`_tasks`)."""
    _check_shared(matrix, task)
    evals = evals or []
    ref = c.reference
    margin = c.margin
    scores = {cand: matrix[cand].to_numpy() for cand in matrix.columns}  # each column read once, not four times
    tested: dict[str, tuple[stats.OneSidedTest | None, stats.OneSidedTest | None]] = {}
    for cand in matrix.columns:
        a = scores[cand]
        ms = stats.min_score_test(a, c.min_score, clusters, c.alpha) if c.min_score is not None else None
        ni = (stats.noninferiority_test(a, scores[ref], margin, clusters, c.alpha)
              if ref and cand != ref else None)
        tested[cand] = (ms, ni)
    family = [k for k, (ms, ni) in tested.items() if ms or ni]
    raw = {k: max(t.pvalue for t in tested[k] if t) for k in family}
    raw.update({e.label: e.p_value for e in evals})
    family += [e.label for e in evals]
    adjusted = dict(zip(family, stats.holm([raw[k] for k in family]))) if family else {}
    levels = holm_levels([raw[k] for k in family], c.alpha)
    verdicts = []
    for cand in matrix.columns:
        a = scores[cand]
        ms, ni = tested[cand]
        diff = (stats.paired_difference(a, scores[ref], clusters, 1 - 2 * c.alpha)
                if ref and cand != ref else None)
        # "fail" needs the evidence to exclude the threshold: the (1 - alpha) one-sided upper bound.
        upper = stats.mean_interval(a, clusters, 1 - 2 * c.alpha).high if ms is not None else None
        status, reason, needed = _verdict(cand, ms, ni, diff, upper, adjusted.get(cand), c, len(family))
        verdicts.append(Verdict(
            **found[cand], status=status, reason=reason, score=stats.mean_interval(a, clusters, 0.95),
            difference=diff, noninferiority=ni, min_score=ms, p_value=raw.get(cand), p_adjusted=adjusted.get(cand),
            samples_needed=needed))
    for e in evals:
        i = family.index(e.label)
        verdicts.append(compound_verdict(e, levels[i], adjusted[e.label], c, len(family)))
    chosen, summary = choose(verdicts, ref, c)
    return TaskDecision(task=task, suite=suite, criteria=c.as_decided(), verdicts=verdicts,
                        chosen=chosen, summary=summary, n=len(matrix), traffic_per_month=traffic, notes=notes)


def _check_shared(matrix: pd.DataFrame, task: str) -> None:
    if matrix.empty:
        raise InputError([Problem("results", f"task {task!r}: no sample is shared by all candidates",
                                  hint="every candidate must be scored on the same samples")], title="cannot select")


def holm_levels(pvalues: list[float], alpha: float) -> list[float]:
    """The level Holm's step-down tests each hypothesis at (alpha / (m - rank)), in the order given."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    levels = [0.0] * len(pvalues)
    for rank, i in enumerate(order):
        levels[i] = alpha / (len(pvalues) - rank)
    return levels


def _compound_evals(g: pd.DataFrame, task: str, c: Criteria, compounds: TaskCompounds | None) -> list[CompoundEval]:
    if compounds is None or not compounds.specs:
        return []
    labels = [spec.label() for spec in compounds.specs]
    taken = [x for x in dict.fromkeys(labels) if labels.count(x) > 1 or x in set(g["candidate"].unique())]
    if taken:
        raise InputError([Problem(task, f"compound candidate name {x!r} is used twice, or by a candidate",
                                  field="compound", hint="give each compound candidate its own `id:`") for x in taken],
                         title="cannot build compound candidates")
    w = wide(g)
    return [evaluate(spec, w, compounds.info, c, compounds.seed, task) for spec in compounds.specs]


def _verdict(cand: str, ms: stats.OneSidedTest | None, ni: stats.OneSidedTest | None, diff: stats.Interval | None,
             upper_score: float | None, p_adj: float | None, c: Criteria,
             family: int) -> tuple[Status, str, int | None]:
    ref, margin = c.reference, c.margin
    if cand == ref and ms is None:
        return Status.REFERENCE, "the reference: what runs today", None
    if p_adj is not None and p_adj <= c.alpha:
        parts = []
        if ni is not None:
            parts.append(f"not worse than {ref} by more than {margin:.3f} (difference {ni.estimate:+.3f}, "
                         f"lower bound {ni.lower_bound:+.3f})")
        if ms is not None:
            parts.append(f"score lower bound {ms.lower_bound:.3f} ≥ {c.min_score:.3f}")
        status = Status.REFERENCE if cand == ref else Status.PASS
        return status, "; ".join(parts) + f"; adjusted p = {p_adj:.3g}", None
    if ni is not None and diff is not None and diff.high < -margin:
        return Status.FAIL, (f"proven worse than {ref}: difference {diff.estimate:+.3f}, upper bound "
                             f"{diff.high:+.3f} below -{margin:.3f}"), None
    if ms is not None and upper_score is not None and upper_score < c.min_score:
        return Status.FAIL, (f"score {ms.estimate:.3f} is below min_score {c.min_score:.3f} (upper bound "
                             f"{upper_score:.3f})"), None
    blocking = [t for t in (ni, ms) if t is not None and not t.rejected] or [t for t in (ni, ms) if t is not None]
    worst = min(blocking, key=lambda t: t.distance)
    what = "non-inferiority" if worst is ni else "min_score"
    effective_alpha = c.alpha / max(family, 1)  # Holm's first step: conservative for planning
    spread_known = math.isfinite(worst.se)
    needed = (stats.samples_needed(worst.se * math.sqrt(worst.n), worst.distance, effective_alpha)
              if spread_known and worst.se > 0 else None)
    more = settle_text(needed, worst.n, spread_known)
    if cand == ref:
        return Status.REFERENCE, f"the reference; its own min_score is not shown ({more})", needed
    return Status.INCONCLUSIVE, f"{what} not shown at alpha {c.alpha:g} (adjusted p = {p_adj:.3g}); {more}", needed
