"""Running the task × candidate matrix through inspect-ai, resumably.

Two layers make a rerun cheap: a cell (task × candidate × samples) whose
log finished is reused whole, and inside an unfinished cell every answer the
journal already holds is replayed instead of being computed or paid again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log

from .suite import Suite
from .tasks import Cell, build_task, select_sample_ids, _load_inspect_task


@dataclass
class RunPlan:
    cells: list[Cell]
    subset: dict[str, tuple[int, int]] = field(default_factory=dict)  # task -> (used, available)


@dataclass
class RunOutcome:
    plan: RunPlan
    logs: dict[str, EvalLog]  # cell key -> log (header + samples)
    reused: int
    ran: int


def plan_run(suites: list[Suite], limit: int | None = None, tasks: list[str] | None = None,
             candidates: list[str] | None = None, full: bool = False) -> RunPlan:
    """Which cells to evaluate. `limit` beats the suite's `sample:` default; `full` ignores both."""
    plan = RunPlan(cells=[])
    for suite in suites:
        for t in suite.tasks:
            if tasks and t.name not in tasks:
                continue
            if t.inspect_task and not t.records:
                dataset = _load_inspect_task(t.inspect_task).dataset
                t.records = [{"id": str(s.id if s.id is not None else i + 1)} for i, s in enumerate(dataset)]
            n = None if full else (limit if limit is not None else suite.sample)
            ids = select_sample_ids(t, n, suite.seed)
            plan.subset[t.name] = (len(ids), len(t.records))
            for c in t.candidates:
                if candidates and c.label() not in candidates:
                    continue
                plan.cells.append(Cell(suite, t, c, ids))
    return plan


def finished_logs(log_dir: Path) -> dict[str, str]:
    """Cell key -> path of the newest successful log for it."""
    found: dict[str, tuple[str, str]] = {}
    if not log_dir.is_dir():
        return {}
    for info in list_eval_logs(str(log_dir), recursive=False):
        try:
            header = read_eval_log(info, header_only=True)
        except Exception:  # a log cut short by kill -9 is unreadable; its answers live in the journal
            continue
        key = (header.eval.metadata or {}).get("harness_cell")
        if key and header.status == "success":
            stamp = header.eval.created
            if key not in found or stamp > found[key][0]:
                found[key] = (stamp, info.name)
    return {k: v[1] for k, v in found.items()}


def execute(plan: RunPlan, reports: Path, display: str | None = None, max_tasks: int = 1) -> RunOutcome:
    log_dir, journal = reports / "logs", reports / "journal.sqlite"
    done = finished_logs(log_dir)
    todo = [c for c in plan.cells if c.key not in done]
    if todo:
        tasks = [build_task(c, journal) for c in todo]
        # max_tasks=1 by default: local cells share one llama.cpp context, and
        # running them one after another keeps its prompt-prefix cache warm.
        inspect_eval(tasks, log_dir=str(log_dir), display=display, max_tasks=max_tasks, fail_on_error=False,
                     retry_on_error=1, score_display=False, log_format="eval")
        done = finished_logs(log_dir)
    missing = [c.name for c in plan.cells if c.key not in done]
    if missing:
        from .errors import HarnessError

        raise HarnessError(f"these cells did not finish: {', '.join(missing)}; see the logs in {log_dir} "
                           "(`inspect view --log-dir ...`) and run the same command again to resume")
    logs = {c.key: read_eval_log(done[c.key]) for c in plan.cells}
    return RunOutcome(plan, logs, reused=len(plan.cells) - len(todo), ran=len(todo))
