"""A feature's calls -> what its task will hold: samples, reference candidate, prompt, scorer, measures.

Pure: calls in, a `Feature` out; nothing here reads or writes a file.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ..candidates import Candidate, derive_id
from ..templates import PLACEHOLDER
from ._call import Call, Settings
from ._measure import Spread, Volume, answer_kind, spread, volume
from ._secrets import redact

NEAR_EMPTY_PROMPT = 2  # fewer word characters than this in the user's messages: nothing to answer
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass
class Feature:
    """One feature of the traffic, ready to be written as a task and its dataset."""

    name: str  # as logged
    task: str  # the task's name: the feature's, reduced to letters, digits, - and _
    calls: int  # usable calls read
    records: list[dict[str, Any]]  # the dataset: the sample of the distinct non-empty calls
    distinct: int  # distinct non-empty calls, before --sample
    duplicates: int
    near_empty: int
    system: str | None  # the task's `system:`: the feature's one system prompt, or {{system}}
    candidates: list[dict[str, Any]]  # suite candidates, the reference first
    scorer: str | None  # None: open-ended, no mechanical scorer (the import gives it a judge: "judge")
    scorer_why: str
    volume: Volume | None
    input_tokens: Spread | None
    output_tokens: Spread | None
    logged_cost_usd: float | None  # the sum of the calls' cost column, when the log has one
    models: dict[str, int]
    clustered: bool
    notes: list[str] = field(default_factory=list)
    judge: dict[str, Any] | None = None  # the suite's `scorer:` mapping when the scorer is a judge

    @property
    def reference(self) -> str:
        return self.candidates[0]["id"]


def group(calls: list[Call]) -> dict[str, list[Call]]:
    """Calls by feature, in name order: the suite does not depend on which feature a log mentions first."""
    by: dict[str, list[Call]] = {}
    for c in calls:
        by.setdefault(c.feature, []).append(c)
    return {name: by[name] for name in sorted(by)}


def prepare(name: str, calls: list[Call], task: str, *, sample: int | None, seed: int, do_redact: bool,
            scorer: str | None = None) -> Feature:
    if do_redact:
        calls = [_redacted(c) for c in calls]
    # The earliest call of a prompt is kept: the same prompt answered again is the same sample.
    ordered = sorted(calls, key=lambda c: (c.ts is None, c.ts or _NEVER, c.file, c.line))
    non_empty = [c for c in ordered if not _near_empty(c)]
    first: dict[str, Call] = {}
    for c in non_empty:
        first.setdefault(_prompt_key(c), c)
    distinct = list(first.values())
    chosen = _sample(distinct, sample, f"{seed}/{name}")
    notes = []
    if sample is not None and len(distinct) < sample:
        notes.append(f"{len(distinct)} distinct calls, fewer than --sample {sample}: all of them are imported")
    system, varies = _system(distinct)
    kind, why = (scorer, "--scorer") if scorer else answer_kind([c.answer for c in distinct])
    clustered = any(c.cluster for c in chosen)
    records = [_record(c, varies, clustered) for c in chosen]
    notes += _notes(distinct)
    measured = volume([c.ts for c in calls])
    if measured and measured.per_month is None:
        notes.append("the timed calls all carry one timestamp (a batch?): traffic_per_month is not set")
    costs = [c.cost_usd for c in calls if c.cost_usd is not None]
    return Feature(name=name, task=task, calls=len(calls), records=records, distinct=len(distinct),
                   duplicates=len(non_empty) - len(distinct), near_empty=len(calls) - len(non_empty),
                   system=system, candidates=_candidates(distinct), scorer=kind, scorer_why=why,
                   volume=measured, input_tokens=spread([c.input_tokens for c in calls]),
                   output_tokens=spread([c.output_tokens for c in calls]),
                   logged_cost_usd=round(sum(costs), 6) if costs else None,
                   models=dict(Counter(c.model for c in calls).most_common()), clustered=clustered, notes=notes)


def task_names(features: list[str]) -> dict[str, str]:
    """A task name per feature: letters, digits, - and _ only, unique."""
    names: dict[str, str] = {}
    for f in features:
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", f).strip("_-") or "feature"
        name, i = base, 2
        while name in names.values():
            name, i = f"{base}_{i}", i + 1
        names[f] = name
    return names


def _redacted(c: Call) -> Call:
    return replace(c, system=redact(c.system) if c.system else c.system, answer=redact(c.answer),
                   turns=tuple((role, redact(text)) for role, text in c.turns))


def _near_empty(c: Call) -> bool:
    words = sum(len(re.findall(r"\w", text)) for role, text in c.turns if role == "user")
    return words < NEAR_EMPTY_PROMPT or not re.search(r"\w", c.answer)


def _prompt_key(c: Call) -> str:
    return json.dumps([c.system, c.turns], ensure_ascii=False)


def sample_id(c: Call) -> str:
    return hashlib.sha256(_prompt_key(c).encode()).hexdigest()[:12]


def _sample(calls: list[Call], n: int | None, seed: str) -> list[Call]:
    """A seeded random subset of n calls, kept in their order; all of them when there are fewer."""
    if n is None or len(calls) <= n:
        return calls
    keep = set(random.Random(seed).sample(range(len(calls)), n))
    return [c for i, c in enumerate(calls) if i in keep]


def _system(calls: list[Call]) -> tuple[str | None, bool]:
    """The task's system prompt: the one every call shares, else {{system}} with the text in each record."""
    prompts = {c.system for c in calls}
    if len(prompts) == 1:
        (only,) = prompts
        if only is None or not PLACEHOLDER.search(only):  # a literal {{x}} in it would read as a placeholder
            return only, False
    return "{{system}}", True


