"""Loading suite files: merge `defaults:` into tasks, read datasets, resolve prompts and scorers.

Validation never stops at the first mistake: it gathers every problem with file, line and
field, and raises one `InputError`.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from ..candidates import (CLASSIFIER_PROVIDER, CLASSIFIERS, KNOWN_PROVIDERS, LOCAL_PROVIDER, Candidate,
                          ClassifierOptions)
from ..compound import AgreeCheck, CascadeSpec, CompoundSpec, ConfidenceCheck
from ..criteria import Criteria
from ..errors import InputError, Problem
from ..local_models import LOCAL_MODELS
from ..scorers import SCORERS
from ._datasets import Place, load_records
from ._endpoints import Endpoints
from ._format import PromptVariant, SuiteFile, TaskFields
from ._labels import check_human_labels
from ._model import Suite, TaskDef, Variant
from ._problems import Validator
from ._prompts import PLACEHOLDER
from ._train import resolve_train
from ._yaml import Path_, load_with_lines

DEFAULT_SUITES = "evalsets/*.yaml"


def find_suites(paths: list[Path] | None) -> list[Path]:
    """`paths`, or the suite files of evalsets/ when none are given."""
    if paths:
        return list(paths)
    found = sorted(Path("evalsets").glob("*.yaml"))
    if not found:
        raise InputError([Problem("evalsets/", f"no suite files given and none found in {DEFAULT_SUITES}",
                                  hint="pass suite files, or run from the folder that holds evalsets/")],
                         title="no suites")
    return found


def load_suites(paths: list[Path]) -> list[Suite]:
    """Load several suite files, reporting the problems of all of them together."""
    suites, problems = [], []
    for p in paths:
        try:
            suites.append(load_suite(p))
        except InputError as exc:
            problems += exc.problems
    seen: dict[str, Path] = {}
    for s in suites:
        for t in s.tasks:
            if t.name in seen and seen[t.name] != s.path:
                problems.append(Problem(str(s.path), f"task name {t.name!r} is also used in {seen[t.name]}",
                                        field="tasks.name", hint="task names must be unique across suites run together"))
            seen[t.name] = s.path
    if problems:
        raise InputError(problems, title="invalid suite")
    return suites


def load_suite(path: Path) -> Suite:
    path = Path(path)
    raw, lines = load_with_lines(path)
    v = Validator(path, lines)
    if not isinstance(raw, dict):
        v.add((), "a suite file must be a mapping with `suite:` and `tasks:`", "see evalsets/*.yaml for examples")
        raise v.error()
    head = v.model(SuiteFile, raw, ())
    if head is None:
        raise v.error()
    if not head.tasks:
        v.add(("tasks",), "no tasks", "list at least one task under `tasks:`")
    tasks, names, endpoints = [], set(), Endpoints(head.endpoints)
    for i, raw_task in enumerate(head.tasks):
        task = _resolve_task(v, head, raw_task, ("tasks", i), endpoints)
        if task is None:
            continue
        if task.name in names:
            v.add(("tasks", i, "name"), f"duplicate task name {task.name!r}", "give each task a unique name")
        names.add(task.name)
        tasks.append(task)
    hourly = endpoints.finish(v, head.prices)
    if v.problems:
        raise v.error()
    sequential_round = head.sequential.round if head.sequential else None
    return Suite(name=head.suite, path=path, tasks=tasks, seed=head.seed, sample=head.sample,
                 sequential_round=sequential_round,
                 local_hourly_usd=head.local.hourly_usd,
                 prices={**{m: p.model_copy(update={"source": f"suite prices: {path}"}) for m, p in head.prices.items()},
                         **hourly},
                 endpoints=endpoints.by_name())


def _merge(defaults: TaskFields, task: TaskFields) -> dict[str, Any]:
    merged = defaults.model_dump(exclude_none=True)
    for key, value in task.model_dump(exclude_none=True).items():
        if key in ("criteria", "prompts") and key in merged:
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _resolve_task(v: Validator, head: SuiteFile, raw: Any, at: Path_, endpoints: Endpoints) -> TaskDef | None:
    if not isinstance(raw, dict):
        v.add(at, "a task must be a mapping", "write `- name: ...` with the task's fields")
        return None
    fields = v.model(TaskFields, raw, at)
    if fields is None:
        return None
    m = _merge(head.defaults, fields)
    name = m.get("name")
    if not name:
        v.add(at + ("name",), "missing task name", "add `name:` to the task")
        return None
    if not m.get("candidates"):
        v.add(at + ("candidates",), "no candidates", "list candidates in the task or in `defaults:`")
        return None
    task = TaskDef(suite=head.suite, name=name, source=v.path, description=m.get("description"),
                   candidates=[Candidate(**c) for c in m["candidates"]],
                   criteria=Criteria(**m.get("criteria", {})), traffic_per_month=m.get("traffic_per_month"),
                   epochs=m.get("epochs", 1), target_field=m.get("target", "target"), cluster_field=m.get("cluster"),
                   compound=[_COMPOUND.validate_python(x) for x in m.get("compound", [])])
    cand_at = at if "candidates" in raw else ("defaults",)
    _check_candidates(v, task, at, cand_at, endpoints)
    _check_compound(v, task, at if "compound" in raw else ("defaults",))
    if m.get("task"):
        _check_inspect_ref(v, task, m, at)
    else:
        _resolve_dataset_task(v, task, m, at, at if "train" in raw else ("defaults",))
    return task


_COMPOUND: TypeAdapter[Any] = TypeAdapter(CompoundSpec)


def _check_compound(v: Validator, task: TaskDef, at: Path_) -> None:
    """A compound candidate names the task's own candidates, and its name is not one of theirs."""
    ids = [c.label() for c in task.candidates]
    labels = [spec.label() for spec in task.compound]
    for i, spec in enumerate(task.compound):
        where = at + ("compound", i)
        named = spec.steps if isinstance(spec, CascadeSpec) else [spec.cheap, spec.fallback]
        named = [*named, *(c.with_ for c in getattr(spec, "checks", []) if isinstance(c, AgreeCheck) and c.with_)]
        for name in dict.fromkeys(named):
            if name not in ids:
                v.add(where, f"{name!r} is not a candidate of task {task.name!r}", f"use one of: {', '.join(ids)}")
        if spec.label() in ids or labels.count(spec.label()) > 1:
            v.add(where, f"the compound candidate's name {spec.label()!r} is taken", "give it its own `id:`")
        if isinstance(spec, CascadeSpec):
            for s_, name in enumerate(spec.steps[:-1]):
                check = spec.check_of(s_)
                if isinstance(check, ConfidenceCheck) and name in ids and not task.candidate(name).logprobs:
                    v.add(where, f"a confidence check on {name!r} needs its answers' probabilities",
                          f"set `logprobs: true` on candidate {name!r}")
        if task.epochs < 2 and any(isinstance(c, AgreeCheck) and c.with_ is None for c in getattr(spec, "checks", [])):
            v.add(where, "agreeing with its own second answer needs two epochs", "set `epochs: 2`, or agree `with:` "
                  "another candidate")


