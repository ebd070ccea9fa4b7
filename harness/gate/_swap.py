"""Judging one swap: score the new candidate and the one it replaces on a task, then compare.

`harness gate` (new route against old route) and `pytest --eval` (routed candidate against the
task's reference) both come here. Swaps of suites that run in rounds go through the one round
loop of harness/pipeline and stop once their verdict is in; the others are scored together, in
one inspect-ai run, from finished logs and the journal first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..candidates import Candidate
from ..criteria import Criteria
from ..errors import InputError, Problem
from ..pipeline import RoundGroup, run_in_rounds, score_cells, scorer
from ..run import Cell, SendOptions
from ..select import TrackState
from ._compound import CompoundSide
from ._eval import Located
from ._verdict import Judgement, judge, sequential_track

Say = Callable[[str], None]


@dataclass(frozen=True)
class Swap:
    """`new` on `loc`'s task, judged against `old` (None: the task's min_score only) with `criteria`.

    Rows already given (`harness gate --results`) are not scored again; `loc` may then be None. A
    compound side's parts are scored as cells, then its policy is replayed on them."""

    loc: Located | None
    new: Candidate | CompoundSide
    old: Candidate | CompoundSide | None
    sample_ids: tuple[str, ...]
    criteria: Criteria
    new_name: str
    old_name: str
    new_rows: pd.DataFrame | None = None
    old_rows: pd.DataFrame | None = None

    def cells(self) -> list[tuple[str, Cell]]:
        """The sides still to be scored, as cells."""
        if self.loc is None:
            return []
        out = []
        for side, c, rows in [("new", self.new, self.new_rows), ("old", self.old, self.old_rows)]:
            if c is None or rows is not None:
                continue
            parts = c.missing() if isinstance(c, CompoundSide) else [("", c)]
            out += [(f"{side}:{name}" if name else side, Cell(self.loc.suite, self.loc.task, cand, self.sample_ids))
                    for name, cand in parts]
        return out

    @property
    def round_size(self) -> int | None:
        """Samples per round when every side is scored here and the task's suite runs in rounds."""
        scored_here = self.new_rows is None and (self.old is None or self.old_rows is None)
        # A compound side is replayed on whole cells: its policy is judged once, on fixed-size rows.
        compound = isinstance(self.new, CompoundSide) or isinstance(self.old, CompoundSide)
        return self.loc.suite.sequential_round if self.loc is not None and scored_here and not compound else None


def judge_swaps(swaps: list[Swap], reports: Path, display: str | None = None, batch: bool = False,
                say: Say = print) -> list[Judgement]:
    """Each swap's verdict (same order), after scoring whatever its sides lack."""
    rows: list[dict[str, pd.DataFrame | None]] = [{"new": s.new_rows, "old": s.old_rows} for s in swaps]
    # keys "new", "old", and "new:<id>" / "old:<id>" for the parts of a compound side
    options = SendOptions(batch=batch)
    fixed = [(i, side, cell) for i, s in enumerate(swaps) if s.round_size is None for side, cell in s.cells()]
    for _, _, cell in fixed:
        if cell.task.inspect_task is None and not cell.sample_ids:
            raise InputError([Problem(str(cell.task.source), f"task {cell.task.name!r} has no samples to evaluate")])
    if fixed:  # one run for all cells: inspect-ai schedules them together
        say(f"scoring {len(fixed)} cell(s) (finished logs and the journal are reused)")
        for (i, side, _), got in zip(fixed, score_cells([c for _, _, c in fixed], reports, options, display, say)):
            rows[i][side] = got
    in_rounds = [i for i, s in enumerate(swaps) if s.round_size is not None]
    if in_rounds:
        groups = [_group(swaps[i]) for i in in_rounds]
        done = run_in_rounds(groups, scorer(reports, options, display, say), say=say)
        for i, group, got in zip(in_rounds, groups, done.rows):
            s = swaps[i]
            rows[i]["new"] = got[got["candidate"] == s.new.label()]
            rows[i]["old"] = got[got["candidate"] == s.old.label()] if s.old is not None else None
    out = []
    for s, r in zip(swaps, rows):
        for side in ("new", "old"):
            c = getattr(s, side)
            if isinstance(c, CompoundSide) and r[side] is None:
                r[side] = c.combine({name: r[f"{side}:{name}"] for name, _ in c.missing()})
        assert r["new"] is not None, "every swap's new side is scored or given"
        out.append(judge(r["new"], r["old"] if s.old is not None else None, s.criteria, s.new_name, s.old_name))
    return out


def _group(s: Swap) -> RoundGroup:
    """A swap in rounds: both sides get every round until the new candidate's verdict is in."""
    cells = [cell for _, cell in s.cells()]
    labels = [c.candidate.label() for c in cells]

    def keep(rows: pd.DataFrame) -> list[str]:
        new = rows[rows["candidate"] == s.new.label()]
        old = rows[rows["candidate"] == s.old.label()] if s.old is not None else None
        return labels if sequential_track(new, old, s.criteria).state == TrackState.OPEN else []

    assert s.round_size is not None
    return RoundGroup.of(cells, s.round_size, keep)
