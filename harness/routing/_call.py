"""Calling a route at run time: the application's SDK call, what its response says, what it cost.

harness makes no request itself: `client_fn(route, messages) -> response` is the application's own
call (its client, keys, retries, timeouts). The text, the token usage and the log-probabilities are
read from the response as the Anthropic and OpenAI SDKs shape it (objects, or their JSON as dicts;
LiteLLM's responses are OpenAI-shaped), so a caller can cost a call from the route's prices without
harness's price library. No pandas and no SDK: loading a routing table stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..checks import answer_probability

# `client_fn(route, messages)`: `route` is the step being called (a plain Route, with its model and
# settings), `messages` the chat messages in OpenAI's shape (system first, when there is one).
ClientFn = Callable[[Any, list[dict[str, str]]], Any]
CostFrom = Literal["usage", "eval mean", "unknown"]


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one call; `input_tokens` counts uncached input only, so the four never overlap."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class Call:
    """One model call a route made, and what it cost."""

    candidate: str
    model: str
    why: str  # "step 0", "agree check of step 0", "second answer of step 0"
    response: Any
    text: str
    usage: TokenUsage | None
    confidence: float | None  # the answer's probability, from its token log-probabilities
    cost_usd: float | None
    cost_from: CostFrom  # tokens × the step's prices, else the eval's mean cost per call, else unknown


@dataclass(frozen=True)
class CallResult:
    """What `route.call` returns: which step answered, its response and text, every call made, the cost."""

    step: int  # index of the step that answered (0 for a plain route)
    candidate: str
    route: Any  # the step's Route: model, settings, prompt
    response: Any
    text: str
    calls: tuple[Call, ...]
    reason: str  # why this step's answer was taken
    probability: float | None = None  # a router's predicted probability for the request

    @property
    def cost_usd(self) -> float | None:
        """Every call's cost summed (a call made for a check is paid too); None when one is unknown."""
        costs = [c.cost_usd for c in self.calls]
        return None if any(c is None for c in costs) else float(sum(costs))  # type: ignore[arg-type]


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def read_text(response: Any) -> str:
    """The answer's text: Anthropic's text blocks joined, or OpenAI's first choice; a str is its own text."""
    if isinstance(response, str):
        return response
    content = _get(response, "content")
    if isinstance(content, list):  # Anthropic Messages: content blocks
        return "".join(_get(b, "text") or "" for b in content if _get(b, "type") in (None, "text"))
    choices = _get(response, "choices")
    if choices:
        return _get(_get(choices[0], "message"), "content") or ""
    raise TypeError(f"cannot read the answer's text from a {type(response).__name__}: client_fn should return "
                    "an Anthropic Message, an OpenAI ChatCompletion (or their JSON), or the text")


def read_usage(response: Any) -> TokenUsage | None:
    """Tokens from the response's `usage`, under each provider's convention; None when it has none."""
    usage = None if isinstance(response, str) else _get(response, "usage")
    if usage is None:
        return None
    if _get(usage, "input_tokens") is not None:  # Anthropic: input_tokens excludes cache reads and writes
        return TokenUsage(int(_get(usage, "input_tokens")), int(_get(usage, "output_tokens") or 0),
                          int(_get(usage, "cache_read_input_tokens") or 0),
                          int(_get(usage, "cache_creation_input_tokens") or 0))
    if _get(usage, "prompt_tokens") is not None:  # OpenAI: prompt_tokens includes the cached ones
        cached = int(_get(_get(usage, "prompt_tokens_details"), "cached_tokens") or 0)
        return TokenUsage(int(_get(usage, "prompt_tokens")) - cached, int(_get(usage, "completion_tokens") or 0),
                          cached)
    return None


def read_confidence(response: Any) -> float | None:
    """The answer's own probability from its tokens' log-probabilities (OpenAI's `logprobs`, requested with
    logprobs=True), by the rule the eval's `confidence` column used (harness.checks.answer_probability).
    None when the response has none (Anthropic returns none)."""
    choices = None if isinstance(response, str) else _get(response, "choices")
    if not choices:
        return None
    tokens = _get(_get(choices[0], "logprobs"), "content") or []
    return answer_probability([_get(t, "logprob") for t in tokens])


def given_messages(route: Any, given: Any) -> list[dict[str, str]]:
    """Messages given as a list are sent as they are; a record is rendered with the route's own prompt."""
    if isinstance(given, list):
        return [dict(m) for m in given]
    return route.messages(given)


def call_once(client_fn: ClientFn, route: Any, messages: list[dict[str, str]], why: str) -> Call:
    response = client_fn(route, [dict(m) for m in messages])
    usage = read_usage(response)
    price = getattr(route, "price", None)
    mean = getattr(route, "cost_per_call_usd", None)
    if price is not None and usage is not None:
        cost, source = price.cost(usage), "usage"
    elif mean is not None:
        cost, source = float(mean), "eval mean"
    else:
        cost, source = None, "unknown"
    return Call(route.candidate, route.model, why, response, read_text(response), usage, read_confidence(response),
                cost, source)  # type: ignore[arg-type]


def last_user_text(messages: list[dict[str, str]]) -> str:
    """The request as a router sees it: the last user message, as the results' `input` holds it."""
    users = [m for m in messages if m.get("role") == "user"]
    content = users[-1]["content"] if users else ""
    return content if isinstance(content, str) else str(content)
