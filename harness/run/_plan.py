"""Which cells a run evaluates: every task × candidate of the suites, on a seeded subset of samples."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..suite import Suite
from ._cells import Cell, select_sample_ids
from ._tasks import load_inspect_task


@dataclass
class RunPlan:
    cells: list[Cell]
    subset: dict[str, tuple[int, int]] = field(default_factory=dict)  # task -> (used, available)

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(c.task.name for c in self.cells))


def plan_run(suites: list[Suite], limit: int | None = None, tasks: list[str] | None = None,
             candidates: list[str] | None = None, full: bool = False) -> RunPlan:
    """Which cells to evaluate. `limit` beats the suite's `sample:` default; `full` ignores both."""
    plan = RunPlan(cells=[])
    for suite in suites:
        for t in suite.tasks:
            if tasks and t.name not in tasks:
                continue
            if t.inspect_task and not t.records:
                dataset = load_inspect_task(t.inspect_task).dataset
                t.records = [{"id": str(s.id if s.id is not None else i + 1)} for i, s in enumerate(dataset)]
            n = None if full else (limit if limit is not None else suite.sample)
            ids = select_sample_ids(t, n, suite.seed)
            plan.subset[t.name] = (len(ids), len(t.records))
            for c in t.candidates:
                if candidates and c.label() not in candidates:
                    continue
                plan.cells.append(Cell(suite, t, c, ids))
    return plan
