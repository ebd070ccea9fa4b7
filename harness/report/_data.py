"""The report's view model: results + routing table -> plain values a template can print.

The routing table says what was decided (criteria, reference, traffic, the choice); the
per-candidate evidence (paired differences, adjusted p-values, samples still needed) is
recomputed from the results with those same criteria, because routing.json keeps only the
chosen candidate's evidence. A recomputed choice that differs from the table's is reported
as a warning: it means the two files do not belong to the same run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import select
from ..candidates import CLASSIFIER_PROVIDER
from ..criteria import Criteria
from ..compound import parse_spec
from ..errors import InputError
from ..results import judge_notes, per_sample
from ..select import SequentialSummary
from ..stats import mean_interval
from ._compound import CompoundView, compound_views, config_text
from ._samples import SampleRow, regressions

if TYPE_CHECKING:
    from ..routing import RoutingTable

MAX_SAMPLES = 20  # regressions shown per task; the count says how many there are in all


@dataclass
class CandidateRow:
    candidate: str
    model: str | None
    config: str  # the generate settings, as `key=value, ...` (see pretty_config)
    status: str  # pass | fail | inconclusive | reference | "" (no decision)
    reason: str
    n: int
    score: float
    score_low: float
    score_high: float
    cost_per_call: float  # production USD per call; NaN when the model has no price
    eval_cost: float  # what this eval spent on the candidate
    diff: float | None = None  # mean paired difference against the reference
    diff_low: float | None = None
    diff_high: float | None = None
    diff_confidence: float | None = None
    p_adjusted: float | None = None
    samples_needed: int | None = None
    errors: int = 0
    chosen: bool = False
    reference: bool = False
    # sequential runs (harness run --sequential); None for fixed-size runs
    samples: int | None = None  # samples the candidate was scored on
    decided_round: int | None = None  # the round whose end decided it (pass / fail)
    decided_samples: int | None = None  # its samples up to that round
    stopped: str | None = None  # passed | failed | futile | not needed | open
    compound: int | None = None  # a compound candidate: its index in `TaskView.compounds` (its box)

    @property
    def decided_text(self) -> str:
        """When and why the candidate stopped, in a few words (the "Decided" column)."""
        if self.stopped is None:
            return ""
        ran = self.samples if self.samples is not None else self.n
        if self.stopped in ("passed", "failed") and self.decided_round is not None:
            at = self.decided_samples if self.decided_samples is not None else ran
            text = f"{self.stopped}, round {self.decided_round} ({at} samples)"
            # the reference, tested against min_score, runs on while the candidates do
            return text if ran == at else f"{text}; ran on to {ran} samples"
        if self.stopped == "futile":
            return f"dropped (futile) after {ran} samples"
        if self.stopped == "not needed":
            return f"not needed after {ran} samples"
        if self.reference:
            return f"the reference: ran while the candidates did ({ran} samples)"
        return f"{self.stopped} ({ran} samples)"

    @property
    def decided_sort(self) -> int | None:
        """The samples it took to stop (for sorting the column)."""
        if self.decided_samples is not None:
            return self.decided_samples
        return self.samples


@dataclass
class TaskView:
    name: str
    suite: str | None
    decided: bool  # False: the task had no criteria, so there are scores but no decision
    summary: str
    chosen: str | None
    reference: str | None
    min_score: float | None
    max_drop: float | None
    alpha: float | None
    n: int
    traffic: float | None
    monthly_before: float | None  # reference everywhere
    monthly_after: float | None  # with the chosen route
    eval_spend: float
    candidates: list[CandidateRow]
    samples: list[SampleRow] = field(default_factory=list)
    samples_total: int = 0
    samples_what: str = ""  # what the listed samples are, in words
    samples_note: str = ""  # why none are listed, when none are
    notes: list[str] = field(default_factory=list)
    sequential: SequentialSummary | None = None  # set when the results came in rounds
    compounds: list[CompoundView] = field(default_factory=list)  # cascades and routers, one box each

    @property
    def saving(self) -> float | None:
        if self.monthly_before is None or self.monthly_after is None:
            return None
        return self.monthly_before - self.monthly_after

    @property
    def switches(self) -> bool:
        return self.chosen is not None and self.chosen != self.reference

    def row(self, candidate: str | None) -> CandidateRow | None:
        return next((c for c in self.candidates if c.candidate == candidate), None)


@dataclass
class Totals:
    before: float | None  # monthly, over the tasks with a reference, a choice and traffic
    after: float | None
    tasks_counted: int
    eval_spend: float
    switched: int  # tasks that move to a cheaper candidate
    kept: int  # tasks that keep their reference
    unrouted: int
    undecided: int
    # early stopping, summed over the sequential tasks whose fixed-size calls and cost are known
    sequential_tasks: int = 0
    sequential: SequentialSummary | None = None

    @property
    def saving(self) -> float | None:
        return None if self.before is None or self.after is None else self.before - self.after

    @property
    def saving_share(self) -> float | None:
        saving = self.saving
        return None if saving is None or not self.before else saving / self.before


@dataclass
class ReportData:
    tasks: list[TaskView]
    totals: Totals
    warnings: list[str]

    @property
    def has_compounds(self) -> bool:
        return any(t.compounds for t in self.tasks)


def build(df: pd.DataFrame, table: RoutingTable | None,
          compounds: Mapping[str, select.TaskCompounds] | None = None) -> ReportData:
    """The view model of a validated results table and the routing table made from it (or None).

    `compounds` are the tasks' compound candidates (`select.compounds_from_suites`): they are
    re-evaluated with the single candidates, since the routing table does not carry their specs."""
    warnings: list[str] = []
    decided = _decided_tasks(table)
    listed = _table_compounds(table)
    compounds = {**_specs_from_labels(listed), **(compounds or {})}
    if table is None:
        warnings.append("no routing table: the report shows scores and costs but no decisions "
                        "(run `harness select`, or give the task criteria in its suite)")
    tasks = []
    for name, g in df.groupby("task", sort=False):
        name = str(name)
        ref = decided[name][0].reference if name in decided else None
        if ref is not None and ref not in set(g["candidate"]):
            warnings.append(f"task {name!r}: the routing table's reference {ref!r} is not in these results, "
                            "so the task is shown without a decision (regenerate it with `harness select`)")
            decided.pop(name)
        lacking = [] if name in compounds else listed.get(name, [])
        if lacking:
            warnings.append(f"task {name!r}: the routing table has compound candidate(s) {', '.join(lacking)}, which "
                            "this page can re-evaluate only with the task's suite (its `compound:` specs), so they "
                            "are left out and the choice shown is among the single candidates")
        if name in decided:
            view = _decided_view(g, name, *decided[name], compounds.get(name), warnings)
            if table is not None and view.chosen != _table_choice(table, name) and _table_choice(table, name) \
                    not in lacking:
                warnings.append(f"task {name!r}: the routing table chose {_table_choice(table, name)!r} but these "
                                f"results give {view.chosen!r}; the routing table was made from other results "
                                "(regenerate it with `harness select`)")
        else:
            view = _undecided_view(g, name)
        tasks.append(view)
    missing = sorted(set(decided) - {t.name for t in tasks})
    if missing:
        warnings.append(f"the routing table has task(s) the results lack: {', '.join(missing)}")
    return ReportData(tasks=tasks, totals=_totals(tasks), warnings=warnings)


def _decided_tasks(table: RoutingTable | None) -> dict[str, tuple[Criteria, float | None]]:
    """task -> (criteria with its reference, traffic) as the routing table recorded them."""
    if table is None:
        return {}
    out = {}
    for name, route in table.routes.items():
        ref = route.reference.candidate if route.reference else None
        out[name] = (route.criteria.model_copy(update={"reference": ref}), route.traffic_per_month)
    for name, unrouted in table.unrouted.items():
        # An unrouted task has no reference (with one, the reference would have been kept).
        out[name] = (unrouted.criteria.without_reference(), None)
    return out


def _table_compounds(table: RoutingTable | None) -> dict[str, list[str]]:
    """task -> the compound candidates its verdicts list (their model is `compound/<kind>`)."""
    if table is None:
        return {}
    both = [*table.routes.items(), *table.unrouted.items()]
    return {name: found for name, r in both if (found := [v.candidate for v in r.verdicts
                                                          if v.model.startswith("compound/")])}


def _specs_from_labels(listed: dict[str, list[str]]) -> dict[str, select.TaskCompounds]:
    """Compound candidates written on one line (`harness select --compound cascade:mini>big@parses`) are
    their own spec: a table made without a suite can be re-evaluated from its verdicts' names alone,
    with the defaults select used for them. A task keeps none if one name is a suite's own id."""
    out = {}
    for task, names in listed.items():
        try:
            specs = [parse_spec(n) for n in names]
        except ValueError:
            continue
        if all(spec.label() == n for spec, n in zip(specs, names)):
            out[task] = select.TaskCompounds(specs)
    return out


