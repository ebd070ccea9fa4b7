"""`harness run --sequential`: evaluate in rounds, each round only for the candidates still open.

A sequential task's planned samples (the same seeded subset a fixed run takes) are put in a
seeded random order and cut into rounds of `round` samples. Round r sends slice r to every
candidate of the task that is still open after round r - 1 (and to the reference while any
is, so comparisons stay paired); `_select_sequential.open_candidates` decides, from the
results so far, with the same function `harness select` uses for the verdicts. API cells of
a round go out as one provider batch per model (harness/batch) before inspect scores them.

Everything is replayable: a round's cells are ordinary cells (their key is the samples they
hold), so a rerun or `harness collect` reuses finished logs and the journal, recomputes the
same decisions and continues with the first round that has not finished.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import _select_sequential as seq
from .errors import HarnessError
from .run import RunOutcome, RunPlan, SendOptions, execute, send_api_requests
from .select import criteria_from_suites
from .suite import Suite
from .tasks import Cell

DEFAULT_ROUND = 50


@dataclass(frozen=True)
class TaskRounds:
    """One sequential task: its cells' common parts and its samples in round order."""

    suite: Suite
    cells: list[Cell]  # one per candidate with all planned samples: the template each round's cells are cut from
    order: tuple[str, ...]
    round_size: int

    @property
    def task(self) -> str:
        return self.cells[0].task.name

    @property
    def rounds(self) -> int:
        return rounds_in(self.order, self.round_size)

    def slice(self, r: int) -> tuple[str, ...]:
        return round_slice(self.cells[0].sample_ids, self.order, r, self.round_size)


def round_slice(ids: tuple[str, ...], order: tuple[str, ...], r: int, size: int) -> tuple[str, ...]:
    """Round r's samples (1-based) of `order`, listed in the order of `ids` (dataset order), as every
    other cell lists them (a cell's key is its set of records)."""
    part = set(order[(r - 1) * size: r * size])
    return tuple(i for i in ids if i in part)


def rounds_in(order: tuple[str, ...], size: int) -> int:
    return -(-len(order) // size)


class Detached(Exception):
    """A round's API requests are in flight and the run was asked not to wait (--detach)."""

    def __init__(self, progress):
        super().__init__("detached")
        self.progress = progress


def round_size(suite: Suite, cli_round: int | None, cli_sequential: bool) -> int | None:
    """Samples per round for this suite's tasks, or None for a fixed-size run."""
    if cli_sequential:
        return cli_round or suite.sequential_round or DEFAULT_ROUND
    return suite.sequential_round


def sample_order(ids: tuple[str, ...], seed: int, task: str) -> tuple[str, ...]:
    """The planned samples in the seeded random order the rounds take them in."""
    order = list(ids)
    random.Random(f"{seed}:{task}:sequential").shuffle(order)
    return tuple(order)


def is_sequential_run(suites: list[Suite], cli_sequential: bool) -> bool:
    return cli_sequential or any(s.sequential_round for s in suites)


def run_rounds(suites: list[Suite], plan: RunPlan, reports: Path, options: SendOptions, display: str | None,
               cli_round: int | None = None, cli_sequential: bool = False,
               say: Callable[[str], None] = print) -> RunOutcome:
    """Run `plan` (from `plan_run`) in rounds where the suites (or --sequential) ask for it.

    Raises Detached when --detach left a round's requests in flight (`harness collect` continues),
    NotFinished (exit 3) when not waiting and they are still out."""
    from . import results

    criteria, _ = criteria_from_suites(suites)
    sequential, fixed = _split(plan, criteria, cli_round, cli_sequential)
    open_: dict[str, list[str]] = {t.task: [c.candidate.label() for c in t.cells] for t in sequential}
    done_cells: list[Cell] = []
    logs: dict = {}
    reused = ran = 0
    frames: dict[str, list[pd.DataFrame]] = {t.task: [] for t in sequential}
    r = 1
    while True:
        cells = list(fixed) if r == 1 else []
        for t in sequential:
            if r <= t.rounds and open_[t.task]:
                ids = t.slice(r)
                cells += [Cell(c.suite, c.task, c.candidate, ids, round=r, planned=len(t.order))
                          for c in t.cells if c.candidate.label() in open_[t.task]]
        if not cells:
            break
        step = RunPlan(cells=cells, subset=plan.subset)
        progress = send_api_requests(step, reports, options, say=say)
        if options.detach and progress is not None and not progress.done:
            say(f"round {r}: submitted; `harness collect` continues the sequential run")
            raise Detached(progress)
        outcome = execute(step, reports, display=display)
        done_cells += cells
        logs.update(outcome.logs)
        reused, ran = reused + outcome.reused, ran + outcome.ran
        df = results.from_run(outcome)
        lines = []
        for t in sequential:
            if r > t.rounds or not open_[t.task]:
                continue
            frames[t.task].append(df[df["task"] == t.task])
            k = criteria[t.task]
            was = open_[t.task]
            open_[t.task] = [] if r == t.rounds else seq.open_candidates(
                pd.concat(frames[t.task], ignore_index=True), k.min_score, k.margin, k.alpha, k.reference)
            stopped = [c for c in was if c not in open_[t.task]]
            lines.append(f"{t.task}: {len(was)} ran" + (f", stopped: {', '.join(stopped)}" if stopped else "")
                         + ("" if open_[t.task] else " — task settled" if r < t.rounds else " — data used up"))
        if lines:
            say(f"round {r}: " + "; ".join(lines))
        r += 1
    return RunOutcome(RunPlan(cells=done_cells, subset=plan.subset), logs, reused=reused, ran=ran)


def _split(plan: RunPlan, criteria: dict, cli_round: int | None,
           cli_sequential: bool) -> tuple[list[TaskRounds], list[Cell]]:
    by_task: dict[str, list[Cell]] = {}
    for c in plan.cells:
        by_task.setdefault(c.task.name, []).append(c)
    sequential, fixed = [], []
    for task, cells in by_task.items():
        suite = cells[0].suite
        size = round_size(suite, cli_round, cli_sequential)
        if size is None:
            fixed += cells
            continue
        ref = criteria[task].reference
        if ref is not None and ref not in {c.candidate.label() for c in cells}:
            raise HarnessError(f"task {task!r} runs in rounds against its reference {ref!r}, which --candidates "
                               "leaves out: add it (every round compares with it)")
        sequential.append(TaskRounds(suite, cells, sample_order(cells[0].sample_ids, suite.seed, task), size))
    return sequential, fixed