def _check_candidates(v: Validator, task: TaskDef, at: Path_, cand_at: Path_, endpoints: Endpoints) -> None:
    ids = [c.label() for c in task.candidates]
    for i, c in enumerate(task.candidates):
        cat = cand_at + ("candidates", i)
        if "/" in c.model and c.provider in KNOWN_PROVIDERS:
            endpoints.check(v, c, cat)
        if "/" not in c.model or c.provider not in KNOWN_PROVIDERS:
            v.add(cat + ("model",), f"unknown model provider in {c.model!r}",
                  f"write provider/model with provider one of {', '.join(KNOWN_PROVIDERS)}")
        elif c.provider == LOCAL_PROVIDER:
            name = c.model.split("/", 1)[1]
            if name not in LOCAL_MODELS and not name.endswith(".gguf"):
                v.add(cat + ("model",), f"unknown local model {name!r}",
                      f"use one of {', '.join(LOCAL_MODELS)} or a path to a .gguf file")
        elif c.provider == CLASSIFIER_PROVIDER:
            name = c.model.split("/", 1)[1]
            if name not in CLASSIFIERS:
                v.add(cat + ("model",), f"unknown classifier {name!r}",
                      f"use {' or '.join(CLASSIFIER_PROVIDER + '/' + k for k in CLASSIFIERS)}")
            v.model(ClassifierOptions, c.model_args, cat + ("model_args",))
        if ids.count(c.label()) > 1:
            v.add(cat, f"duplicate candidate id {c.label()!r}", "give the candidates distinct `id:`s")
        if c.logprobs and c.provider not in ("local", "openai", CLASSIFIER_PROVIDER):
            v.add(cat + ("logprobs",), f"{c.provider}'s API returns no token probabilities",
                  "leave `logprobs` off for this candidate (local and OpenAI models and classifiers have "
                  "them)")
    ref = task.criteria.reference
    if ref is not None and ref not in ids:
        v.add(at + ("criteria", "reference"), f"reference {ref!r} is not a candidate of task {task.name!r}",
              f"use one of: {', '.join(ids)}")