def _table_choice(table: RoutingTable, task: str) -> str | None:
    route = table.routes.get(task)
    return route.candidate if route else None


def _decided_view(g: pd.DataFrame, name: str, criteria: Criteria, traffic: float | None,
                  compounds: select.TaskCompounds | None, warnings: list[str]) -> TaskView:
    try:
        d = select.decide_task(g, name, criteria, traffic, compounds)
    except InputError as exc:
        if compounds is None:
            raise
        # The same specs decided the run, so this means the results changed since: keep the singles.
        warnings.append(f"task {name!r}: its compound candidates cannot be evaluated on these results, so they are "
                        f"left out ({exc})")
        d = select.decide_task(g, name, criteria, traffic)
    errors = g.groupby("candidate")["error"].apply(lambda s: int(s.notna().sum()))
    # From the results, not the verdict: selection names a model after its candidate when the
    # results (say, a CSV from another tool) have none, and the report should say so instead.
    models = g.groupby("candidate")["model"].first()
    matrix = per_sample(g)["score"].unstack("candidate")
    boxes = compound_views(d, matrix)
    box_of = {b.candidate: i for i, b in enumerate(boxes)}
    rows = [_verdict_row(v, d, int(errors.get(v.candidate, 0)), models.get(v.candidate), box_of.get(v.candidate))
            for v in d.verdicts]
    ref = d.criteria.reference
    before = d.monthly(ref) if ref is not None and d.chosen is not None else None
    view = TaskView(name=name, suite=d.suite, decided=True, summary=d.summary, chosen=d.chosen, reference=ref,
                    min_score=d.criteria.min_score, max_drop=d.criteria.max_drop, alpha=d.criteria.alpha, n=d.n,
                    traffic=traffic, monthly_before=_finite(before), monthly_after=_finite(d.monthly(d.chosen)),
                    eval_spend=_spend(g), candidates=rows, notes=list(d.notes) + judge_notes(g),  # the judge's quality
                    sequential=d.sequential, compounds=boxes)
    chosen = view.row(d.chosen)
    if chosen is not None and (chosen.model or "").startswith(CLASSIFIER_PROVIDER + "/"):
        view.notes.insert(0, f"the cheapest option that passes is not an LLM: {chosen.candidate} is a text "
                             f"classifier ({chosen.model}) trained on the task's labelled `train:` records, "
                             "answering with a label in microseconds. The routing table names it; harness does not "
                             "export the fitted classifier, so serve it from the same records (docs/classifier.md).")
    found = regressions(g, matrix, d, MAX_SAMPLES)
    view.samples, view.samples_total = found.samples, found.total
    view.samples_what, view.samples_note = found.what, found.note
    return view


