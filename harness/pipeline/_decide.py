"""Results -> decisions -> the routing table: for `harness run`, `harness select` and Python users."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .. import results, routing
from ..criteria import Criteria
from ..errors import InputError, Problem
from ..pricing import PriceNotFound, lookup_price
from ..routing import PromptMode, PromptSpec, RoutingTable
from ..compound import CascadeSpec, RouterSpec
from ..select import (TaskCompounds, TaskDecision, compounds_from_suites, criteria_from_suites, format_decisions,
                      select)
from ..suite import Suite, TaskDef, load_suites, shot_turns


@dataclass(frozen=True)
class Overrides:
    """Criteria and traffic given on the command line: they beat the suites' for every task."""

    reference: str | None = None
    max_drop: float | None = None
    min_score: float | None = None
    alpha: float | None = None
    traffic: float | None = None  # calls per month, for tasks whose suite gives none
    compound: tuple[CascadeSpec | RouterSpec, ...] = ()  # for every task whose candidates they name

    def apply(self, c: Criteria) -> Criteria:
        given = {k: getattr(self, k) for k in ("reference", "max_drop", "min_score", "alpha")}
        return c.model_copy(update={k: v for k, v in given.items() if v is not None})


@dataclass
class Decisions:
    decisions: list[TaskDecision]
    table: RoutingTable | None  # None when no task could be decided
    skipped: list[str] = field(default_factory=list)  # tasks without criteria (harness run reports only scores)
    notes: list[str] = field(default_factory=list)  # what was done to the input (e.g. duplicates averaged)

    def text(self) -> str:
        lines = []
        if self.skipped:
            lines.append(f"\nno criteria (min_score or reference), so no decision for: {', '.join(self.skipped)}")
        if self.decisions:
            lines.append(format_decisions(self.decisions))
        return "\n".join([*lines, *(f"\nnote: {n}" for n in self.notes)])


def decide(df: pd.DataFrame, suites: list[Suite], overrides: Overrides | None = None,
           source: dict[str, Any] | None = None, prompts: PromptMode = "text") -> Decisions:
    """Per task of a validated results table: the decision, with the suites' criteria and traffic.

    Without `overrides` (what `harness run` does) tasks that set no criteria are left out and
    listed in `skipped`; with them (`harness select`) such a task is an error, since the user
    asked for a decision. `source` is recorded in the routing table; each route carries the
    suite's prompt of its candidate (only its sha256 with `prompts="hash"`)."""
    criteria, traffic = criteria_from_suites(suites)
    o = overrides or Overrides()
    tasks = list(df["task"].unique())  # once: each pass over 10M rows costs a tenth of a second
    criteria = {t: o.apply(criteria.get(t, Criteria())) for t in tasks}
    traffic = {t: traffic.get(t) if traffic.get(t) is not None else o.traffic for t in tasks}
    source = source or {}
    decisions = select(df, criteria, traffic, source=source.get("results", "results"),
                       skip_without_criteria=overrides is None, compounds=_compounds(df, suites, o))
    for d in decisions:  # a judge people disagree with: said beside the decision it made
        d.notes.extend(results.agreement_warnings(df, d.task))
    skipped = sorted(set(tasks) - {d.task for d in decisions})
    notes, table = [], None
    if decisions and not any(d.chosen for d in decisions):
        # A routing table needs a default route, which is one of the tasks' routes.
        notes.append("no task has a route (no candidate passed and no task sets a reference), so no routing "
                     "table is written")
    elif decisions:
        table = routing.build_table(decisions, source={**source, "suites": [str(s.path) for s in suites]},
                                    task_prompts=route_prompts(decisions, suites), prompts=prompts,
                                    prices=route_prices(decisions, suites))
    return Decisions(decisions, table, skipped, notes)


def route_prompts(decisions: list[TaskDecision], suites: list[Suite]) -> dict[str, routing.TaskPrompt]:
    """The prompt each routed task's chosen candidate was evaluated with, or why none is known; for a
    compound candidate, the prompt of each of its step candidates (and of those its checks ask).

    select's decisions know a candidate by its id and config; only the suites hold the prompt
    variants, so the routing table gets them from here."""
    tasks = {t.name: t for s in suites for t in s.tasks}
    out: dict[str, routing.TaskPrompt] = {}
    for d in decisions:
        if d.chosen is not None:
            parts = _compound_parts(d)
            out[d.task] = ({c: _prompt_of(d, tasks.get(d.task), c) for c in parts} if parts
                           else _prompt_of(d, tasks.get(d.task), d.chosen))
    return out


def route_prices(decisions: list[TaskDecision], suites: list[Suite]) -> dict[str, routing.Price | None]:
    """List prices of the compound routes' step models, so an application can cost each call from its usage."""
    explicit = {model: price for s in suites for model, price in s.prices.items()}
    models = {d.verdict(c).model for d in decisions if d.chosen is not None for c in _compound_parts(d)}
    return {m: _price(m, explicit) for m in sorted(models)}


def _price(model: str, explicit: dict[str, Any]) -> routing.Price | None:
    try:
        p = lookup_price(model, explicit)
    except (PriceNotFound, ValueError):  # unknown, or not provider/model: the step costs its eval mean
        return None
    if p.hourly_usd is not None:  # compute time is not a function of tokens
        return None
    return routing.Price(input_per_mtok=p.input, output_per_mtok=p.output, cache_read_per_mtok=p.cache_read_rate,
                         cache_write_per_mtok=p.cache_write_rate, source=p.source)


def _compound_parts(d: TaskDecision) -> list[str]:
    """The candidates a chosen compound calls (steps, and those its agree checks ask); [] for a plain one."""
    v = d.verdict(d.chosen) if d.chosen is not None else None
    if v is None or v.compound is None:
        return []
    spec = v.compound.spec
    checks = spec.checks if isinstance(spec, CascadeSpec) else []
    return list(dict.fromkeys([*_named(spec), *(c.with_ for c in checks if getattr(c, "with_", None))]))


