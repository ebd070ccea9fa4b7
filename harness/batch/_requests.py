"""The exact provider request bodies of a cell's samples, and their journal keys.

Both the batch submitter and the inspect provider that replays answers build
bodies here, from the same chat turns (`suite.chat_turns`) and the same
candidate settings: a body built twice must hash to the same journal key, or a
replay would miss and a request would be paid twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Protocol

from ..candidates import BATCH_PROVIDERS, Candidate, openai_reasoning, unsent_settings
from ..journal import request_key
from ..suite import Suite, TaskDef, Turn, chat_turns


class CellLike(Protocol):
    """What batch reads of a run's cell (`harness.run.Cell`): which task, candidate and samples."""

    @property
    def suite(self) -> Suite: ...

    @property
    def task(self) -> TaskDef: ...

    @property
    def candidate(self) -> Candidate: ...

    @property
    def sample_ids(self) -> tuple[str, ...]: ...

    @property
    def name(self) -> str: ...

API_PROVIDERS = BATCH_PROVIDERS  # the providers whose requests harness sends itself
# Anthropic requires max_tokens; a candidate that sets none gets this (and --max-cost bounds output by it).
DEFAULT_MAX_TOKENS = 1024
DEFAULT_BASE_URLS = {"anthropic": "https://api.anthropic.com", "openai": "https://api.openai.com/v1"}
_BASE_URL_ENV = {"anthropic": "ANTHROPIC_BASE_URL", "openai": "OPENAI_BASE_URL"}

Message = Turn  # (role, text)


def base_url_for(provider: str) -> str:
    """Where the SDK will send requests: part of every journal key, so answers from the fake server
    and from the real API never stand in for each other."""
    return (os.environ.get(_BASE_URL_ENV[provider]) or DEFAULT_BASE_URLS[provider]).rstrip("/")


@dataclass(frozen=True)
class BodySettings:
    """The candidate settings that shape a request body."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None
    cache_prompt: bool = False
    logprobs: bool = False

    @classmethod
    def from_candidate(cls, c: Candidate) -> BodySettings:
        return cls(c.max_tokens or DEFAULT_MAX_TOKENS, c.temperature, c.top_p, tuple(c.stop) if c.stop else None,
                   c.seed, c.cache_prompt, c.logprobs)

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> BodySettings:
        stop = args.get("stop")
        return cls(**{**args, "stop": tuple(stop) if stop else None})

    def to_args(self) -> dict[str, Any]:
        return {**asdict(self), "stop": list(self.stop) if self.stop else None}


def dropped_settings(provider: str, model_id: str, s: BodySettings) -> list[str]:
    """Settings a candidate gives that the provider's API would reject, so harness does not send them."""
    unsent = unsent_settings(provider, model_id)
    return [n for n in ("temperature", "top_p") if n in unsent and getattr(s, n) is not None]


def build_body(provider: str, model_id: str, messages: list[Message], s: BodySettings) -> dict[str, Any]:
    if provider == "anthropic":
        return _anthropic_body(model_id, messages, s)
    if provider == "openai":
        return _openai_body(model_id, messages, s)
    raise ValueError(f"no batch API for provider {provider!r}")


def _anthropic_body(model_id: str, messages: list[Message], s: BodySettings) -> dict[str, Any]:
    system = [{"type": "text", "text": text} for role, text in messages if role == "system"]
    turns: list[dict[str, Any]] = [{"role": role, "content": text} for role, text in messages if role != "system"]
    if s.cache_prompt:
        # The stable prefix is the system prompt and the few-shot turns: one breakpoint after each
        # (Anthropic allows four). The first request writes them; the others read them at 1/10 price.
        if system:
            system[-1]["cache_control"] = {"type": "ephemeral"}
        last_shot = max((i for i, t in enumerate(turns[:-1]) if t["role"] == "assistant"), default=None)
        if last_shot is not None:
            turns[last_shot]["content"] = [{"type": "text", "text": turns[last_shot]["content"],
                                            "cache_control": {"type": "ephemeral"}}]
    body: dict[str, Any] = {"model": model_id, "max_tokens": s.max_tokens, "messages": turns}
    if system:
        body["system"] = system
    if s.stop:
        body["stop_sequences"] = list(s.stop)
    return body


