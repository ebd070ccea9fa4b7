"""The suite file's format: pydantic models of what a person writes in `evalsets/*.yaml`.

These models are the reference of the format: `harness schema` prints their JSON Schema and
docs/suite-format.md is generated from it, so every description here is user documentation.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..candidates import Candidate, check_base_url, check_env_name
from ..compound import CompoundSpec
from ..criteria import Criteria
from ..pricing import ExplicitPrice


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PromptVariant(_Strict):
    """A named prompt that candidates pick with `prompt:`; unset parts come from the task."""

    system: str | None = Field(None, description="system message (default: the task's `system`)")
    template: str | None = Field(None, description="user message template with {{field}} placeholders "
                                                   "(default: the task's `prompt`)")
    shots: str | list[dict[str, Any]] | None = Field(
        None, description="few-shot examples, rendered as user/assistant turns before the sample: a .jsonl or "
                          ".csv file next to the suite, or a list of records")
    answer: str | None = Field(None, description="template of the assistant turn of a shot; default: the target")


class TaskFields(_Strict):
    """Every field a task (or `defaults:`) may set; all optional here, required ones checked after merging."""

    name: str | None = Field(None, description="the task's name, unique across the suites run together")
    description: str | None = Field(None, description="what the task is, for people")
    task: str | None = Field(None, description="an existing inspect-ai task, `file.py@task_name`, instead of a "
                                               "dataset; candidates then vary model and config")
    dataset: str | list[dict[str, Any]] | None = Field(
        None, description="records with an `id` (else their position), the target field and the fields the "
                          "prompts use: a .jsonl or .csv file next to the suite, or an inline list")
    train: str | list[dict[str, Any]] | None = Field(
        None, description="labelled records that `classifier/...` candidates are trained on, with the dataset's "
                          "fields and target: a .jsonl or .csv file next to the suite, or an inline list. They must "
                          "be disjoint from `dataset` (no shared id, no identical prompt text); docs/classifier.md")
    system: str | None = Field(None, description="system message; {{field}} inserts a record field")
    prompt: str | None = Field(None, description="user message template; {{field}} inserts a record field "
                                                 "(single braces are literal, so JSON examples are safe)")
    prompts: dict[str, PromptVariant] | None = Field(None, description="named prompt variants that candidates "
                                                                        "can pick")
    encoding: str | None = Field(None, description="text encoding of the task's dataset and shots files, e.g. cp1252 "
                                                    "or utf-16 (default: UTF-8, with or without a byte-order mark)")
    target: str | None = Field(None, description="the record field holding the expected answer (default: target)")
    cluster: str | None = Field(None, description="record field of a cluster id: samples from one template or "
                                                  "document share it, and standard errors are clustered by it")
    scorer: str | dict[str, Any] | None = Field(
        None, description="exact, includes, regex (pattern), numeric (tolerance, relative_tolerance, pick), "
                          "json_fields (fields, partial, tolerance), f1, or judge (mode, model, rubric, scale, "
                          "reference; a model grades open-ended answers, docs/judge.md); a name or "
                          "{type: ..., options}")
    criteria: Criteria | None = Field(None, description="when a candidate passes the task")
    traffic_per_month: float | None = Field(None, ge=0, description="calls per month in production, for "
                                                                    "projected costs")
    epochs: int | None = Field(None, ge=1, description="repeats per sample, averaged per sample before any "
                                                       "comparison")
    candidates: list[Candidate] | None = Field(None, description="the models + configurations to evaluate")
    compound: list[CompoundSpec] | None = Field(None, description="cascades and routers over the candidates, "
                                                                   "built from their results (docs/compound.md)")


class SequentialSettings(_Strict):
    """Evaluate in rounds and stop each candidate once it is decided (docs/sequential.md)."""

    round: int = Field(50, ge=1, description="samples per round of a sequential run")


class LocalSettings(_Strict):
    hourly_usd: float | None = Field(None, ge=0, description="price of one hour of local compute "
                                                             "(default 0.10)")


class EndpointSettings(_Strict):
    """A self-hosted OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama) that candidates name as
    `openai-compatible/<name>`; several candidates (configurations) can share one."""

    base_url: str = Field(description="the server's OpenAI API root, e.g. http://gpu-box:8000/v1 (vLLM) or "
                                      "http://localhost:11434/v1 (Ollama)")
    api_key_env: str | None = Field(None, description="environment variable holding the server's API key "
                                                      "(default: none; the SDK sends the placeholder `none`)")
    model: str | None = Field(None, description="model id the server expects in requests, e.g. a LoRA adapter's "
                                                "name (default: the endpoint's name)")
    hourly_usd: float | None = Field(None, ge=0, description="USD per hour of the server: each call costs its "
                                     "share of the measured busy time (else give per-token `prices:`)")
    max_concurrency: int = Field(4, ge=1, description="requests in flight at once, across every candidate that "
                                                      "uses the server")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value) or value

    @field_validator("api_key_env")
    @classmethod
    def _api_key_env(cls, value: str | None) -> str | None:
        return check_env_name(value)


class SuiteFile(_Strict):
    """A suite file: tasks, the candidates to evaluate on them, and how to decide."""

    suite: str = Field(description="the suite's name")
    description: str | None = Field(None, description="what the suite is, for people")
    seed: int = Field(0, description="seeds the sample subsets (and the order of a sequential run)")
    sample: int | None = Field(None, ge=1, description="default seeded subset of samples per task for "
                                                       "`harness run` (--limit overrides it, --full ignores it)")
    # `true` is accepted by the validator below (and by the JSON schema, harness/suite/_schema.py); the
    # type stays settings-or-None so a bad mapping gets one problem, not one per union member.
    sequential: SequentialSettings | None = Field(
        None, description="`true`, or `{round: N}`: evaluate in rounds and stop early (docs/sequential.md)")
    local: LocalSettings = Field(LocalSettings(), description="local models' compute price")
    prices: dict[str, ExplicitPrice] = Field(default_factory=dict, description="USD per million tokens for "
                                             "models the price library lacks, keyed by provider/model")
    endpoints: dict[str, EndpointSettings] = Field(default_factory=dict, description="self-hosted "
                                                   "OpenAI-compatible servers by name: candidates use them as "
                                                   "openai-compatible/<name>")
    defaults: TaskFields = Field(TaskFields(), description="any task field; tasks override them")
    tasks: list[dict[str, Any]] = Field(description="the tasks: each takes the fields of `defaults`")

    @field_validator("sequential", mode="before")
    @classmethod
    def _sequential_switch(cls, value: Any) -> Any:
        # `sequential: true` is the short form of `sequential: {}` (rounds of the default size)
        if value is True:
            return {}
        if value is False or value is None or isinstance(value, dict):
            return None if value is False else value
        raise ValueError("sequential takes `true`, `false` or a mapping such as `{round: 50}`")