def _prompt_of(d: TaskDecision, task: TaskDef | None, candidate: str) -> PromptSpec | str:
    none = "the route carries no prompt, so `messages()` cannot build its messages"
    if task is None:
        return (f"no suite given defines task {d.task!r} (results from another tool, or `harness select` without "
                f"--suite): {none}")
    if task.inspect_task:
        return f"the inspect-ai task {task.inspect_task} builds the prompt itself: {none}"
    config = d.verdict(candidate).config
    ours = next((c for c in task.candidates if c.label() == candidate), None)
    if isinstance(config, dict) and "prompt" in config:
        name = config["prompt"]
    elif ours is not None:
        name = ours.prompt
    else:  # another tool's candidate that names no variant: its prompt may be anything
        return f"candidate {candidate!r} is not in the suite's task {d.task!r} and names no prompt variant: {none}"
    variant = task.variants.get(name)
    if variant is None:
        return (f"the suite's task {d.task!r} has no prompt variant {name!r} (was the suite changed after the "
                f"results?): {none}")
    return PromptSpec.of(variant.template, variant.system, shot_turns(variant, task.target_field))


ResultsKind = Literal["table", "inspect-logs", "promptfoo"]


@dataclass(frozen=True)
class ResultsSource:
    """Where results come from: a results table (CSV or Parquet, harness's or any tool's), inspect-ai
    logs (a folder or one log: `--logs`), or a promptfoo output JSON file (`--promptfoo`)."""

    path: Path
    kind: ResultsKind = "table"
    scorer: str | None = None  # inspect logs: whose score to compare on (default: each log's only scorer)
    values: dict[str, float] | None = None  # inspect logs: grade -> score (default: results.GRADES)


def load_results(source: ResultsSource, suites: list[Suite] | None = None, average_duplicates: bool = False,
                 notes: list[str] | None = None) -> pd.DataFrame:
    """The validated results table of `source`; inspect logs are priced with the suites' `prices:`."""
    if source.kind != "inspect-logs" and (source.scorer is not None or source.values is not None):
        raise InputError("--scorer and --value say how to read inspect logs' scores: use them with --logs",
                         title="usage")
    if source.kind == "inspect-logs":
        prices = {model: price for s in suites or [] for model, price in s.prices.items()}
        hourly = [s.local_hourly_usd for s in suites or [] if s.local_hourly_usd is not None]
        extra = {"local_hourly_usd": hourly[0]} if hourly else {}
        return results.from_inspect_logs(source.path, source.scorer, source.values, prices=prices, notes=notes,
                                         **extra)
    if source.kind == "promptfoo":
        return results.from_promptfoo(source.path, average_duplicates=average_duplicates, notes=notes)
    return results.load(source.path, average_duplicates=average_duplicates, notes=notes)


def report_results(source: ResultsSource, routing_path: Path | None, out: Path, average_duplicates: bool = False,
                   notes: list[str] | None = None) -> Path:
    """`harness report`: the HTML report of any results source and a routing table (or none)."""
    from ..report import write_report  # here: `harness select` does not load the report's plotting

    df = load_results(source, average_duplicates=average_duplicates, notes=notes)
    table = routing.load(routing_path) if routing_path is not None else None
    return write_report(df, table, out, results_path=source.path, routing_path=routing_path)


def _compounds(df: pd.DataFrame, suites: list[Suite], o: Overrides) -> dict[str, TaskCompounds]:
    """The suites' compound candidates, plus the command line's for every task that has their candidates."""
    found = compounds_from_suites(suites)
    if not o.compound:  # nothing from the command line to place: no pass over every task's rows
        return found
    used: set[int] = set()
    for task, g in df.groupby("task", sort=False):
        names = set(g["candidate"].unique())
        extra = [i for i, spec in enumerate(o.compound) if set(_named(spec)) <= names]
        used |= set(extra)
        if extra:
            base = found.get(task, TaskCompounds([]))
            found[task] = TaskCompounds([*base.specs, *(o.compound[i] for i in extra)], base.info, base.seed)
    unused = [o.compound[i].label() for i in range(len(o.compound)) if i not in used]
    if unused:  # a typo in a candidate id would otherwise drop the compound without a word
        raise InputError([Problem("--compound", f"no task has all the candidates of {label!r}", field="compound",
                                  hint="name candidates as the results do: "
                                       + "; ".join(f"{t}: {', '.join(sorted(set(g['candidate'])))}"
                                                   for t, g in df.groupby("task", sort=False)))
                          for label in unused], title="cannot build compound candidates")
    return found


def _named(spec: CascadeSpec | RouterSpec) -> list[str]:
    named = spec.steps if isinstance(spec, CascadeSpec) else [spec.cheap, spec.fallback]
    return [*named, *(c.with_ for c in getattr(spec, "checks", []) if getattr(c, "with_", None))]


def select_results(results_path: Path | ResultsSource, suite_paths: list[Path] | None, overrides: Overrides,
                   out: Path, average_duplicates: bool = False, prompts: PromptMode = "text") -> Decisions:
    """`harness select`: decide on a results file (harness's or another tool's) and write the routing table."""
    source = results_path if isinstance(results_path, ResultsSource) else ResultsSource(Path(results_path))
    notes: list[str] = []
    suites = load_suites(suite_paths) if suite_paths else []
    df = load_results(source, suites, average_duplicates, notes)
    made = decide(df, suites, overrides, source={"results": str(source.path)}, prompts=prompts)
    made.notes = notes + made.notes
    if made.table is not None:
        routing.write(made.table, out)
    return made
