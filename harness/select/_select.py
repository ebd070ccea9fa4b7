"""Per-task decision: which candidates pass, which is cheapest, and why.

Results of a fixed-size run are tested once (`_fixed`); results collected in rounds carry a
`round` column and get the anytime-valid tests at each round's end (`_sequential`). Among the
passing candidates and the reference, the cheapest production cost per call wins.
"""

from __future__ import annotations

import math

import pandas as pd

from .. import stats
from ..criteria import Criteria
from ..errors import InputError, Problem
from ..results import per_sample
from ..suite import Suite
from ._decision import Status, TaskDecision, Verdict, choose, facts, first_value
from ..scorers import normalize
from ._checks import ScorerInfo
from ._compound import TaskCompounds
from ._fixed import decide_fixed, decide_scored
from ._sequential import Track, is_sequential, tracks
from ._tasks import TableIndex, scored_tasks


def select(df: pd.DataFrame, criteria: dict[str, Criteria], traffic: dict[str, float | None] | None = None,
           source: str = "results", skip_without_criteria: bool = False,
           compounds: dict[str, TaskCompounds] | None = None) -> list[TaskDecision]:
    """One decision per task of `df` (a validated results table); `criteria` maps task -> Criteria.

    `skip_without_criteria` leaves out tasks that set neither min_score nor a
    reference (what `harness run` wants: it still reports their scores)
    instead of refusing them (what `harness select` does). `compounds` adds cascades and routers to a
    task's candidates, built from the same results (`compounds_from_suites` reads them from suites).
    """
    traffic = traffic or {}
    if skip_without_criteria:
        df = df[df["task"].isin([t for t, c in criteria.items() if c.decides])]
    index = TableIndex.of(df)
    problems = _check_criteria(index, criteria, source)
    if problems:
        raise InputError(problems, title="cannot select")
    compounds = compounds or {}
    # Fixed-size tasks without compound candidates (the common case, and every task of a large table)
    # are scored for all tasks in one pass; the others get their rows as a frame, as before.
    framed = [t for t, task in enumerate(index.tasks) if index.sequential[t] or _has_specs(compounds.get(task))]
    scored = scored_tasks(index, [t for t in range(len(index.tasks)) if t not in set(framed)])
    decisions = []
    for t, task in enumerate(index.tasks):
        s = scored.get(t)
        if s is None:
            decisions.append(decide_task(index.frame(t), task, criteria[task], traffic.get(task), compounds.get(task)))
        else:
            decisions.append(decide_scored(s.matrix, s.clusters, s.notes, s.facts, s.suite, task, criteria[task],
                                           traffic.get(task)))
    return decisions


def _has_specs(compounds: TaskCompounds | None) -> bool:
    return compounds is not None and bool(compounds.specs)


def criteria_from_suites(suites: list[Suite]) -> tuple[dict[str, Criteria], dict[str, float | None]]:
    """Each task's criteria and traffic_per_month, as its suite states them."""
    return ({t.name: t.criteria for s in suites for t in s.tasks},
            {t.name: t.traffic_per_month for s in suites for t in s.tasks})


def _check_criteria(index: TableIndex, criteria: dict[str, Criteria], source: str) -> list[Problem]:
    problems = []
    for task, candidates in zip(index.tasks, index.candidates):
        c = criteria.get(task)
        if c is None or not c.decides:
            problems.append(Problem(source, f"task {task!r} has no criteria", field="criteria",
                                    hint="set min_score, or a reference (with max_drop), in the suite or with "
                                         "--min-score / --reference"))
        elif c.reference is not None and c.reference not in (names := set(candidates)):
            problems.append(Problem(source, f"reference {c.reference!r} is not a candidate of task {task!r}",
                                    field="reference", hint=f"use one of: {', '.join(sorted(names))}"))
    return problems


