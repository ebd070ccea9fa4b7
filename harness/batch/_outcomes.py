"""What came back for one request: an answer with its usage, or a failure that may be retried.

Every provider result line is parsed here, one at a time and defensively: a
line we cannot read is skipped (its request then counts as missing and is
resubmitted), never allowed to fail the rest of a batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..checks import answer_probability as probability_of
from ..journal import Answer
from ..pricing import ExplicitPrice, PriceNotFound, Usage, costs_for_call

# HTTP statuses and error types worth another attempt: rate limits, overload, server trouble.
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
RETRYABLE_TYPES = frozenset({"rate_limit_error", "api_error", "overloaded_error", "timeout_error",
                             "server_error", "rate_limit_exceeded"})
# OpenAI non-HTTP error codes of a batch line: the request never ran.
RETRYABLE_CODES = frozenset({"batch_expired", "batch_cancelled", "request_timeout"})


@dataclass(frozen=True)
class Success:
    response: dict[str, Any]  # the provider's own response body (Message / ChatCompletion)
    usage: Usage
    latency_s: float | None = None


@dataclass(frozen=True)
class Failure:
    message: str
    retryable: bool


Outcome = Success | Failure


def anthropic_usage(u: dict[str, Any]) -> Usage:
    return Usage.from_anthropic(u.get("input_tokens") or 0, u.get("output_tokens") or 0,
                                u.get("cache_read_input_tokens") or 0, u.get("cache_creation_input_tokens") or 0)


def openai_usage(u: dict[str, Any]) -> Usage:
    cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    return Usage.from_openai(u.get("prompt_tokens") or 0, u.get("completion_tokens") or 0, cached)


def anthropic_message(message: dict[str, Any], latency_s: float | None = None) -> Outcome:
    try:
        return Success(message, anthropic_usage(message["usage"]), latency_s)
    except (KeyError, TypeError, ValueError) as exc:
        return Failure(f"unreadable Anthropic message ({exc})", retryable=True)


def openai_completion(body: dict[str, Any], latency_s: float | None = None) -> Outcome:
    try:
        body["choices"][0]["message"]
        return Success(body, openai_usage(body["usage"]), latency_s)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        return Failure(f"unreadable OpenAI chat completion ({exc})", retryable=True)


def anthropic_result(line: dict[str, Any]) -> tuple[str, Outcome]:
    """One line of Anthropic batch results -> (custom_id, outcome)."""
    result = line.get("result") or {}
    kind = result.get("type")
    if kind == "succeeded":
        return line["custom_id"], anthropic_message(result.get("message") or {})
    if kind == "errored":
        # Nested twice: result.error = {"type": "error", "error": {"type", "message"}}.
        inner = (result.get("error") or {}).get("error") or {}
        etype = inner.get("type") or "unknown_error"
        return line["custom_id"], Failure(f"{etype}: {inner.get('message', '')}".strip(), etype in RETRYABLE_TYPES)
    if kind in ("expired", "canceled"):
        return line["custom_id"], Failure(f"batch item {kind}", retryable=True)
    return line["custom_id"], Failure(f"unknown batch result type {kind!r}", retryable=True)


def openai_line(line: dict[str, Any]) -> tuple[str, Outcome]:
    """One line of an OpenAI batch output or error file -> (custom_id, outcome).

    HTTP failures carry `error: null` and the envelope in `response.body` (inspect-ai 0.3.285
    misreads exactly these); non-HTTP failures (expired, cancelled) carry `error.code`."""
    custom_id = line["custom_id"]
    error, response = line.get("error"), line.get("response")
    if error:
        code = error.get("code") or "error"
        return custom_id, Failure(f"{code}: {error.get('message', '')}".strip(), code in RETRYABLE_CODES)
    if not isinstance(response, dict):
        return custom_id, Failure("batch line without response or error", retryable=True)
    status, body = response.get("status_code") or 0, response.get("body") or {}
    if status == 200:
        return custom_id, openai_completion(body)
    inner = body.get("error") or {} if isinstance(body, dict) else {}
    message = inner.get("message", "") if isinstance(inner, dict) else str(inner)
    return custom_id, Failure(f"HTTP {status}: {message}".strip(), status in RETRYABLE_STATUS)


def parse_jsonl(text: str | bytes) -> tuple[list[dict[str, Any]], int]:
    """JSON objects of a JSONL text, and how many lines could not be read (blank lines are ignored)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    rows, bad = [], 0
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            bad += 1
            continue
        if isinstance(row, dict) and isinstance(row.get("custom_id"), str):
            rows.append(row)
        else:
            bad += 1
    return rows, bad


def to_answer(success: Success, model: str, price: dict[str, Any] | None, batch: bool) -> Answer:
    """The journal record of an answer, with what it cost (batch price when `batch`)."""
    u = success.usage
    try:
        explicit = {model: ExplicitPrice(**price)} if price else None
        cost: float | None = costs_for_call(model, u, batch=batch, cache_prompt=False, explicit=explicit).eval_usd
    except PriceNotFound:
        cost = None
    return Answer(success.response, u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens,
                  None, cost, batch=batch, latency_s=success.latency_s)


def answer_probability(logprobs: dict[str, Any] | None) -> float | None:
    """The answer's own probability from OpenAI's and llama.cpp's `choices[0].logprobs.content`, None when the
    response carries none (harness.checks.answer_probability)."""
    tokens = (logprobs or {}).get("content") or []
    return probability_of([t.get("logprob") for t in tokens if isinstance(t, dict)])


def response_confidence(provider: str, response: dict[str, Any]) -> float | None:
    if provider != "openai":
        return None
    return answer_probability(((response.get("choices") or [{}])[0]).get("logprobs"))


def response_text(provider: str, response: dict[str, Any]) -> tuple[str, str]:
    """(text, inspect stop_reason) of a stored provider response."""
    if provider == "anthropic":
        text = "".join(b.get("text", "") for b in response.get("content") or [] if b.get("type") == "text")
        reason = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "max_tokens",
                  "refusal": "content_filter"}.get(response.get("stop_reason") or "", "unknown")
        return text, reason
    choice = (response.get("choices") or [{}])[0]
    text = (choice.get("message") or {}).get("content") or ""
    reason = {"stop": "stop", "length": "max_tokens", "content_filter": "content_filter"}.get(
        choice.get("finish_reason") or "", "unknown")
    return text, reason