def _openai_body(model_id: str, messages: list[Message], s: BodySettings) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model_id, "messages": [{"role": r, "content": t} for r, t in messages]}
    body["max_completion_tokens" if openai_reasoning(model_id) else "max_tokens"] = s.max_tokens
    unsent = unsent_settings("openai", model_id)
    body.update({k: v for k, v in (("temperature", s.temperature), ("top_p", s.top_p)) if v is not None
                 and k not in unsent})
    if s.stop:
        body["stop"] = list(s.stop)
    if s.seed is not None:
        body["seed"] = s.seed
    if s.logprobs:
        body["logprobs"] = True
    if s.cache_prompt:
        # OpenAI caches long prefixes by itself; a cache key per stable prefix routes the requests
        # that share it to the same cache.
        prefix = json.dumps(messages[:-1]).encode()
        body["prompt_cache_key"] = "harness-" + hashlib.sha256(prefix).hexdigest()[:24]
    return body


def journal_key(provider: str, base_url: str, model_id: str, body: dict[str, Any], epoch: int) -> str:
    # Epochs repeat an identical body; each is its own answer (and its own payment).
    return request_key(provider, base_url, model_id, {"body": body, "epoch": epoch})


@dataclass(frozen=True)
class ApiRequest:
    """One request of one sample × epoch of a cell, ready to be sent."""

    key: str
    provider: str
    base_url: str
    model_id: str  # the provider's model id, e.g. claude-3-5-haiku-latest
    body: dict[str, Any]
    epoch: int

    @property
    def model(self) -> str:
        """provider/model, as suites and prices name it."""
        return f"{self.provider}/{self.model_id}"


def make_request(provider: str, model_id: str, messages: list[Message], s: BodySettings, epoch: int) -> ApiRequest:
    base_url = base_url_for(provider)
    body = build_body(provider, model_id, messages, s)
    return ApiRequest(journal_key(provider, base_url, model_id, body, epoch), provider, base_url, model_id, body, epoch)


def cell_requests(cell: CellLike) -> list[ApiRequest]:
    """Every request of a dataset cell (sample × epoch), in dataset order."""
    t, c = cell.task, cell.candidate
    provider, model_id = c.model.split("/", 1)
    settings, variant, wanted = BodySettings.from_candidate(c), t.variants[c.prompt], set(cell.sample_ids)
    out = []
    for record in t.records:
        if record["id"] not in wanted:
            continue
        messages = chat_turns(variant, record, t.target_field)
        out += [make_request(provider, model_id, messages, settings, epoch) for epoch in range(1, t.epochs + 1)]
    return out


def is_batchable(cell: CellLike) -> bool:
    """API cells whose requests harness can build ahead of inspect (a dataset, not an inspect task)."""
    return cell.candidate.provider in API_PROVIDERS and cell.task.inspect_task is None


def uses_api(c: Candidate) -> bool:
    return c.provider in API_PROVIDERS


def setting_notes(cells: Iterable[CellLike]) -> list[str]:
    """One line per candidate whose settings harness does not send (the provider would reject them)."""
    notes = {}
    for cell in cells:
        c = cell.candidate
        if uses_api(c):
            dropped = dropped_settings(c.provider, c.model.split("/", 1)[1], BodySettings.from_candidate(c))
            if dropped:
                it = "it" if len(dropped) == 1 else "them"
                notes[c.label()] = (f"{c.label()}: {' and '.join(dropped)} not sent, the {c.provider} API rejects "
                                    f"{it} for {c.model} (docs/batch.md)")
    return list(notes.values())