def _check_inspect_ref(v: Validator, task: TaskDef, m: dict[str, Any], at: Path_) -> None:
    ref = m["task"]
    file, _, fn = ref.partition("@")
    if not fn or not file.endswith(".py"):
        v.add(at + ("task",), f"{ref!r} is not of the form file.py@task_name", "write e.g. tasks.py@my_task")
    elif not (v.path.parent / file).is_file():
        v.add(at + ("task",), f"inspect task file {file!r} not found next to the suite", "check the path")
    for c in task.candidates:
        if c.provider == CLASSIFIER_PROVIDER:
            v.add(at + ("candidates",), f"candidate {c.label()!r} is a classifier, which needs the task's own "
                  "dataset and `train:` records", "use classifier candidates in tasks given by `dataset:`")
    for key in ("dataset", "prompt", "prompts", "train"):
        if key in m:
            v.add(at + (key,), f"`{key}` does not apply to a task given by `task:` (inspect-ai defines it)",
                  f"remove `{key}`")
    task.inspect_task = str(v.path.parent / file) + "@" + fn
    task.scorer = "inspect"


def _resolve_dataset_task(v: Validator, task: TaskDef, m: dict[str, Any], at: Path_, train_at: Path_) -> None:
    _resolve_scorer(v, task, m.get("scorer"), at + ("scorer",))
    if "dataset" not in m:
        v.add(at + ("dataset",), "missing dataset", "add `dataset:` (a .jsonl/.csv file next to the suite, or a list)")
        return
    if m.get("encoding") and not _known_encoding(m["encoding"]):
        v.add(at + ("encoding",), f"unknown text encoding {m['encoding']!r}",
              "use a Python codec name such as utf-8, cp1252, latin-1 or utf-16")
        return
    places: list[Place] = []
    task.records = load_records(v, m["dataset"], at + ("dataset",), task.target_field, task.cluster_field,
                                m.get("encoding"), places)
    _check_judge_fields(v, task, at)
    check_human_labels(v, task, m["dataset"], at)
    if not m.get("prompt") and not any(p.get("template") for p in m.get("prompts", {}).values()):
        v.add(at + ("prompt",), "missing prompt template", "add `prompt:` with {{field}} placeholders")
        return
    variants: dict[str | None, dict[str, Any]] = dict(m.get("prompts", {}))
    if m.get("prompt") or any(c.prompt is None for c in task.candidates):
        variants[None] = PromptVariant(system=m.get("system"), template=m.get("prompt")).model_dump()
    for c in task.candidates:
        if c.prompt is not None and c.prompt not in variants:
            named = [k for k in variants if k]
            v.add(at + ("candidates",), f"candidate {c.label()!r} asks for prompt variant {c.prompt!r}, "
                  "which the task does not define", f"define it under `prompts:` or use one of {', '.join(named)}"
                  if named else "define it under the task's `prompts:` (the task has no prompt variants)")
    for key, pv in variants.items():
        _add_variant(v, task, key, pv, m, at)
    resolve_train(v, task, m, at, train_at + ("train",), places)