def _record(c: Call, with_system: bool, clustered: bool) -> dict[str, Any]:
    rid = sample_id(c)
    record: dict[str, Any] = {"id": rid, "input": c.prompt, "reference_answer": c.answer, "answered_by": c.model}
    if with_system:
        record["system"] = c.system or ""
    if clustered:
        record["cluster"] = c.cluster or f"call-{rid}"  # an unclustered call is a cluster of its own
    return record


def _candidates(calls: list[Call]) -> list[dict[str, Any]]:
    """One candidate per logged configuration (model + settings), the most used first: the reference."""
    configs = Counter((c.model, c.settings) for c in calls)
    ordered = sorted(configs.items(), key=lambda kv: (-kv[1], kv[0][0]))
    out: list[dict[str, Any]] = []
    names = Counter(model for (model, _), _ in ordered)
    for (model, settings), _ in ordered:
        out.append(_candidate(model, settings, unique_name=names[model] == 1, taken={c["id"] for c in out}))
    return out


def _candidate(model: str, settings: Settings, unique_name: bool, taken: set[str]) -> dict[str, Any]:
    fields = {"model": model, **settings.candidate_fields()}
    base = model.split("/", 1)[1] if unique_name else derive_id(Candidate(**fields))
    cid, i = base, 2
    while cid in taken:
        cid, i = f"{base}-{i}", i + 1
    return {"id": cid, **fields}


def _notes(calls: list[Call]) -> list[str]:
    notes = []
    not_carried = Counter(k for c in calls for k in c.not_carried)
    if not_carried:
        names = ", ".join(f"{k} ({n} calls)" for k, n in sorted(not_carried.items()))
        notes.append(f"request settings a candidate cannot carry, left out: {names}")
    multi = sum(len(c.turns) > 1 for c in calls)
    if multi:
        notes.append(f"{multi} multi-turn calls: their earlier turns are written into the user message "
                     "(a dataset record has one user turn)")
    timed = sum(c.ts is not None for c in calls)
    if timed < len(calls):
        notes.append(f"{len(calls) - timed} of {len(calls)} calls have no timestamp")
    return notes

