"""Scores of one candidate on one task's eval set, for the gate and `pytest --eval`.

A route (from a routing table) becomes a `Candidate` again; it is matched to the suite's own
candidate with the same settings when there is one, so the cell key is the same and a finished
`harness run` log is reused whole. Otherwise its cells run through `harness.run` (plan, send the
API requests, execute), which replays every answer the journal already holds: evaluating a
candidate that already ran costs nothing, whatever its id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from .candidates import Candidate
from .errors import InputError, Problem

if TYPE_CHECKING:
    from ._routing_schema import Route
    from .suite import Suite, TaskDef


def candidate_from_route(route: Route) -> Candidate:
    """The candidate a route was evaluated as (`stop_seqs` in the table is a candidate's `stop`)."""
    c = route.config
    return Candidate(model=route.model, id=route.candidate, prompt=c.prompt, max_tokens=c.max_tokens,
                     temperature=c.temperature, top_p=c.top_p, stop=c.stop_seqs, seed=c.seed,
                     cache_prompt=c.cache_prompt, model_args=dict(c.model_args or {}))


def settings(c: Candidate) -> dict[str, Any]:
    """What changes a candidate's answers: everything but its id."""
    return c.model_dump(exclude={"id"})


def same_settings(a: Candidate, b: Candidate) -> bool:
    return settings(a) == settings(b)


def with_model(c: Candidate, model: str) -> Candidate:
    """`c` with another model and the same configuration (pytest --eval-model provider/model)."""
    return c.model_copy(update={"model": model, "id": f"{c.label()}@{model.split('/', 1)[-1]}"})


@dataclass(frozen=True)
class Located:
    suite: Suite
    task: TaskDef


def index_tasks(suites: list[Suite]) -> dict[str, Located]:
    return {t.name: Located(s, t) for s in suites for t in s.tasks}


def as_suite_candidate(task: TaskDef, c: Candidate) -> Candidate:
    """The suite's own candidate when one has the same settings (same cell key: its log is reused)."""
    return next((own for own in task.candidates if same_settings(own, c)), c)


def runnable_problem(task: TaskDef, c: Candidate) -> str | None:
    """Why `c` cannot run on `task` (a prompt variant the task does not define), else None."""
    if task.inspect_task or c.prompt in task.variants:
        return None
    known = ", ".join(repr(k) for k in task.variants if k) or "none"
    what = f"prompt variant {c.prompt!r}" if c.prompt else "the task's own prompt (no variant)"
    return f"{c.label()} uses {what}, which task {task.name!r} does not define (its variants: {known})"


def sample_ids(loc: Located, limit: int | None, full: bool) -> tuple[str, ...]:
    """The same seeded subset `harness run` takes: `--limit`, else the suite's `sample:`, `--full` for all."""
    from .run import plan_run

    return plan_run([_one_task(loc)], limit=limit, full=full).cells[0].sample_ids


def _one_task(loc: Located) -> Suite:
    from dataclasses import replace

    return replace(loc.suite, tasks=[loc.task])


# --- results given by the user ------------------------------------------------------------------


def rows_for(df: pd.DataFrame, task: str, c: Candidate) -> pd.DataFrame | None:
    """Rows of `df` (a validated results table) for `c` on `task`, matched by model + configuration.

    A results table written by harness carries each candidate's config as JSON; a table from
    another tool may not, and then the candidate id and model must both match.
    """
    g = df[df["task"] == task]
    if g.empty:
        return None
    keys = g[["candidate", "model", "config"]].drop_duplicates()
    for k in keys.itertuples(index=False):
        theirs = _row_candidate(k.model, k.config)
        match = (same_settings(theirs, c) if theirs is not None
                 else k.candidate == c.label() and (k.model in (None, c.model) or pd.isna(k.model)))
        if match:
            return g[g["candidate"] == k.candidate].copy()
    return None


def _row_candidate(model: Any, config: Any) -> Candidate | None:
    if not isinstance(model, str) or not isinstance(config, str) or not config.strip():
        return None
    try:
        return Candidate(model=model, **json.loads(config))
    except (ValueError, TypeError):  # not harness's config format: fall back to ids
        return None


# --- running cells ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """One candidate to score on one task, on these samples."""

    loc: Located
    candidate: Candidate
    sample_ids: tuple[str, ...]
    round: int | None = None  # a round of a suite that runs in rounds (`sequential:`)
    planned: int | None = None


def run_needs(needs: list[Need], reports: Path, display: str | None = None, batch: bool = False,
              say: Callable[[str], None] = print) -> list[pd.DataFrame]:
    """Results rows per need (same order), from finished logs, the journal, or new model calls."""
    from . import results
    from .run import RunPlan
    from .tasks import Cell

    cells = [Cell(n.loc.suite, n.loc.task, n.candidate, n.sample_ids, round=n.round, planned=n.planned)
             for n in needs]
    unique = list({c.key: c for c in cells}.values())
    for c in unique:
        if c.task.inspect_task is None and not c.sample_ids:
            raise InputError([Problem(str(c.task.source), f"task {c.task.name!r} has no samples to evaluate")])
    plan = RunPlan(cells=unique)
    outcome = _execute(plan, reports, display, batch, say)
    df = results.from_run(outcome)
    by_cell = {c.key: df[(df["task"] == c.task.name) & (df["candidate"] == c.candidate.label())] for c in unique}
    return [by_cell[c.key].copy() for c in cells]


@dataclass(frozen=True)
class Pair:
    """A new candidate to judge, the old one it replaces (None: min_score only), and the criteria."""

    new: Need
    old: Need | None
    criteria: Any  # _gate_verdict.GateCriteria


def run_pairs_in_rounds(pairs: list[Pair], reports: Path, display: str | None = None, batch: bool = False,
                        say: Callable[[str], None] = print) -> list[tuple[pd.DataFrame, pd.DataFrame | None]]:
    """Score each pair round by round (its suite's `sequential:` round size, the seeded order of
    `harness run --sequential`) until its anytime-valid verdict is in, the new candidate can no longer
    realistically be shown safe, or the samples are used up. Rows carry their round, so `judge`
    applies the anytime-valid tests to them. Returns (new rows, old rows) per pair."""
    from ._gate_verdict import sequential_track
    from .rounds import round_slice, rounds_in, sample_order

    orders = [sample_order(p.new.sample_ids, p.new.loc.suite.seed, p.new.loc.task.name) for p in pairs]
    sizes = [p.new.loc.suite.sequential_round or 1 for p in pairs]
    got: list[dict[str, list[pd.DataFrame]]] = [{"new": [], "old": []} for _ in pairs]
    active, r = list(range(len(pairs))), 1
    while active:
        needs, owners = [], []
        for i in active:
            for side, need in (("new", pairs[i].new), ("old", pairs[i].old)):
                if need is not None:
                    ids = round_slice(need.sample_ids, orders[i], r, sizes[i])
                    needs.append(Need(need.loc, need.candidate, ids, round=r, planned=len(orders[i])))
                    owners.append((i, side))
        say(f"round {r}: scoring {len(needs)} cell(s)")
        for (i, side), rows in zip(owners, run_needs(needs, reports, display, batch, say)):
            got[i][side].append(rows)
        still = []
        for i in active:
            new, old = _joined(got[i]["new"]), _joined(got[i]["old"])
            track = sequential_track(new, old, pairs[i].criteria)
            if track.state == "open" and r < rounds_in(orders[i], sizes[i]):
                still.append(i)
        active, r = still, r + 1
    return [(_joined(g["new"]), _joined(g["old"])) for g in got]


def _joined(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    return pd.concat(frames, ignore_index=True) if frames else None


def _execute(plan: Any, reports: Path, display: str | None, batch: bool, say: Callable[[str], None]) -> Any:
    from . import run

    # API cells are sent first (harness/batch), then every cell is scored by inspect-ai.
    send = getattr(run, "send_api_requests", None)
    if send is not None:
        send(plan, reports, run.SendOptions(batch=batch), say=say)
    return run.execute(plan, reports, display=display)


def distinct_labels(old: Candidate, new: Candidate) -> tuple[Candidate, Candidate]:
    """Two different configurations must not share an id: results rows are told apart by it."""
    if old.label() != new.label() or same_settings(old, new):
        return old, new
    return (old.model_copy(update={"id": f"{old.label()}@base"}),
            new.model_copy(update={"id": f"{new.label()}@head"}))