def _verdict_row(v: select.Verdict, d: select.TaskDecision, errors: int, model: Any,
                 box: int | None = None) -> CandidateRow:
    diff = v.difference
    if v.compound is not None:  # not a model of the results: its steps are
        model, config = v.model, config_text(v)
    else:
        config = pretty_config(json.dumps(v.config))
    return CandidateRow(
        candidate=v.candidate, model=_text_or_none(model), config=config,
        status=v.status, reason=v.reason, n=v.score.n, score=v.score.estimate, score_low=v.score.low,
        score_high=v.score.high, cost_per_call=v.cost_per_call, eval_cost=v.eval_cost,
        diff=diff.estimate if diff else None, diff_low=diff.low if diff else None, diff_high=diff.high if diff else None,
        diff_confidence=diff.confidence if diff else None, p_adjusted=v.p_adjusted, samples_needed=v.samples_needed,
        errors=errors, chosen=v.candidate == d.chosen, reference=v.candidate == d.criteria.reference,
        samples=v.samples, decided_round=v.decided_round, decided_samples=v.decided_at, stopped=v.stopped,
        compound=box)


def _undecided_view(g: pd.DataFrame, name: str) -> TaskView:
    rows = []
    samples = dict(tuple(per_sample(g).groupby(level="candidate", sort=False)))
    for cand, c in g.groupby("candidate", sort=False):
        per = samples[cand]
        clusters = per["cluster"].to_numpy() if per["cluster"].notna().all() else None
        ci = mean_interval(per["score"].to_numpy(dtype=float), clusters=clusters)
        rows.append(CandidateRow(
            candidate=str(cand), model=_text_or_none(c["model"].iloc[0]), config=pretty_config(c["config"].iloc[0]),
            status="", reason="no decision: the task sets no min_score and no reference", n=len(per),
            score=ci.estimate, score_low=ci.low, score_high=ci.high,
            cost_per_call=float(c["prod_cost_usd"].mean()), eval_cost=float(c["cost_usd"].sum()),
            errors=int(c["error"].notna().sum())))
    suite = g["suite"].dropna()
    return TaskView(name=name, suite=str(suite.iloc[0]) if len(suite) else None, decided=False,
                    summary="no decision: the task sets neither min_score nor a reference, so only scores are shown",
                    chosen=None, reference=None, min_score=None, max_drop=None, alpha=None,
                    n=int(g["sample_id"].nunique()), traffic=None, monthly_before=None, monthly_after=None,
                    eval_spend=_spend(g), candidates=rows)


