"""Turning a suite task × candidate into an inspect-ai Task (one "cell" of the matrix)."""

from __future__ import annotations

import importlib.util
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai import Task, task_with
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model
from inspect_ai.solver import generate

from .batch._requests import API_PROVIDERS, BodySettings
from .candidates import Candidate, fingerprint
from .providers._mock import offline_model_args
from .scorers import harness_scorer
from .suite import PLACEHOLDER, Suite, TaskDef, Variant


@dataclass(frozen=True)
class Cell:
    suite: Suite
    task: TaskDef
    candidate: Candidate
    sample_ids: tuple[str, ...]
    round: int | None = None  # sequential runs: which round this slice of samples is (not part of the key:
    planned: int | None = None  # the same samples give the same answers whichever round asks)

    @property
    def key(self) -> str:
        """Everything that can change this cell's answers or scores; a finished log with this key is reused."""
        t, c = self.task, self.candidate
        variant = t.variants.get(c.prompt)
        records = [r for r in t.records if r["id"] in set(self.sample_ids)]
        return fingerprint(t.suite, t.name, c.model_dump(), variant.__dict__ if variant else None, t.scorer,
                           t.scorer_options, t.target_field, t.cluster_field, t.epochs, t.inspect_task, records)

    @property
    def name(self) -> str:
        return f"{self.task.name}.{self.candidate.label()}"


def select_sample_ids(task: TaskDef, limit: int | None, seed: int) -> tuple[str, ...]:
    """All record ids, or a seeded random subset of `limit` of them (kept in dataset order).

    Random rather than the first N: files are often grouped by template, and
    the first N would then be a few clusters only.
    """
    ids = [r["id"] for r in task.records]
    if limit is None or limit >= len(ids):
        return tuple(ids)
    chosen = set(random.Random(f"{seed}:{task.name}").sample(ids, limit))
    return tuple(i for i in ids if i in chosen)


def render(template: str, record: dict[str, Any]) -> str:
    return PLACEHOLDER.sub(lambda m: _text(record[m.group(1)]), template)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def build_messages(variant: Variant, record: dict[str, Any], target_field: str) -> list[Any]:
    messages: list[Any] = []
    if variant.system:
        messages.append(ChatMessageSystem(content=render(variant.system, record)))
    for shot in variant.shots:
        answer = render(variant.answer, shot) if variant.answer else _text(shot[target_field])
        messages += [ChatMessageUser(content=render(variant.template, shot)), ChatMessageAssistant(content=answer)]
    messages.append(ChatMessageUser(content=render(variant.template, record)))
    return messages


def build_task(cell: Cell, journal: Path) -> Task:
    t, c = cell.task, cell.candidate
    model_args = offline_model_args(c.provider, c.model_args)
    if c.provider == "local":
        model_args = {**model_args, "journal": str(journal)}
    model_name = c.model
    if c.provider in API_PROVIDERS:
        # API answers come from the journal (harness/batch sends the requests); see providers/_journal.py.
        price = cell.suite.prices.get(c.model)
        model_name, model_args = f"journal/{c.model}", {
            **model_args, "journal": str(journal), "settings": BodySettings.from_candidate(c).to_args(),
            "price": price.model_dump() if price else None, "live": t.inspect_task is not None}
    model = get_model(model_name, config=GenerateConfig(**c.generate_config()), **model_args)
    metadata = {"harness_cell": cell.key, "suite": t.suite, "task": t.name, "candidate": c.label(),
                "config": c.model_dump(exclude_none=True)}
    if t.inspect_task:
        base = _load_inspect_task(t.inspect_task)
        return task_with(base, dataset=_inspect_samples(base, cell.sample_ids), model=model, name=cell.name,
                         metadata={**(base.metadata or {}), **metadata}, epochs=t.epochs)
    wanted = set(cell.sample_ids)
    variant = t.variants[c.prompt]
    samples = [
        Sample(id=r["id"], input=build_messages(variant, r, t.target_field), target=_text(r[t.target_field]),
               metadata={"target": r[t.target_field], "cluster": None if t.cluster_field is None else str(r[t.cluster_field])})
        for r in t.records if r["id"] in wanted
    ]
    return Task(dataset=samples, solver=generate(), scorer=harness_scorer(t.scorer, t.scorer_options),
                model=model, name=cell.name, metadata=metadata, epochs=t.epochs)


def _inspect_samples(base: Task, sample_ids: tuple[str, ...]) -> list[Sample]:
    """The cell's samples of an inspect task (`--limit`, a round of a sequential run), ids as plan_run names
    them: a sample without an id is its 1-based position, as inspect numbers it."""
    wanted = set(sample_ids)
    return [s if s.id is not None else s.model_copy(update={"id": i + 1})
            for i, s in enumerate(base.dataset) if str(s.id if s.id is not None else i + 1) in wanted]


def _load_inspect_task(ref: str) -> Task:
    file, _, fn = ref.rpartition("@")
    spec = importlib.util.spec_from_file_location(f"harness_user_task_{Path(file).stem}", file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, fn)()
