"""A route: the model, settings and prompt of one candidate, its SDK kwargs, its messages, and `call`.

Every model forbids unknown fields, and routes are frozen: a route handed to application code is a
value, not something one request handler can change for the next request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, model_serializer

from ..candidates import openai_reasoning, unsent_settings
from ._call import CallResult, ClientFn, call_once, given_messages
from ._prompt import PromptSpec, Record, Strict, prompt_turns

if TYPE_CHECKING:
    from pydantic import SerializerFunctionWrapHandler

# The Messages API rejects a call without max_tokens; inspect-ai fills in 4096 (Claude 3/3.5)
# or 32000 during evals, but an application route should not silently allow 32k-token bills.
ANTHROPIC_DEFAULT_MAX_TOKENS = 1024
# Keys a route writes only when set: a v1 table read and written again is still a valid v1 table,
# and a v2 table without compound routes is what it was before they existed.
_ABSENT_WHEN_NONE = ("prompt", "compound")


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
    logprobs: bool | None = Field(None, description="the candidate recorded its answers' log-probabilities (true, "
                                                    "or absent)")
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
    def _drop_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if k not in _ABSENT_WHEN_NONE or v is not None}

    def call(self, client_fn: ClientFn, messages_or_record: Any) -> CallResult:
        """Call the route through `client_fn(route, messages) -> response` (the application's SDK call).

        `messages_or_record` is a record of the prompt's fields (or one string), rendered with
        `messages()`, or a list of chat messages sent as they are. A compound route (`TaskRoute`)
        tries its steps and applies its checks; a plain route makes one call. The result says which
        step answered, with its response and text, every call made and their cost.
        """
        self._single()
        made = call_once(client_fn, self, given_messages(self, messages_or_record), "step 0")
        return CallResult(0, self.candidate, self, made.response, made.text, (made,), "a plain route: one call")

    def _single(self) -> None:
        """Refuse what only a one-model route can do (TaskRoute refuses it for a compound route)."""

    def messages(self, record: Record) -> list[dict[str, str]]:
        """The chat messages the route was evaluated with, for `record`: system, the shots, the user turn.

        The shape is OpenAI's (the system prompt is the first message), which LiteLLM and
        OpenAI-compatible servers take too; for Anthropic use `anthropic_kwargs(record)`, which
        passes the system prompt as `system=`. `record` holds the template's fields, or is one
        string for a template with a single placeholder. Raises PromptError when the route has
        no prompt text (a v1 table, results without suites, a table built with --no-prompts)
        or the record lacks a field.
        """
        self._single()
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
        takes no seed, temperature or top_p (the current API rejects the last two), and
        `cache_prompt` is marked on message blocks (`cache_control`), not passed as a keyword,
        so none of these appears here.
        """
        self._single()
        c = self.config
        kw = self._sendable({"model": self.api_model, "max_tokens": c.max_tokens or default_max_tokens,
                             "temperature": c.temperature, "top_p": c.top_p, "stop_sequences": c.stop_seqs})
        if record is not None:
            system, turns = self._turns(record)
            kw.update(_set({"system": system}), messages=turns)
        return kw

    def openai_kwargs(self, record: Record | None = None) -> dict[str, Any]:
        """Keyword arguments for `openai.OpenAI().chat.completions.create(**kw)`; only set keys.

        With a `record`, `messages=` is included (`messages(record)`: the system prompt is the first
        message). Like inspect-ai, reasoning models (o1, o3, gpt-5, ...) get `max_completion_tokens`
        instead of `max_tokens` and no `temperature` or `top_p`, which those models reject.
        """
        self._single()
        c = self.config
        kw = {"model": self.api_model, "max_tokens": c.max_tokens, "temperature": c.temperature, "top_p": c.top_p,
              "stop": c.stop_seqs, "seed": c.seed, **self._logprobs()}
        if openai_reasoning(self.api_model):
            kw["max_completion_tokens"] = kw.pop("max_tokens")
        return self._with_messages(self._sendable(kw), record)

    def generic_kwargs(self, record: Record | None = None) -> dict[str, Any]:
        """OpenAI-style keys for any OpenAI-compatible server (llama.cpp, vLLM); only set keys (and `messages=`)."""
        self._single()
        c = self.config
        return self._with_messages(_set({"model": self.api_model, "max_tokens": c.max_tokens,
                                         "temperature": c.temperature, "top_p": c.top_p, "stop": c.stop_seqs,
                                         "seed": c.seed, **self._logprobs()}), record)

    def sdk_kwargs(self, record: Record | None = None) -> dict[str, Any]:
        """The kwargs for this route's provider: Anthropic, OpenAI, else the generic OpenAI-compatible shape."""
        if self.provider == "anthropic":
            return self.anthropic_kwargs(record)
        if self.provider == "openai":
            return self.openai_kwargs(record)
        return self.generic_kwargs(record)

    def request_kwargs(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        """The provider's SDK kwargs for messages already built (OpenAI's shape, as `call` passes them to
        `client_fn`): for Anthropic a leading system message becomes `system=`."""
        if self.provider != "anthropic":
            return {**self.sdk_kwargs(), "messages": [dict(m) for m in messages]}
        system = [m["content"] for m in messages if m.get("role") == "system"]
        rest = [dict(m) for m in messages if m.get("role") != "system"]
        return {**self.anthropic_kwargs(), **({"system": "\n\n".join(system)} if system else {}), "messages": rest}

    def _sendable(self, kw: dict[str, Any]) -> dict[str, Any]:
        # What the eval sent (candidates.unsent_settings, as batch builds its bodies): a route serves that.
        unsent = unsent_settings(self.provider, self.api_model)
        return _set({k: v for k, v in kw.items() if k not in unsent})

    def _logprobs(self) -> dict[str, Any]:
        # Anthropic's Messages API returns no log-probabilities; OpenAI-compatible ones do when asked.
        return {"logprobs": True} if self.config.logprobs and self.provider != "anthropic" else {}

    def _with_messages(self, kw: dict[str, Any], record: Record | None) -> dict[str, Any]:
        return kw if record is None else {**kw, "messages": self.messages(record)}



def _set(kw: dict[str, Any]) -> dict[str, Any]:
    # Fresh lists: a caller appending to its stop list must not change the shared route.
    return {k: list(v) if isinstance(v, list) else v for k, v in kw.items() if v is not None}

