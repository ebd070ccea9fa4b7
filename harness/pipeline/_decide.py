"""Results -> decisions -> the routing table: for `harness run`, `harness select` and Python users."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import results, routing
from ..criteria import Criteria
from ..routing import RoutingTable
from ..select import TaskDecision, criteria_from_suites, format_decisions, select
from ..suite import Suite, load_suites


@dataclass(frozen=True)
class Overrides:
    """Criteria and traffic given on the command line: they beat the suites' for every task."""

    reference: str | None = None
    max_drop: float | None = None
    min_score: float | None = None
    alpha: float | None = None
    traffic: float | None = None  # calls per month, for tasks whose suite gives none

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
           source: dict[str, Any] | None = None) -> Decisions:
    """Per task of a validated results table: the decision, with the suites' criteria and traffic.

    Without `overrides` (what `harness run` does) tasks that set no criteria are left out and
    listed in `skipped`; with them (`harness select`) such a task is an error, since the user
    asked for a decision. `source` is recorded in the routing table."""
    criteria, traffic = criteria_from_suites(suites)
    o = overrides or Overrides()
    criteria = {t: o.apply(criteria.get(t, Criteria())) for t in df["task"].unique()}
    traffic = {t: traffic.get(t) if traffic.get(t) is not None else o.traffic for t in df["task"].unique()}
    source = source or {}
    decisions = select(df, criteria, traffic, source=source.get("results", "results"),
                       skip_without_criteria=overrides is None)
    skipped = sorted(set(df["task"]) - {d.task for d in decisions})
    notes, table = [], None
    if decisions and not any(d.chosen for d in decisions):
        # A routing table needs a default route, which is one of the tasks' routes.
        notes.append("no task has a route (no candidate passed and no task sets a reference), so no routing "
                     "table is written")
    elif decisions:
        table = routing.build_table(decisions, source={**source, "suites": [str(s.path) for s in suites]})
    return Decisions(decisions, table, skipped, notes)


def select_results(results_path: Path, suite_paths: list[Path] | None, overrides: Overrides,
                   out: Path, average_duplicates: bool = False) -> Decisions:
    """`harness select`: decide on a results file (harness's or another tool's) and write the routing table."""
    notes: list[str] = []
    df = results.load(results_path, average_duplicates=average_duplicates, notes=notes)
    suites = load_suites(suite_paths) if suite_paths else []
    made = decide(df, suites, overrides, source={"results": str(results_path)})
    made.notes = notes + made.notes
    if made.table is not None:
        routing.write(made.table, out)
    return made
