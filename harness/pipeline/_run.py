"""A whole run: plan → send → score → results → decisions → routing table → report.

`run_suites` is what `harness run` does, `collect` completes a detached run with the settings
it saved. Progress goes to `say` (print, for the CLI); the return value holds everything made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .. import results, routing
from ..batch import Progress, setting_notes
from ..errors import HarnessError, InputError, Problem
from ..report import write_report
from ..run import (RunOutcome, RunPlan, RunSettings, SendOptions, execute, is_sequential_run, last_run, plan_run,
                   remember_reports, remember_run, round_size, send_api_requests, training_notes)
from ..select import compounds_from_suites, criteria_from_suites, format_table, open_candidates, per_candidate
from ..suite import Suite, find_suites, load_suites
from ._decide import Decisions, decide
from ._rounds import RoundGroup, run_in_rounds
from ._score import Detached, scorer

Say = Callable[[str], None]


@dataclass
class Submitted:
    """A detached run: requests are in flight; `collect` completes it."""

    progress: Progress | None  # None: nothing needed sending

    def text(self) -> str:
        p = self.progress
        if p is None:
            return "nothing to submit: no API cell is waiting for answers; run `harness collect` to complete the run"
        held = (f"{p.to_send} request(s) held back by --max-cost until the spend is known.\n" if p.to_send else "")
        return (f"detached: {p.in_flight} request(s) in flight, {p.answered} already answered; up to "
                f"${p.inflight_usd:.4f} more (upper bound), ${p.spent_usd:.4f} spent so far.\n" + held
                + "run `harness collect` (or the same command again) to fetch the results and complete the run; "
                  "`harness status` shows what is in flight")


@dataclass
class Completed:
    """A finished run and everything it wrote."""

    results: pd.DataFrame
    results_path: Path  # Parquet (a CSV copy sits next to it)
    decisions: Decisions
    routing_path: Path | None
    report_path: Path
    outcome: RunOutcome


def plan_suites(settings: RunSettings) -> tuple[list[Suite], RunPlan]:
    suites = load_suites(find_suites(settings.suites))
    plan = plan_run(suites, limit=settings.limit, tasks=settings.tasks, candidates=settings.candidates,
                    full=settings.full)
    if not plan.cells:
        raise InputError([Problem("--tasks/--candidates", "nothing to run: no task/candidate matches the filters",
                                  hint="name tasks and candidate ids the suites define (`harness validate` lists "
                                       "them)")], title="nothing to run")
    return suites, plan


def run_suites(settings: RunSettings, reports: Path = Path("reports"), *, detach: bool = False,
               display: str | None = None, say: Say = print) -> Completed | Submitted:
    """Evaluate every task × candidate of the suites and decide; `detach` submits the API batches and returns."""
    if settings.round and not settings.sequential:
        raise InputError("--round sets the size of a sequential run's rounds: add --sequential", title="usage")
    if detach and settings.no_batch:
        raise InputError("--detach submits batches; with --no-batch the calls are synchronous and finish in the run",
                         title="usage")
    suites, plan = plan_suites(settings)
    say(plan_text(plan))
    remember_run(reports, settings.model_copy(update={"suites": [s.path.resolve() for s in suites]}))
    remember_reports(reports)
    options = SendOptions(batch=not settings.no_batch, max_cost=settings.max_cost, detach=detach)
    return _complete(settings, suites, plan, reports, options, display, say)


def collect(reports: Path = Path("reports"), *, wait: bool = False, display: str | None = None,
            say: Say = print) -> Completed | Submitted:
    """Fetch the finished batches of the last `run_suites` in `reports` and complete it."""
    saved = last_run(reports)
    if saved is None:
        raise InputError([Problem(str(reports), "no run to collect: this folder has no journal of a `harness run`",
                                  hint="start one with `harness run`, or pass --reports DIR of the run")],
                         title="nothing to collect")
    suites, plan = plan_suites(saved)
    say(plan_text(plan))
    options = SendOptions(batch=not saved.no_batch, max_cost=saved.max_cost, wait=wait, check_budget=False)
    return _complete(saved, suites, plan, reports, options, display, say)


def _complete(settings: RunSettings, suites: list[Suite], plan: RunPlan, reports: Path, options: SendOptions,
              display: str | None, say: Say) -> Completed | Submitted:
    if is_sequential_run(suites, settings.sequential):
        try:
            outcome = _in_rounds(suites, plan, reports, options, display, settings, say)
        except Detached as stop:
            return Submitted(stop.progress)
    else:
        progress = send_api_requests(plan.cells, reports, options, say=say)
        if options.detach:
            return Submitted(progress)
        outcome = execute(plan, reports, display=display)
    return finish(suites, outcome, reports, say, prompts="hash" if settings.no_prompts else "text")


def _in_rounds(suites: list[Suite], plan: RunPlan, reports: Path, options: SendOptions, display: str | None,
               settings: RunSettings, say: Say) -> RunOutcome:
    """Tasks that run in rounds go round by round (select says who stays open); the others with round 1."""
    criteria, _ = criteria_from_suites(suites)
    by_task: dict[str, list] = {}
    for c in plan.cells:
        by_task.setdefault(c.task.name, []).append(c)
    groups, fixed = [], []
    for task, cells in by_task.items():
        size = round_size(cells[0].suite, settings.round, settings.sequential)
        if size is None:
            fixed += cells
            continue
        k = criteria[task]
        if k.reference is not None and k.reference not in {c.candidate.label() for c in cells}:
            raise InputError(f"task {task!r} runs in rounds against its reference {k.reference!r}, which "
                             "--candidates leaves out: add it (every round compares with it)", title="usage")
        groups.append(RoundGroup.of(cells, size, lambda rows, k=k: open_candidates(
            rows, k.min_score, k.reference_margin, k.alpha, k.reference)))
    done = run_in_rounds(groups, scorer(reports, options, display, say), fixed, say)
    return replace(done.outcome, plan=replace(done.outcome.plan, subset=plan.subset))


def finish(suites: list[Suite], outcome: RunOutcome, reports: Path, say: Say = print,
           prompts: routing.PromptMode = "text") -> Completed:
    """Everything after the answers are in: results table, decisions, routing table (its prompts: `prompts`), report."""
    df = results.with_human_labels(results.from_run(outcome), [t for s in suites for t in s.tasks])
    parquet, csv = results.save(df, reports)
    say(format_table(per_candidate(df)))
    judged = results.judge_notes(df)
    if judged:
        say("\n".join(["", *judged]))
    trained = training_notes(outcome.plan.cells, outcome.logs)
    if trained:
        say("\n".join(["classifier training (one-time):", *(f"  {line}" for line in trained)]))
    made = decide(df, suites, source={"results": str(parquet)}, prompts=prompts)
    routing_path = None
    if made.table is not None:
        routing_path = routing.write(made.table, reports / "routing.json")
    text = made.text()
    if text:
        say(text)
    if routing_path is not None:
        say(f"\nrouting table -> {routing_path}")
    page = write_report(df, made.table, reports, results_path=parquet, routing_path=routing_path,
                        suite_paths=[s.path for s in suites], compounds=compounds_from_suites(suites))
    say(f"report -> {page}")
    say(f"\n{len(df)} result rows -> {parquet} and {csv}; logs in {reports / 'logs'} "
        f"(open them with `inspect view --log-dir {reports / 'logs'}`)")
    return Completed(df, parquet, made, routing_path, page, outcome)


def plan_text(plan: RunPlan) -> str:
    lines = [f"harness run: {len(plan.tasks)} task(s), {len(plan.cells)} cell(s) (task × candidate)"]
    for name, (used, available) in plan.subset.items():
        if used < available:
            lines.append(f"  {name}: seeded subset of {used} of {available} samples (use --full for all)")
    lines += [f"  note: {n}" for n in setting_notes(plan.cells)]
    return "\n".join(lines)
