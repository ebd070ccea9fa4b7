"""Suite files (`evalsets/*.yaml`): format, validation with precise errors.

A suite names tasks; `defaults:` holds any task field that tasks may
override. Validation never stops at the first mistake: it gathers every
problem with file, line and field, and raises one `InputError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._yaml import Path_, line_of, load_with_lines
from .candidates import KNOWN_PROVIDERS, LOCAL_PROVIDER, Candidate
from .datasets import load_records
from .errors import InputError, Problem
from .pricing import ExplicitPrice
from .scorers import SCORERS

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Criteria(_Strict):
    min_score: float | None = Field(None, ge=0, le=1)
    max_drop: float | None = Field(None, ge=0, le=1)
    alpha: float = Field(0.05, gt=0, le=0.5)
    reference: str | None = None


class PromptVariant(_Strict):
    system: str | None = None
    template: str | None = None
    shots: str | list[dict[str, Any]] | None = None
    answer: str | None = Field(None, description="template of the assistant turn of a shot; default: the target")


class TaskFields(_Strict):
    """Every field a task (or `defaults:`) may set; all optional here, required ones checked after merging."""

    name: str | None = None
    description: str | None = None
    task: str | None = Field(None, description="an existing inspect-ai task: file.py@task_name")
    dataset: str | list[dict[str, Any]] | None = None
    system: str | None = None
    prompt: str | None = None
    prompts: dict[str, PromptVariant] | None = None
    target: str | None = None
    cluster: str | None = None
    scorer: str | dict[str, Any] | None = None
    criteria: Criteria | None = None
    traffic_per_month: float | None = Field(None, ge=0)
    epochs: int | None = Field(None, ge=1)
    candidates: list[Candidate] | None = None


class SequentialSettings(_Strict):
    round: int = Field(50, ge=1, description="samples per round of a sequential run")


class LocalSettings(_Strict):
    hourly_usd: float | None = Field(None, ge=0, description="price of one hour of local compute")


class SuiteFile(_Strict):
    suite: str
    description: str | None = None
    seed: int = 0
    sample: int | None = Field(None, ge=1, description="default seeded subset per task for `harness run`")
    # `sequential: true` or `sequential: {round: 50}`: evaluate in rounds and stop early (docs/sequential.md)
    sequential: SequentialSettings | None = None

    @field_validator("sequential", mode="before")
    @classmethod
    def _sequential_switch(cls, value: Any) -> Any:
        # `sequential: true` is the short form of `sequential: {}` (rounds of the default size)
        if value is True:
            return {}
        if value is False or value is None or isinstance(value, dict):
            return None if value is False else value
        raise ValueError("sequential takes `true`, `false` or a mapping such as `{round: 50}`")
    local: LocalSettings = LocalSettings()
    prices: dict[str, ExplicitPrice] = Field(default_factory=dict)
    defaults: TaskFields = TaskFields()
    tasks: list[dict[str, Any]]


@dataclass(frozen=True)
class Variant:
    system: str | None
    template: str
    shots: list[dict[str, Any]]
    answer: str | None


@dataclass
class TaskDef:
    """A task after merging defaults, with its dataset loaded."""

    suite: str
    name: str
    source: Path
    candidates: list[Candidate]
    criteria: Criteria
    scorer: str = "exact"
    scorer_options: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    variants: dict[str | None, Variant] = field(default_factory=dict)
    target_field: str = "target"
    cluster_field: str | None = None
    traffic_per_month: float | None = None
    epochs: int = 1
    inspect_task: str | None = None
    description: str | None = None

    def candidate(self, cid: str) -> Candidate:
        return next(c for c in self.candidates if c.label() == cid)


@dataclass
class Suite:
    name: str
    path: Path
    tasks: list[TaskDef]
    seed: int = 0
    sample: int | None = None
    sequential_round: int | None = None  # samples per round when the suite runs sequentially
    local_hourly_usd: float | None = None
    prices: dict[str, ExplicitPrice] = field(default_factory=dict)


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
    v = _Validator(path, lines)
    if not isinstance(raw, dict):
        v.add((), "a suite file must be a mapping with `suite:` and `tasks:`", "see evalsets/*.yaml for examples")
        raise v.error()
    head = v.model(SuiteFile, raw, ())
    if head is None:
        raise v.error()
    if not head.tasks:
        v.add(("tasks",), "no tasks", "list at least one task under `tasks:`")
    tasks, names = [], set()
    for i, raw_task in enumerate(head.tasks):
        task = _resolve_task(v, head, raw_task, ("tasks", i))
        if task is None:
            continue
        if task.name in names:
            v.add(("tasks", i, "name"), f"duplicate task name {task.name!r}", "give each task a unique name")
        names.add(task.name)
        tasks.append(task)
    if v.problems:
        raise v.error()
    sequential_round = head.sequential.round if head.sequential else None
    return Suite(name=head.suite, path=path, tasks=tasks, seed=head.seed, sample=head.sample,
                 sequential_round=sequential_round,
                 local_hourly_usd=head.local.hourly_usd,
                 prices={m: p.model_copy(update={"source": f"suite prices: {path}"}) for m, p in head.prices.items()})


class _Validator:
    def __init__(self, path: Path, lines: dict[Path_, int]):
        self.path, self.lines, self.problems = path, lines, []

    def add(self, at: Path_, message: str, hint: str | None = None, line: int | None = None) -> None:
        fieldname = ".".join(str(p) for p in at) or None
        problem = Problem(str(self.path), message, line or line_of(self.lines, at), fieldname, hint)
        if problem not in self.problems:
            self.problems.append(problem)

    def model(self, cls: type[BaseModel], raw: Any, at: Path_) -> Any:
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = at + tuple(err["loc"])
                self.add(loc, err["msg"], _hint(err, cls))
            return None

    def error(self) -> InputError:
        return InputError(self.problems, title=f"invalid suite {self.path}")


def _hint(err: dict[str, Any], cls: type[BaseModel]) -> str | None:
    kind = err["type"]
    if kind == "missing":
        return f"add `{err['loc'][-1]}:`"
    if kind == "extra_forbidden":
        return "remove it, or check its spelling against the suite format in the README"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return "give a value of the expected type"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "use a value within the allowed range"
    return None


def _merge(defaults: TaskFields, task: TaskFields) -> dict[str, Any]:
    merged = defaults.model_dump(exclude_none=True)
    for key, value in task.model_dump(exclude_none=True).items():
        if key in ("criteria", "prompts") and key in merged:
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _resolve_task(v: _Validator, head: SuiteFile, raw: Any, at: Path_) -> TaskDef | None:
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
                   epochs=m.get("epochs", 1), target_field=m.get("target", "target"), cluster_field=m.get("cluster"))
    cand_at = at if "candidates" in raw else ("defaults",)
    _check_candidates(v, task, at, cand_at)
    if m.get("task"):
        _check_inspect_ref(v, task, m, at)
    else:
        _resolve_dataset_task(v, task, m, at)
    return task


def _check_candidates(v: _Validator, task: TaskDef, at: Path_, cand_at: Path_) -> None:
    ids = [c.label() for c in task.candidates]
    for i, c in enumerate(task.candidates):
        cat = cand_at + ("candidates", i)
        if "/" not in c.model or c.provider not in KNOWN_PROVIDERS:
            v.add(cat + ("model",), f"unknown model provider in {c.model!r}",
                  f"write provider/model with provider one of {', '.join(KNOWN_PROVIDERS)}")
        elif c.provider == LOCAL_PROVIDER:
            from .providers.local_models import LOCAL_MODELS

            name = c.model.split("/", 1)[1]
            if name not in LOCAL_MODELS and not name.endswith(".gguf"):
                v.add(cat + ("model",), f"unknown local model {name!r}",
                      f"use one of {', '.join(LOCAL_MODELS)} or a path to a .gguf file")
        if ids.count(c.label()) > 1:
            v.add(cat, f"duplicate candidate id {c.label()!r}", "give the candidates distinct `id:`s")
    ref = task.criteria.reference
    if ref is not None and ref not in ids:
        v.add(at + ("criteria", "reference"), f"reference {ref!r} is not a candidate of task {task.name!r}",
              f"use one of: {', '.join(ids)}")


def _check_inspect_ref(v: _Validator, task: TaskDef, m: dict[str, Any], at: Path_) -> None:
    ref = m["task"]
    file, _, fn = ref.partition("@")
    if not fn or not file.endswith(".py"):
        v.add(at + ("task",), f"{ref!r} is not of the form file.py@task_name", "write e.g. tasks.py@my_task")
    elif not (v.path.parent / file).is_file():
        v.add(at + ("task",), f"inspect task file {file!r} not found next to the suite", "check the path")
    for key in ("dataset", "prompt", "prompts"):
        if key in m:
            v.add(at + (key,), f"`{key}` does not apply to a task given by `task:` (inspect-ai defines it)",
                  f"remove `{key}`")
    task.inspect_task = str(v.path.parent / file) + "@" + fn
    task.scorer = "inspect"


def _resolve_dataset_task(v: _Validator, task: TaskDef, m: dict[str, Any], at: Path_) -> None:
    _resolve_scorer(v, task, m.get("scorer"), at + ("scorer",))
    if "dataset" not in m:
        v.add(at + ("dataset",), "missing dataset", "add `dataset:` (a .jsonl/.csv file next to the suite, or a list)")
        return
    task.records = load_records(v, m["dataset"], at + ("dataset",), task.target_field, task.cluster_field)
    if not m.get("prompt") and not any(p.get("template") for p in m.get("prompts", {}).values()):
        v.add(at + ("prompt",), "missing prompt template", "add `prompt:` with {{field}} placeholders")
        return
    variants: dict[str | None, dict[str, Any]] = dict(m.get("prompts", {}))
    if m.get("prompt") or any(c.prompt is None for c in task.candidates):
        variants[None] = PromptVariant(system=m.get("system"), template=m.get("prompt")).model_dump()
    for c in task.candidates:
        if c.prompt is not None and c.prompt not in variants:
            v.add(at + ("candidates",), f"candidate {c.label()!r} asks for prompt variant {c.prompt!r}, "
                  "which the task does not define", f"define it under `prompts:` or use one of "
                  f"{', '.join(k for k in variants if k)}")
    for key, pv in variants.items():
        _add_variant(v, task, key, pv, m, at)


def _resolve_scorer(v: _Validator, task: TaskDef, spec: Any, at: Path_) -> None:
    if spec is None:
        v.add(at, "missing scorer", f"add `scorer:` with one of {', '.join(SCORERS)}")
        return
    kind, options = (spec, {}) if isinstance(spec, str) else (spec.get("type"), {k: x for k, x in spec.items() if k != "type"})
    if kind not in SCORERS:
        v.add(at, f"unknown scorer {kind!r}", f"use one of {', '.join(SCORERS)}")
        return
    if v.model(SCORERS[kind].options, options, at) is not None:
        task.scorer, task.scorer_options = kind, options


def _add_variant(v: _Validator, task: TaskDef, key: str | None, pv: dict[str, Any], m: dict[str, Any], at: Path_) -> None:
    where = at + ("prompts", key) if key else at
    template, system = pv.get("template") or m.get("prompt"), pv.get("system") or m.get("system")
    if not template:
        v.add(where, f"prompt variant {key!r} has no template and the task has no `prompt:`", "add `template:`")
        return
    shots = pv.get("shots") or []
    if isinstance(shots, str):
        shots = load_records(v, shots, where + ("shots",), task.target_field, None)
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
