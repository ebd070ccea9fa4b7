"""The routing table's schema (`harness.routing/v2`, v1 still read): pydantic models, a route's prompt and SDK kwargs.

Every model forbids unknown fields, and routes are frozen: a route handed to application
code is a value, not something one request handler can change for the next request.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from ..criteria import Criteria
from ._prompt import PromptSpec, Record, Strict, prompt_turns, rule

if TYPE_CHECKING:
    from pydantic import SerializerFunctionWrapHandler

SCHEMA = "harness.routing/v2"
V1 = "harness.routing/v1"  # routes without a prompt block: still loaded, never written by build_table
SUPPORTED_SCHEMAS = (SCHEMA, V1)
# The Messages API rejects a call without max_tokens; inspect-ai fills in 4096 (Claude 3/3.5)
# or 32000 during evals, but an application route should not silently allow 32k-token bills.
ANTHROPIC_DEFAULT_MAX_TOKENS = 1024


class GenerateSettings(Strict):
    """A candidate's generate settings, named as inspect-ai names them (`stop_seqs`, not `stop`).

    Unset settings are left out of the JSON, as in the results table's `config` column.
    """

    max_tokens: int | None = Field(None, gt=0)
    temperature: float | None = Field(None, ge=0)
    top_p: float | None = Field(None, gt=0, le=1)
    stop_seqs: list[str] | None = None
    seed: int | None = None
    cache_prompt: bool = False
    prompt: str | None = Field(None, description="name of the prompt variant the candidate was evaluated with")
    model_args: dict[str, Any] | None = Field(None, description="provider arguments (inspect get_model model_args)")

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None}


class Route(Strict):
    """What an application needs to call the chosen model: id, model, provider, settings, and the prompt."""

    candidate: str
    model: str = Field(description="inspect-ai model name, provider/model")
    provider: str
    config: GenerateSettings = GenerateSettings()
    prompt: PromptSpec | None = Field(None, description="the prompt the route was evaluated with; absent in v1 "
                                                        "tables and for results decided without their suites")

    @model_serializer(mode="wrap")
    def _drop_no_prompt(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Absent, not null: a v1 table read and written again is still a valid v1 table.
        return {k: v for k, v in handler(self).items() if k != "prompt" or v is not None}

    def messages(self, record: Record) -> list[dict[str, str]]:
        """The chat messages the route was evaluated with, for `record`: system, the shots, the user turn.

        The shape is OpenAI's (the system prompt is the first message), which LiteLLM and
        OpenAI-compatible servers take too; for Anthropic use `anthropic_kwargs(record)`, which
        passes the system prompt as `system=`. `record` holds the template's fields, or is one
        string for a template with a single placeholder. Raises PromptError when the route has
        no prompt text (a v1 table, results without suites, a table built with --no-prompts)
        or the record lacks a field.
        """
        system, turns = self._turns(record)
        return [{"role": "system", "content": system}, *turns] if system else turns

    def _turns(self, record: Record) -> tuple[str | None, list[dict[str, str]]]:
        return prompt_turns(self.prompt, record, f"route {self.candidate!r} ({self.model})")

    @property
    def api_model(self) -> str:
        """The model name the provider's own API expects (the inspect provider prefix removed)."""
        return self.model.split("/", 1)[1] if "/" in self.model else self.model

    def anthropic_kwargs(self, record: Record | None = None, *,
                         default_max_tokens: int = ANTHROPIC_DEFAULT_MAX_TOKENS) -> dict[str, Any]:
        """Keyword arguments for `anthropic.Anthropic().messages.create(**kw)`.

        With a `record`, they hold the prompt too: `system=` and `messages=` (the shots and the
        user turn); without one, pass `messages=` yourself. `max_tokens` is required by the
        Messages API: when the candidate set none it is `default_max_tokens` (1024). Anthropic
        takes no seed, and `cache_prompt` is marked on message blocks (`cache_control`), not
        passed as a keyword, so neither appears here.
        """
        c = self.config
        kw = _set({"model": self.api_model, "max_tokens": c.max_tokens or default_max_tokens,
                   "temperature": c.temperature, "top_p": c.top_p, "stop_sequences": c.stop_seqs})
        if record is not None:
            system, turns = self._turns(record)
            kw.update(_set({"system": system}), messages=turns)
        return kw

    def openai_kwargs(self, record: Record | None = None) -> dict[str, Any]:
        """Keyword arguments for `openai.OpenAI().chat.completions.create(**kw)`; only set keys.

        With a `record`, `messages=` is included (`messages(record)`: the system prompt is the first
        message). Like inspect-ai, reasoning models (o1, o3, gpt-5, ...) get `max_completion_tokens`
        instead of `max_tokens` and no `temperature`, which those models reject.
        """
        c = self.config
        kw = {"model": self.api_model, "max_tokens": c.max_tokens, "temperature": c.temperature, "top_p": c.top_p,
              "stop": c.stop_seqs, "seed": c.seed}
        if _openai_reasoning(self.api_model):
            kw["max_completion_tokens"] = kw.pop("max_tokens")
            kw.pop("temperature")
        return self._with_messages(_set(kw), record)

    def generic_kwargs(self, record: Record | None = None) -> dict[str, Any]:
        """OpenAI-style keys for any OpenAI-compatible server (llama.cpp, vLLM); only set keys (and `messages=`)."""
        c = self.config
        return self._with_messages(_set({"model": self.api_model, "max_tokens": c.max_tokens,
                                         "temperature": c.temperature, "top_p": c.top_p, "stop": c.stop_seqs,
                                         "seed": c.seed}), record)

    def sdk_kwargs(self, record: Record | None = None) -> dict[str, Any]:
        """The kwargs for this route's provider: Anthropic, OpenAI, else the generic OpenAI-compatible shape."""
        if self.provider == "anthropic":
            return self.anthropic_kwargs(record)
        if self.provider == "openai":
            return self.openai_kwargs(record)
        return self.generic_kwargs(record)

    def _with_messages(self, kw: dict[str, Any], record: Record | None) -> dict[str, Any]:
        return kw if record is None else {**kw, "messages": self.messages(record)}


