"""The one round loop: cells in rounds, each round only for the candidates still open.

Serves `harness run --sequential` (a group is a task and its candidates; select decides who stays
open) and the gate / `pytest --eval` (a group is one swap, new against old; the gate's verdict
decides). Every round's cells are ordinary cells (their key is the samples they hold), so a rerun
or `harness collect` reuses finished logs and the journal, recomputes the same decisions from the
same rows and continues with the first round that has not finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .. import results
from ..run import Cell, RunOutcome, RunPlan, round_slice, rounds_in, sample_order

Say = Callable[[str], None]
# Scores a round's cells (sends API requests, runs inspect); raises to stop the loop (e.g. detached).
Scorer = Callable[[list[Cell], int], RunOutcome]
# A group's rows so far -> the candidate labels that receive the next round ([] when it is settled).
Keep = Callable[[pd.DataFrame], list[str]]


@dataclass(frozen=True)
class RoundGroup:
    """Cells that go through rounds together and are decided together."""

    task: str
    cells: list[Cell]  # one per candidate, holding every planned sample: each round's cells are cut from them
    order: tuple[str, ...]  # the planned samples in the order the rounds take them
    size: int  # samples per round
    keep: Keep

    @classmethod
    def of(cls, cells: list[Cell], size: int, keep: Keep) -> RoundGroup:
        """A group of one task's cells, its samples in the seeded order every caller uses."""
        first = cells[0]
        return cls(first.task.name, cells, sample_order(first.sample_ids, first.suite.seed, first.task.name), size,
                   keep)

    @property
    def rounds(self) -> int:
        return rounds_in(self.order, self.size)

    def round_cells(self, r: int, labels: list[str]) -> list[Cell]:
        ids = round_slice(self.cells[0].sample_ids, self.order, r, self.size)
        return [c.with_samples(ids, round=r, planned=len(self.order)) for c in self.cells
                if c.candidate.label() in labels]

    def own(self, df: pd.DataFrame) -> pd.DataFrame:
        labels = {c.candidate.label() for c in self.cells}
        return df[(df["task"] == self.task) & df["candidate"].isin(labels)]


@dataclass
class RoundsDone:
    outcome: RunOutcome  # every cell that ran, in every round (the fixed cells too)
    rows: list[pd.DataFrame]  # per group, its rows of every round


def run_in_rounds(groups: list[RoundGroup], score: Scorer, fixed: list[Cell] | None = None,
                  say: Say = print) -> RoundsDone:
    """Round r sends slice r of each group's samples to the group's open candidates, until every group
    is settled or out of samples; `fixed` cells (tasks not run in rounds) go along with round 1."""
    open_ = [[c.candidate.label() for c in g.cells] for g in groups]
    got: list[list[pd.DataFrame]] = [[] for _ in groups]
    done_cells: list[Cell] = []
    logs: dict = {}
    replayed: dict = {}  # cells scored from the journal have no log to read back: keep their rows too
    reused = ran = 0
    r = 1
    while True:
        cells = list(fixed or []) if r == 1 else []
        for i, g in enumerate(groups):
            if r <= g.rounds and open_[i]:
                cells += g.round_cells(r, open_[i])
        if not cells:
            break
        outcome = score(cells, r)
        done_cells += cells
        logs.update(outcome.logs)
        replayed.update(outcome.replayed)
        reused, ran = reused + outcome.reused, ran + outcome.ran
        df = results.from_run(outcome)
        lines = []
        for i, g in enumerate(groups):
            if r > g.rounds or not open_[i]:
                continue
            got[i].append(g.own(df))
            was = open_[i]
            open_[i] = [] if r == g.rounds else g.keep(pd.concat(got[i], ignore_index=True))
            stopped = [c for c in was if c not in open_[i]]
            lines.append(f"{g.task}: {len(was)} ran" + (f", stopped: {', '.join(stopped)}" if stopped else "")
                         + ("" if open_[i] else " — task settled" if r < g.rounds else " — data used up"))
        if lines:
            say(f"round {r}: " + "; ".join(lines))
        r += 1
    rows = [pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=results.COLUMNS)
            for frames in got]
    return RoundsDone(RunOutcome(RunPlan(cells=done_cells), logs, reused=reused, ran=ran, replayed=replayed), rows)