# --- totals and helpers -----------------------------------------------------------------------


def _totals(tasks: list[TaskView]) -> Totals:
    counted = [t for t in tasks if t.monthly_before is not None and t.monthly_after is not None]
    before = sum(t.monthly_before or 0.0 for t in counted) if counted else None
    after = sum(t.monthly_after or 0.0 for t in counted) if counted else None
    spend = [t.eval_spend for t in tasks if math.isfinite(t.eval_spend)]
    seq = [t.sequential for t in tasks if t.sequential is not None and t.sequential.samples_fixed is not None
           and t.sequential.fixed_usd is not None]
    return Totals(before=before, after=after, tasks_counted=len(counted), eval_spend=sum(spend),
                  switched=sum(t.switches for t in tasks),
                  kept=sum(t.decided and t.chosen is not None and t.chosen == t.reference for t in tasks),
                  unrouted=sum(t.decided and t.chosen is None for t in tasks),
                  undecided=sum(not t.decided for t in tasks),
                  sequential_tasks=len(seq), sequential=SequentialSummary(
                      rounds=max((s.rounds for s in seq), default=0), planned_samples=None,
                      samples_used=sum(s.samples_used for s in seq),
                      samples_fixed=sum(s.samples_fixed or 0 for s in seq), spent_usd=sum(s.spent_usd for s in seq),
                      fixed_usd=sum(s.fixed_usd or 0.0 for s in seq)) if seq else None)


def _spend(g: pd.DataFrame) -> float:
    return float(pd.to_numeric(g["cost_usd"], errors="coerce").sum(min_count=1)) if len(g) else 0.0


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("", "nan", "None"):
        return None
    return str(value)


def pretty_config(config: Any) -> str:
    """`{"max_tokens": 4, "prompt": "few_shot", "model_args": {}}` -> `max_tokens=4, prompt=few_shot`.

    Settings left at their empty default (no model_args, no prompt caching) are noise in a table.
    """
    text = _text_or_none(config)
    if text is None:
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    shown = {k: v for k, v in sorted(data.items()) if v not in ({}, [], None) and v is not False}
    return ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in shown.items())