def _resolve_scorer(v: Validator, task: TaskDef, spec: Any, at: Path_) -> None:
    if spec is None:
        v.add(at, "missing scorer", f"add `scorer:` with one of {', '.join(SCORERS)}")
        return
    kind, options = (spec, {}) if isinstance(spec, str) else (spec.get("type"), {k: x for k, x in spec.items() if k != "type"})
    if not isinstance(kind, str):
        v.add(at + (() if isinstance(spec, str) else ("type",)), "the scorer's type must be a name",
              f"write `scorer: exact` or `scorer: {{type: numeric, tolerance: 0.5}}`, one of {', '.join(SCORERS)}")
        return
    if kind not in SCORERS:
        v.add(at, f"unknown scorer {kind!r}", f"use one of {', '.join(SCORERS)}")
        return
    if v.model(SCORERS[kind].options, options, at) is not None:
        task.scorer, task.scorer_options = kind, options
        if SCORERS[kind].judged:
            _check_judge(v, options, at)


JUDGE_PROVIDERS = (LOCAL_PROVIDER, "openai", "anthropic")


def _check_judge(v: Validator, options: dict[str, Any], at: Path_) -> None:
    model = str(options["model"])
    provider, _, name = model.partition("/")
    if not name or provider not in JUDGE_PROVIDERS:
        v.add(at + ("model",), f"a judge must be a local, OpenAI or Anthropic model, not {model!r}",
              "write e.g. `model: openai/gpt-4o`, `anthropic/claude-3-5-haiku-latest` or "
              "`local/smollm2-135m-instruct`")
    elif provider == LOCAL_PROVIDER and name not in LOCAL_MODELS and not name.endswith(".gguf"):
        v.add(at + ("model",), f"unknown local model {name!r}", f"use one of {', '.join(LOCAL_MODELS)} or a path "
              "to a .gguf file")


def _check_judge_fields(v: Validator, task: TaskDef, at: Path_) -> None:
    field = task.scorer_options.get("reference") if task.scorer == "judge" else None
    if field is None:
        return
    lacking = [str(r["id"]) for r in task.records if r.get(field) in (None, "")]
    if lacking:
        v.add(at + ("scorer", "reference"), f"{len(lacking)} record(s) have no reference answer in field {field!r} "
              f"(ids {', '.join(lacking[:5])}{' ...' if len(lacking) > 5 else ''})",
              "give every record the field, or name another with `reference:`")


def _add_variant(v: Validator, task: TaskDef, key: str | None, pv: dict[str, Any], m: dict[str, Any], at: Path_) -> None:
    where = at + ("prompts", key) if key else at
    template, system = pv.get("template") or m.get("prompt"), pv.get("system") or m.get("system")
    if not template:
        v.add(where, f"prompt variant {key!r} has no template and the task has no `prompt:`", "add `template:`")
        return
    shots = pv.get("shots") or []
    if isinstance(shots, str):
        shots = load_records(v, shots, where + ("shots",), task.target_field, None, m.get("encoding"))
    fields = set(task.records[0]) if task.records else set()
    # Report a placeholder where its text was written, so a shared template is reported once.
    texts = [(template, where + ("template",) if pv.get("template") and key else at + ("prompt",)),
             (system or "", where + ("system",) if pv.get("system") and key else at + ("system",)),
             (pv.get("answer") or "", where + ("answer",))]
    for text, loc in texts:
        for name in PLACEHOLDER.findall(text):
            if task.records and name not in fields:
                v.add(loc, f"unknown placeholder {{{{{name}}}}}", f"dataset fields are: {', '.join(sorted(fields))}")
    task.variants[key] = Variant(system=system, template=template, shots=shots, answer=pv.get("answer"))


def _known_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True
