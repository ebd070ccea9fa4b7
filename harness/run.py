"""Running the task × candidate matrix through inspect-ai, resumably.

Two layers make a rerun cheap: a cell (task × candidate × samples) whose
log finished is reused whole, and inside an unfinished cell every answer the
journal already holds is replayed instead of being computed or paid again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log

from .errors import HarnessError
from .suite import Suite
from .tasks import Cell, build_task, select_sample_ids, _load_inspect_task

if TYPE_CHECKING:
    from .batch import Progress


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
        header = _header(info)
        if header is None:
            continue
        key, status, stamp = header
        if key and status == "success":
            if key not in found or stamp > found[key][0]:
                found[key] = (stamp, info.name)
    return {k: v[1] for k, v in found.items()}


# (path, mtime, size) -> (cell key, status, created): a sequential run scans the log folder a few times a
# round, and re-reading every header each time grew with rounds x logs.
_HEADERS: dict[tuple[str, float, int], tuple[str | None, str, str]] = {}


def _header(info: Any) -> tuple[str | None, str, str] | None:
    stamp = (info.name, float(info.mtime or 0.0), int(getattr(info, "size", 0) or 0))
    if stamp not in _HEADERS:
        try:
            header = read_eval_log(info, header_only=True)
        except Exception:  # a log cut short by kill -9 is unreadable; its answers live in the journal
            return None
        _HEADERS[stamp] = ((header.eval.metadata or {}).get("harness_cell"), header.status, header.eval.created)
    return _HEADERS[stamp]


@dataclass(frozen=True)
class SendOptions:
    """How API cells send their requests (harness/batch)."""

    batch: bool = True  # provider batch APIs (half price); False: synchronous calls
    max_cost: float | None = None  # USD cap over this run's API requests (spent + in flight + to send)
    detach: bool = False  # submit and return without waiting
    wait: bool = True  # poll until every request is answered or failed for good
    check_budget: bool = True  # refuse up front when the upper estimate exceeds max_cost


class NotFinished(HarnessError):
    """Requests are still in flight: come back later (`harness collect`)."""

    exit_code = 3


def send_api_requests(plan: RunPlan, reports: Path, options: SendOptions = SendOptions(),
                      say: Callable[[str], None] = print) -> Progress | None:
    """Send (or keep waiting for) the requests of the API cells that have no finished log yet.

    Returns None when there is nothing to send. Raises BudgetExceeded (exit 2) when --max-cost refuses
    or stops the run, NotFinished (exit 3) when not waiting and requests are still out."""
    from .batch import API_PROVIDERS, BatchSettings, Driver
    from .journal import open_journal

    done = finished_logs(reports / "logs")
    cells = [c for c in plan.cells if c.candidate.provider in API_PROVIDERS and c.key not in done]
    if not cells:
        return None
    driver = Driver(open_journal(reports / "journal.sqlite"), BatchSettings.from_env(), batch=options.batch,
                    max_cost=options.max_cost, say=say)
    driver.prepare(cells)
    if options.check_budget:
        driver.check_budget()
    progress = driver.run(wait=options.wait and not options.detach, detach=options.detach)
    if not progress.done and not options.detach:
        raise NotFinished(f"not finished yet: {progress.line()}; run `harness collect` again later "
                          "(or `harness collect --wait`)")
    return progress


def remember_run(reports: Path, settings: dict[str, Any]) -> None:
    """Store how this run was invoked, so `harness collect` can complete it later."""
    from .journal import open_journal

    open_journal(reports / "journal.sqlite").set_setting("last_run", settings)


def last_run(reports: Path) -> dict[str, Any] | None:
    from .journal import open_journal

    if not (reports / "journal.sqlite").exists():
        return None
    return open_journal(reports / "journal.sqlite").get_setting("last_run")


def execute(plan: RunPlan, reports: Path, display: str | None = None, max_tasks: int | None = None) -> RunOutcome:
    log_dir, journal = reports / "logs", reports / "journal.sqlite"
    done = finished_logs(log_dir)
    todo = [c for c in plan.cells if c.key not in done]
    if todo:
        tasks = [build_task(c, journal) for c in todo]
        # Local cells share one llama.cpp context: one after another keeps its prompt-prefix cache warm.
        # API cells replay answers from the journal: side by side, and without inspect's realtime event
        # buffer (a SQLite write per event, for live viewing of samples that take no time here).
        slow = any(c.candidate.provider == "local" for c in todo)
        inspect_eval(tasks, log_dir=str(log_dir), display=display, max_tasks=max_tasks or (1 if slow else 4),
                     fail_on_error=False, retry_on_error=1, score_display=False, log_format="eval",
                     log_realtime=slow)
        done = finished_logs(log_dir)
    missing = [c.name for c in plan.cells if c.key not in done]
    if missing:
        raise HarnessError(f"these cells did not finish: {', '.join(missing)}; see the logs in {log_dir} "
                           "(`inspect view --log-dir ...`) and run the same command again to resume")
    # The results table needs each sample's input, output, scores and metadata, not its event transcript
    # (most of a log's size: with thousands of API samples, reading events too doubled the memory peak).
    logs = {c.key: read_eval_log(done[c.key], exclude_fields={"events", "attachments", "store"})
            for c in plan.cells}
    return RunOutcome(plan, logs, reused=len(plan.cells) - len(todo), ran=len(todo))
