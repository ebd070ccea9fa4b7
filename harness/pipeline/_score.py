"""Scoring cells: send the API cells' requests (harness/batch), then let inspect-ai score every cell."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import results
from ..batch import Progress
from ..run import Cell, RunOutcome, RunPlan, SendOptions, execute, send_api_requests
from ._rounds import Scorer

Say = Callable[[str], None]


class Detached(Exception):
    """A round's API requests are in flight and the run was asked not to wait (--detach)."""

    def __init__(self, progress: Progress | None):
        super().__init__("detached")
        self.progress = progress


def scorer(reports: Path, options: SendOptions, display: str | None, say: Say = print) -> Scorer:
    """Scores a round's cells; with `options.detach`, raises Detached once a round's requests are out."""

    def score(cells: list[Cell], r: int) -> RunOutcome:
        progress = send_api_requests(cells, reports, options, say=say)
        if options.detach and progress is not None and not progress.done:
            say(f"round {r}: submitted; `harness collect` continues the sequential run")
            raise Detached(progress)
        return execute(RunPlan(cells=cells), reports, display=display)

    return score


def score_cells(cells: list[Cell], reports: Path, options: SendOptions = SendOptions(), display: str | None = None,
                say: Say = print) -> list[pd.DataFrame]:
    """Results rows of each cell (same order), from finished logs, the journal, or new model calls.

    Cells with the same key run once; inspect-ai schedules all of them together."""
    unique = list({c.key: c for c in cells}.values())
    outcome = scorer(reports, options, display, say)(unique, 1)
    df = results.from_run(outcome)
    by_cell = {c.key: df[(df["task"] == c.task.name) & (df["candidate"] == c.candidate.label())] for c in unique}
    return [by_cell[c.key].copy() for c in cells]