class Score(Strict):
    """Mean score with its 95% confidence interval, over `n` samples."""

    mean: float | None
    low: float | None
    high: float | None
    n: int


class Reference(Strict):
    candidate: str
    model: str
    cost_per_call_usd: float | None
    monthly_cost_usd: float | None
    score: Score


class Evidence(Strict):
    """The chosen candidate against the reference; every field null when there is nothing to compare.

    `interval` is the two-sided `confidence` (1 - 2·alpha) interval of the mean paired difference,
    so its low end is the one-sided (1 - alpha) bound; `p_value` is the non-inferiority test's own
    p-value; `p_adjusted` is the Holm-adjusted (sequential runs: Bonferroni-adjusted, anytime-valid)
    p of the candidate's whole verdict (all criteria), the number that was compared with alpha.
    """

    n: int | None = None
    difference: float | None = None
    interval: tuple[float | None, float | None] | None = None
    confidence: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    margin: float | None = None
    # the test behind it: e.g. "tango-score" (fixed-size) or "betting-cs" (a run in rounds, anytime-valid,
    # Bonferroni-adjusted p; `decided_round` is the round whose end decided the pass)
    method: str | None = None
    decided_round: int | None = None


class VerdictRow(Strict):
    candidate: str
    model: str
    status: str
    reason: str
    cost_per_call_usd: float | None
    score: float | None


class TaskRoute(Route):
    """A task's route plus what a reviewer needs to trust it: score, costs, reference, evidence, verdicts."""

    suite: str | None = None
    score: Score
    cost_per_call_usd: float | None
    monthly_cost_usd: float | None
    traffic_per_month: float | None
    reference: Reference | None
    decision: str
    criteria: Criteria  # as applied (its max_drop is the margin used); the reference is its own block
    evidence: Evidence
    verdicts: list[VerdictRow]
    notes: list[str] = Field(default_factory=list)


class Unrouted(Strict):
    """A task where no candidate passed and no reference was set: it falls back to `default`."""

    reason: str
    criteria: Criteria
    verdicts: list[VerdictRow]


class RoutingTable(BaseModel):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)

    schema_version: Literal["harness.routing/v2", "harness.routing/v1"] = Field(SCHEMA, alias="schema")
    generated_at: datetime
    harness_version: str
    source: dict[str, Any] = Field(default_factory=dict)
    default: Route
    default_from: str | None = Field(None, description="why the default is this route")
    routes: dict[str, TaskRoute] = Field(default_factory=dict)
    unrouted: dict[str, Unrouted] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _v1_has_no_prompts(self) -> RoutingTable:
        if self.schema_version == V1 and any(r.prompt for r in [self.default, *self.routes.values()]):
            raise rule(f"routes carry prompts only from {SCHEMA} on", f'write "schema": "{SCHEMA}", or regenerate '
                       "the table with `harness select`")
        return self

    def pick(self, task: str, strict: bool = False) -> Route:
        """The route for `task`; the `default` route for a task not in `routes` (unrouted or unknown).

        Falling back keeps an application serving when a new task ships before its eval does;
        `strict=True` raises KeyError instead, for applications that would rather fail.
        """
        route = self.routes.get(task)
        if route is not None:
            return route
        if strict:
            if task in self.unrouted:
                raise KeyError(f"task {task!r} has no route: {self.unrouted[task].reason}")
            raise KeyError(f"task {task!r} is not in the routing table (tasks: {', '.join(self.routes) or 'none'})")
        return self.default


def _set(kw: dict[str, Any]) -> dict[str, Any]:
    # Fresh lists: a caller appending to its stop list must not change the shared route.
    return {k: list(v) if isinstance(v, list) else v for k, v in kw.items() if v is not None}


def _openai_reasoning(name: str) -> bool:
    # Mirrors inspect-ai's needs_max_completion_tokens: o-series, and gpt-5 or later.
    name = name.lower()
    gpt = re.match(r"gpt-(\d+)", name)
    return bool(re.match(r"o\d+", name)) or (gpt is not None and int(gpt.group(1)) >= 5)
