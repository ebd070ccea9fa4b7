"""Running the task × candidate matrix through inspect-ai, resumably.

Two layers make a rerun cheap: a cell (task × candidate × samples) whose
log finished is reused whole, and inside an unfinished cell every answer the
journal already holds is replayed instead of being computed or paid again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4
from typing import Any

from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log

from ..errors import HarnessError
from ..journal import journal_location, open_journal
from ._journaled import Replayed, journaled, log_path, replay
from ._plan import RunPlan
from ._tasks import build_task


@dataclass
class RunOutcome:
    plan: RunPlan
    logs: dict[str, EvalLog]  # cell key -> log (header + samples), for the cells inspect scored
    reused: int
    ran: int
    replayed: dict[str, Replayed] = field(default_factory=dict)  # cell key -> samples scored from the journal


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


def execute(plan: RunPlan, reports: Path, display: str | None = None, max_tasks: int | None = None,
            from_journal: bool = True) -> RunOutcome:
    """Score every cell of `plan`: API cells whose answers are all in the journal straight from it (their log
    written in one pass, `_journaled`), the others through inspect-ai's eval(); finished logs are reused.
    `from_journal=False` sends every cell through inspect (tests compare the two)."""
    log_dir, journal = reports / "logs", journal_location(reports)
    done = finished_logs(log_dir)
    reused = sum(c.key in done for c in plan.cells)
    replayed = _from_journal(plan, journal, log_dir, done) if from_journal else {}
    todo = [c for c in plan.cells if c.key not in done and c.key not in replayed]
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
    missing = [c.name for c in plan.cells if c.key not in done and c.key not in replayed]
    if missing:
        raise HarnessError(f"these cells did not finish: {', '.join(missing)}; see the logs in {log_dir} "
                           "(`inspect view --log-dir ...`) and run the same command again to resume")
    # The results table needs each sample's input, output, scores and metadata, not its event transcript
    # (most of a log's size: with thousands of API samples, reading events too doubled the memory peak).
    logs = {c.key: read_eval_log(done[c.key], exclude_fields={"events", "attachments", "store"})
            for c in plan.cells if c.key not in replayed}
    return RunOutcome(plan, logs, reused=reused, ran=len(plan.cells) - reused, replayed=replayed)


def _from_journal(plan: RunPlan, journal: str, log_dir: Path, done: dict[str, str]) -> dict[str, Replayed]:
    """The API cells scored from the journal; a cell without a finished log gets one written."""
    cells = [c for c in plan.cells if journaled(c)]
    if not cells:
        return {}
    j, run_id, out = open_journal(journal), _uid(), {}
    log_dir.mkdir(parents=True, exist_ok=True)
    for c in cells:
        if c.key not in out:
            got = replay(c, j, None if c.key in done else log_path(log_dir, c), run_id)
            if got is not None:
                out[c.key] = got
    return out


def _uid() -> str:
    return uuid4().hex[:22]
