"""Which candidate a route is, on which task and samples: for the gate and `pytest --eval`.

A route (from a routing table) becomes a `Candidate` again; it is matched to the suite's own
candidate with the same settings when there is one, so the cell key is the same and a finished
`harness run` log is reused whole. Otherwise its cells run (harness/pipeline), replaying every
answer the journal already holds: evaluating a candidate that already ran costs nothing,
whatever its id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ..candidates import ENDPOINT_FIELDS, Candidate
from ..routing import Route
from ..run import plan_run
from ..suite import Suite, TaskDef


def candidate_from_route(route: Route) -> Candidate:
    """The candidate a route was evaluated as (`stop_seqs` in the table is a candidate's `stop`)."""
    c = route.config
    return Candidate(model=route.model, id=route.candidate, prompt=c.prompt, max_tokens=c.max_tokens,
                     temperature=c.temperature, top_p=c.top_p, stop=c.stop_seqs, seed=c.seed,
                     cache_prompt=c.cache_prompt, model_args=dict(c.model_args or {}),
                     **({"logprobs": True} if c.logprobs else {}))


def settings(c: Candidate) -> dict[str, Any]:
    """What changes a candidate's answers: everything but its id. An endpoint's server is the suite's by name
    (a route carries only the name), so a candidate's own base_url does not tell two candidates apart."""
    return c.model_dump(exclude={"id", *ENDPOINT_FIELDS})


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
    return plan_run([replace(loc.suite, tasks=[loc.task])], limit=limit, full=full).cells[0].sample_ids


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


def distinct_labels(old: Candidate, new: Candidate) -> tuple[Candidate, Candidate]:
    """Two different configurations must not share an id: results rows are told apart by it."""
    if old.label() != new.label() or same_settings(old, new):
        return old, new
    return (old.model_copy(update={"id": f"{old.label()}@base"}),
            new.model_copy(update={"id": f"{new.label()}@head"}))
