"""What the fake server is asked and answers, in provider-neutral terms: a generation request, its usage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Provider = Literal["anthropic", "openai"]


@dataclass(frozen=True)
class Usage:
    """Token usage of one generation, in provider-neutral terms.

    `prompt_tokens` counts ALL input tokens, cached ones included. The wire
    formats differ: Anthropic's `input_tokens` is
    `prompt_tokens - cache_read_tokens - cache_write_tokens`; OpenAI's
    `prompt_tokens` is this value and `cached_tokens` is `cache_read_tokens`
    (OpenAI has no documented cache-write count, so `cache_write_tokens` is
    not sent to OpenAI clients).
    """

    prompt_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_ttl: Literal["5m", "1h"] = "5m"


@dataclass(frozen=True)
class Item:
    """One generation request: a sync call, or one item of a batch."""

    provider: Provider
    body: dict[str, Any]
    custom_id: str | None = None  # None for sync calls

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def last_user_text(self) -> str:
        return last_user_text(self.body)


@dataclass(frozen=True)
class Call:
    """What a `usage` function is told about a generation it must price."""

    item: Item
    answer: str
    now: float


def last_user_text(body: dict[str, Any]) -> str:
    """Text of the last user message, for both providers' message shapes."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def content_text(content: Any) -> str:
    """Join the text of a string or a list of content blocks / parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [b.get("text", "") for b in content if isinstance(b, dict)]
        return "\n".join(t for t in texts if isinstance(t, str) and t)
    return ""
