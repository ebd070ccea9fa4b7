"""Turning a cell (suite task × candidate × samples) into an inspect-ai Task."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from inspect_ai import Task, task_with
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model
from inspect_ai.solver import generate

from ..batch import API_PROVIDERS, BodySettings, is_reference, judge_settings
from ..candidates import CLASSIFIER_PROVIDER, ENDPOINT_PROVIDER
from ..providers import offline_model_args
from ..scorers import SCORERS, harness_scorer, judge_scorer
from ..suite import Turn, Variant, as_text, chat_turns
from ._cells import Cell
from ._classifier import classifier_args
from ._endpoints import endpoint_args

_MESSAGE = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}


def build_messages(variant: Variant, record: dict[str, Any], target_field: str) -> list[Any]:
    """The record's chat turns (`suite.chat_turns`) as inspect-ai chat messages."""
    return to_messages(chat_turns(variant, record, target_field))


def to_messages(turns: list[Turn]) -> list[Any]:
    return [_MESSAGE[role](content=text) for role, text in turns]


def build_task(cell: Cell, journal: Path) -> Task:
    t, c = cell.task, cell.candidate
    model_args = offline_model_args(c.provider, c.model_args)
    if c.provider == "local":
        model_args = {**model_args, "journal": str(journal)}
        if c.cache_prompt:  # a context of its own per task and candidate, so its prefix stays cached
            model_args = {**model_args, "cache_prompt": True, "cache_slot": f"{t.suite}/{t.name}/{c.label()}"}
    if c.provider == CLASSIFIER_PROVIDER:
        model_args = classifier_args(cell)
    model_name = c.model
    if c.provider in API_PROVIDERS:
        # API answers come from the journal (harness/batch sends the requests); see providers/_journal.py.
        price = cell.suite.prices.get(c.model)
        model_name, model_args = f"journal/{c.model}", {
            **model_args, "journal": str(journal), "settings": BodySettings.from_candidate(c).to_args(),
            "price": price.model_dump() if price else None, "live": t.inspect_task is not None}
    config = GenerateConfig(**c.generate_config())
    if c.provider == ENDPOINT_PROVIDER:
        # inspect's adaptive concurrency would ignore the provider's max_connections; an explicit one wins
        model_args = {**model_args, **endpoint_args(cell, str(journal))}
        config = config.merge(GenerateConfig(max_connections=model_args["max_concurrency"]))
    model = get_model(model_name, config=config, **model_args)
    metadata = {"harness_cell": cell.key, "suite": t.suite, "task": t.name, "candidate": c.label(),
                "config": c.model_dump(exclude_none=True)}
    if t.inspect_task:
        base = load_inspect_task(t.inspect_task)
        return task_with(base, dataset=_inspect_samples(base, cell.sample_ids), model=model, name=cell.name,
                         metadata={**(base.metadata or {}), **metadata}, epochs=t.epochs)
    wanted = set(cell.sample_ids)
    variant = t.variants[c.prompt]
    judged = SCORERS[t.scorer].judged
    ref_field = t.scorer_options.get("reference") if judged else None
    samples = [
        Sample(id=r["id"], input=build_messages(variant, r, t.target_field), target=as_text(r[t.target_field]),
               metadata={"target": r[t.target_field], "cluster": None if t.cluster_field is None else str(r[t.cluster_field]),
                         **({"judge_reference": r.get(ref_field)} if ref_field else {})})
        for r in t.records if r["id"] in wanted
    ]
    scorer = (judge_scorer(t.scorer_options, *judge_model(cell, journal), is_reference=is_reference(cell))
              if judged else harness_scorer(t.scorer, t.scorer_options))
    return Task(dataset=samples, solver=generate(), scorer=scorer, model=model, name=cell.name, metadata=metadata,
                epochs=t.epochs)


def judge_model(cell: Cell, journal: Path) -> tuple[str, dict[str, Any]]:
    """The judge of a judged task as an inspect model name and its provider's arguments: an API judge
    through the journal provider (answered synchronously and journaled, like an inspect task's calls), a
    local one through the local provider with the journal; either way a call answered once is replayed (run
    sends an API judge's calls ahead where it can, `batch.judge_requests`, and the scorer replays them)."""
    opts = cell.task.scorer_options
    name = opts["model"]
    provider = name.split("/", 1)[0]
    if provider in API_PROVIDERS:
        price = cell.suite.prices.get(name)
        return f"journal/{name}", {"journal": str(journal), "settings": judge_settings(opts).to_args(),
                                   "price": price.model_dump() if price else None, "live": True}
    return name, {"journal": str(journal)}


def _inspect_samples(base: Task, sample_ids: tuple[str, ...]) -> list[Sample]:
    """The cell's samples of an inspect task (`--limit`, a round of a sequential run), ids as plan_run names
    them: a sample without an id is its 1-based position, as inspect numbers it."""
    wanted = set(sample_ids)
    return [s if s.id is not None else s.model_copy(update={"id": i + 1})
            for i, s in enumerate(base.dataset) if str(s.id if s.id is not None else i + 1) in wanted]


def load_inspect_task(ref: str) -> Task:
    file, _, fn = ref.rpartition("@")
    spec = importlib.util.spec_from_file_location(f"harness_user_task_{Path(file).stem}", file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, fn)()
