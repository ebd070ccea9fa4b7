"""`harness gate`: is every model swap between two routing tables safe, judged by the eval?

For each task whose route changed (model or configuration) between `--base` and `--head`, the
old and the new candidate are scored on the task's eval set (results given with `--results`,
finished logs and the journal first: nothing is paid twice) and the new one must be shown
non-inferior to the old one with the task's criteria, and reach its `min_score` when it sets one.

What a task is served by is what `RoutingTable.pick(task)` returns, so a task whose route is
added was served by the base table's default before, and a task whose route is removed falls
back to the head table's default. Exit codes: 0 every change is safe, 1 a change is proven
worse or not shown safe (or a route was removed without --allow-removed), 2 a usage or
configuration error (raised as InputError before anything is run). See docs/gate.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Callable

import pandas as pd

from .. import results, routing
from ..candidates import Candidate
from ..criteria import Criteria
from ..errors import InputError, Problem
from ..routing import Route, RoutingTable
from ..suite import Suite, find_suites, load_suites
from . import _compound as cp
from . import _eval as ev
from ._swap import Swap, judge_swaps
from ._verdict import GateStatus, Judgement


class ChangeKind(StrEnum):
    CHANGED = "changed"  # routed in both tables, to different models or configurations
    ADDED = "added"  # routed in head only (the base table's default served it)
    REMOVED = "removed"  # routed in base only (head's default will serve it)
    DEFAULT = "default"  # routed in neither, and the default changed


CHANGED, ADDED, REMOVED, DEFAULT = ChangeKind.CHANGED, ChangeKind.ADDED, ChangeKind.REMOVED, ChangeKind.DEFAULT
NOT_GATED, SAFE = GateStatus.NOT_GATED, GateStatus.SAFE
DEFAULT_TASK = "(default route)"  # the row for the default route itself


@dataclass(frozen=True)
class GateOptions:
    base: Path
    head: Path
    suites: list[Path] | None = None  # None: evalsets/*.yaml when there are any
    results: Path | None = None
    reports: Path = Path("reports")
    limit: int | None = None
    full: bool = False
    allow_removed: bool = False
    display: str | None = None
    batch: bool = False  # API candidates: synchronous calls by default, a CI job waits for them
    average_duplicates: bool = False  # --results rows that repeat a key are averaged instead of refused


@dataclass
class Change:
    """One task whose route differs between base and head, and what the gate found."""

    task: str
    kind: ChangeKind
    old: Route
    new: Route
    status: GateStatus = NOT_GATED
    message: str = ""
    failed: bool = False
    judgement: Judgement | None = None
    traffic: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def monthly_change(self) -> float | None:
        j = self.judgement
        if j is None or self.traffic is None or not (math.isfinite(j.cost_per_call) and
                                                     math.isfinite(j.old_cost_per_call)):
            return None
        return (j.cost_per_call - j.old_cost_per_call) * self.traffic


@dataclass
class GateResult:
    base: str
    head: str
    changes: list[Change]
    unchanged: list[str]

    @property
    def failures(self) -> list[Change]:
        return [c for c in self.changes if c.failed]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


def run_gate(opts: GateOptions, say: Callable[[str], None] = print) -> GateResult:
    base, head = _load_tables(opts.base, opts.head)
    suites, df = _inputs(opts, say)
    index = ev.index_tasks(suites)
    changes, unchanged = diff(base, head, list(index))
    plans = [_plan(c, index, df, base, head, opts) for c in changes]
    problems = [p for plan in plans for p in plan.problems]
    if problems:  # configuration errors stop the gate before anything is run or paid for
        raise InputError(problems, title="cannot gate")
    todo = [plan for plan in plans if plan.swap is not None]
    judged = judge_swaps([plan.swap for plan in todo], opts.reports, opts.display, opts.batch,
                         lambda line: say(f"harness gate: {line}"))
    for plan, j in zip(todo, judged):
        plan.finish(j)
    return GateResult(str(opts.base), str(opts.head), changes, unchanged)


def _load_tables(base: Path, head: Path) -> tuple[RoutingTable, RoutingTable]:
    tables, problems = [], []
    for path in (base, head):  # both files' problems in one message
        try:
            tables.append(routing.load(path))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems, title="invalid routing table")
    return tables[0], tables[1]


def _inputs(opts: GateOptions, say: Callable[[str], None]) -> tuple[list[Suite], pd.DataFrame | None]:
    paths = opts.suites if opts.suites is not None else sorted(Path("evalsets").glob("*.yaml"))
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise InputError([Problem(str(p), "suite file not found", hint="check the --suite path") for p in missing],
                         title="cannot gate")
    if not paths and opts.results is None:
        find_suites(None)  # says where it looked, and what to pass instead
    suites = load_suites([Path(p) for p in paths]) if paths else []
    if opts.results is None:
        return suites, None
    notes: list[str] = []
    df = results.load(opts.results, average_duplicates=opts.average_duplicates, notes=notes)
    for note in notes:
        say(f"harness gate: note: {note}")
    return suites, df


def same_route(a: Route, b: Route) -> bool:
    """A route changes when its model or configuration does, or a compound route's steps, checks, threshold or
    router; a new id alone changes no answer."""
    return cp.same_policy(a, b)


def diff(base: RoutingTable, head: RoutingTable, suite_tasks: list[str]) -> tuple[list[Change], list[str]]:
    """Every task whose served route differs, as `pick(task)` serves it, plus the default itself."""
    names = list(dict.fromkeys([*base.routes, *head.routes, *base.unrouted, *head.unrouted, *suite_tasks]))
    changes, unchanged = [], []
    for task in names:
        old, new = base.pick(task), head.pick(task)
        in_base, in_head = task in base.routes, task in head.routes
        kind = CHANGED if in_base and in_head else ADDED if in_head else REMOVED if in_base else DEFAULT
        # An added or removed route is reported even when the default serves the same model.
        if same_route(old, new) and kind in (CHANGED, DEFAULT):
            unchanged.append(task)
        else:
            changes.append(Change(task, kind, old, new))
    if not same_route(base.default, head.default):
        changes.append(Change(DEFAULT_TASK, DEFAULT, base.default, head.default))
    return changes, unchanged


@dataclass
class _Plan:
    """How one change is evaluated: the swap to judge (scores given or to run), or a reason it cannot be."""

    change: Change
    criteria: Criteria = field(default_factory=Criteria)
    old_rows: pd.DataFrame | None = None
    new_rows: pd.DataFrame | None = None
    swap: Swap | None = None
    problems: list[Problem] = field(default_factory=list)

    def finish(self, j: Judgement) -> None:
        c = self.change
        c.judgement, c.status, c.message = j, j.status, j.message
        c.notes += j.notes
        # Nothing compared: a task whose route changed has no evidence, so it fails; an added route
        # (its old default cannot run on the task, and no min_score) or an allowed removal is a warning.
        c.failed = j.failed or (j.status == NOT_GATED and c.kind in (CHANGED, DEFAULT))


def _plan(c: Change, index: dict[str, ev.Located], df: pd.DataFrame | None, base: RoutingTable,
          head: RoutingTable, opts: GateOptions) -> _Plan:
    plan = _Plan(c)
    if c.kind == DEFAULT and c.task == DEFAULT_TASK:
        return _decided(plan, NOT_GATED, "the default route serves tasks not in any routing table; tasks of the "
                        "suites that it serves are gated on their own rows, other tasks are not gated", False)
    if c.kind == REMOVED and not opts.allow_removed:
        return _decided(plan, GateStatus.REMOVED, f"route removed: {c.task} would fall back to the default route "
                        f"{_name(c.new)}; pass --allow-removed to gate that fallback instead", True)
    if same_route(c.old, c.new):
        return _decided(plan, SAFE, f"served by the same model and configuration as before ({_name(c.new)})", False)
    loc = index.get(c.task)
    plan.criteria, c.traffic = _criteria(c.task, loc, base, head)
    old_c, new_c = cp.distinct(cp.side_of(c.old), cp.side_of(c.new))
    if df is not None:
        old_c, plan.old_rows = cp.given_rows(df, c.task, old_c)
        new_c, plan.new_rows = cp.given_rows(df, c.task, new_c)
    if loc is None:
        return _without_suite(plan, old_c, new_c)
    new_problem = None if plan.new_rows is not None else cp.runnable_problem(loc.task, new_c)
    if new_problem:
        if c.kind in (CHANGED, ADDED):  # the head table routes the task to something its suite cannot run
            plan.problems.append(Problem(str(opts.head), new_problem, field=f"routes.{c.task}.config.prompt",
                                         hint="route a prompt variant the suite defines, or fix the suite"))
            return plan
        return _decided(plan, NOT_GATED, f"the fallback cannot be scored: {new_problem}", False)
    old_problem = None if plan.old_rows is not None else cp.runnable_problem(loc.task, old_c)
    if old_problem:
        c.notes.append(f"no comparison with the old route: {old_problem}")
    ids = _shared_ids(plan, loc, opts, old_c, new_c)
    own = lambda side: cp.relabel(side, lambda x: ev.as_suite_candidate(loc.task, x))  # noqa: E731
    plan.swap = Swap(loc, own(new_c), None if old_problem else own(old_c), ids, plan.criteria,
                     c.new.candidate, c.old.candidate, plan.new_rows, None if old_problem else plan.old_rows)
    return plan


def _without_suite(plan: _Plan, old_c: Candidate | cp.CompoundSide, new_c: Candidate | cp.CompoundSide) -> _Plan:
    c = plan.change
    if plan.new_rows is not None and plan.old_rows is not None:  # judged from --results alone
        plan.swap = Swap(None, new_c, old_c, (), plan.criteria, c.new.candidate, c.old.candidate, plan.new_rows,
                         plan.old_rows)
        return plan
    if c.kind == REMOVED:  # allowed by --allow-removed, and the task is gone from the suites
        return _decided(plan, NOT_GATED, "route removed and the task is in no suite: the fallback is not scored",
                        False)
    plan.problems.append(Problem(c.task, f"the route of task {c.task!r} changed, but the task is in no suite "
                                 "and --results does not score both routes", field="task",
                         hint="pass the suite that defines it with --suite, or --results with scores of both "
                              "(every step of a compound route)"))
    return plan


def _decided(plan: _Plan, status: GateStatus, message: str, failed: bool) -> _Plan:
    plan.change.status, plan.change.message, plan.change.failed = status, message, failed
    return plan


def _shared_ids(plan: _Plan, loc: ev.Located, opts: GateOptions, old_c: Candidate | cp.CompoundSide,
                new_c: Candidate | cp.CompoundSide) -> tuple[str, ...]:
    """Pairing: a cell that runs uses the samples the other side (or a compound's parts) has in --results, if any."""
    given = [*cp.sample_sets(old_c, plan.old_rows), *cp.sample_sets(new_c, plan.new_rows)]
    if not given:
        return ev.sample_ids(loc, opts.limit, opts.full)
    wanted = set.intersection(*given)
    return tuple(r["id"] for r in loc.task.records if r["id"] in wanted)


def _criteria(task: str, loc: ev.Located | None, base: RoutingTable,
              head: RoutingTable) -> tuple[Criteria, float | None]:
    """The task's criteria as the gate applies them: new against old, whatever the task's reference."""
    if loc is not None:
        return loc.task.criteria.without_reference(), loc.task.traffic_per_month
    route = head.routes.get(task) or base.routes.get(task)  # results-only tasks: the table's own record
    if route is None:
        return Criteria(), None
    return route.criteria.without_reference(), route.traffic_per_month


def _name(r: Route) -> str:
    policy = cp.policy_of(r)
    return f"{r.candidate} ({policy.describe() if policy is not None else r.model})"