def decide_task(g: pd.DataFrame, task: str, c: Criteria, traffic: float | None,
                compounds: TaskCompounds | None = None) -> TaskDecision:
    """The decision on one task's rows: anytime-valid when they came in rounds, else fixed-size."""
    if is_sequential(g):
        if compounds is not None and compounds.specs:
            raise InputError([Problem(task, "compound candidates are built from a fixed-size run's results; these "
                                      "came in rounds", field="compound",
                                      hint="run the task without `sequential:`, or leave out its `compound:`")],
                             title="cannot select")
        return _decide_sequential(g, task, c, traffic)
    return decide_fixed(g, task, c, traffic, compounds)


def compounds_from_suites(suites: list[Suite]) -> dict[str, TaskCompounds]:
    """Each task's `compound:` candidates, with its scorer and labels (for `parses` checks) and its seed."""
    out = {}
    for s in suites:
        for t in s.tasks:
            if t.compound:
                labels = frozenset(normalize(str(r.get(t.target_field, ""))) for r in t.records)
                out[t.name] = TaskCompounds(list(t.compound), ScorerInfo(t.scorer, dict(t.scorer_options), labels),
                                            s.seed)
    return out


def _decide_sequential(g: pd.DataFrame, task: str, c: Criteria, traffic: float | None) -> TaskDecision:
    """Verdicts of a run in rounds: anytime-valid tests at each round's end (`_sequential.tracks`)."""
    ref = c.reference
    found, summary = tracks(g, c.min_score, c.reference_margin, c.alpha, ref)
    known = facts(g)
    per = per_sample(g)["score"]
    verdicts = []
    for cand, t in found.items():
        status, reason = _sequential_verdict(t, cand == ref, c)
        verdicts.append(Verdict(
            **known[cand], status=status, reason=reason,
            score=stats.mean_interval(per.loc[cand].to_numpy(), None, 0.95), difference=t.difference,
            noninferiority=t.noninferiority, min_score=t.min_score, p_value=t.p_value, p_adjusted=t.p_adjusted,
            samples=t.samples, decided_round=t.decided_round, decided_at=t.decided_at, stopped=t.state))
    chosen, text = choose(verdicts, ref, c)
    notes = []
    clusters = g["cluster"].dropna().nunique() if "cluster" in g.columns else 0
    if clusters:
        notes.append(f"the anytime-valid tests treat samples as independent: this task's {clusters} clusters are "
                     "not modelled (a fixed-size run's tests account for them)")
    return TaskDecision(task=task, suite=first_value(g, "suite"), criteria=c.as_decided(), verdicts=verdicts,
                        chosen=chosen, summary=text, n=max(t.samples for t in found.values()),
                        traffic_per_month=traffic, notes=notes, sequential=summary)


def _sequential_verdict(t: Track, is_ref: bool, c: Criteria) -> tuple[Status, str]:
    ref, margin = c.reference, c.margin
    when = (f"at round {t.decided_round} ({t.decided_at} samples; anytime-valid, adjusted p = {t.p_adjusted:.3g})"
            if t.decided else "")
    if t.decided == "pass":
        parts = []
        if t.noninferiority is not None:
            parts.append(f"not worse than {ref} by more than {margin:.3f} (difference "
                         f"{t.noninferiority.estimate:+.3f}, lower bound {t.noninferiority.lower_bound:+.3f})")
        if t.min_score is not None:
            parts.append(f"score lower bound {t.min_score.lower_bound:.3f} ≥ {c.min_score:.3f}")
        return (Status.REFERENCE if is_ref else Status.PASS), "; ".join(parts) + f" {when}"
    if is_ref and t.min_score is None:
        return Status.REFERENCE, "the reference: what runs today"
    if t.decided == "fail":
        if t.noninferiority is not None and t.difference is not None and t.difference.high < -margin:
            return Status.FAIL, (f"proven worse than {ref}: difference {t.difference.estimate:+.3f}, upper bound "
                                 f"{t.difference.high:+.3f} below -{margin:.3f} {when}")
        score = t.min_score.estimate if t.min_score is not None else math.nan
        return Status.FAIL, f"score {score:.3f} is below min_score {c.min_score:.3f} {when}"
    if is_ref:
        return Status.REFERENCE, f"the reference; its own min_score is not shown ({t.why})"
    return Status.INCONCLUSIVE, f"not shown: {t.why}"
