"""The generation bounds of a request (stop sequences, a token limit), applied to a scripted answer.

The real APIs never return more than `max_tokens` tokens, and cut at a stop sequence; a fake that
ignored both would report usage above what harness's estimate bounds. Tokens here are the words
of `count_tokens`, so a test can predict where the cut falls.

Both bounds are applied as a generation meets them, word by word: a stop sequence counts only if
the text up to its end fits in the limit (the model must have generated it), otherwise the limit
is met first. The provider modules map `Bounded.reason` to their own wire names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from ._calls import Provider
from ._usage import count_tokens

Reason = Literal["end", "limit", "stop_sequence"]
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Bounded:
    """The text a generation returns, and why it ended there."""

    text: str
    reason: Reason = "end"
    stop_sequence: str | None = None  # the matched sequence, when reason == "stop_sequence"


def stop_sequences(provider: Provider, body: dict[str, Any]) -> list[str]:
    """Anthropic's `stop_sequences` (a list); OpenAI's `stop` (a string or a list)."""
    value = body.get("stop_sequences" if provider == "anthropic" else "stop")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    # An empty sequence would match everywhere; the real APIs reject it, the fake ignores it.
    return [s for s in value if isinstance(s, str) and s]


def token_limit(provider: Provider, body: dict[str, Any]) -> int | None:
    """Anthropic's `max_tokens`; OpenAI's `max_completion_tokens`, else its deprecated `max_tokens`."""
    value = body.get("max_tokens")
    if provider == "openai" and body.get("max_completion_tokens") is not None:
        value = body["max_completion_tokens"]
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return max(0, value)


def bound(provider: Provider, body: dict[str, Any], text: str) -> Bounded:
    """`text` as the request's bounds let it come back."""
    limit = token_limit(provider, body)
    match = _earliest_stop(text, stop_sequences(provider, body))
    if match is not None:
        start, sequence = match
        if limit is None or count_tokens(text[: start + len(sequence)]) <= limit:
            return Bounded(text[:start], "stop_sequence", sequence)
    if limit is not None and count_tokens(text) > limit:
        return Bounded(_first_words(text, limit), "limit")
    return Bounded(text)


def _earliest_stop(text: str, sequences: list[str]) -> tuple[int, str] | None:
    """(where, which) of the stop sequence that starts first; of two starting together the shorter,
    which a generation completes first."""
    found = [(i, len(s), s) for s in sequences if (i := text.find(s)) >= 0]
    if not found:
        return None
    start, _, sequence = min(found)
    return start, sequence


def _first_words(text: str, n: int) -> str:
    """The original text up to the end of its n-th word (whitespace inside kept as it was)."""
    if n <= 0:
        return ""
    ends = [m.end() for m in _WORD.finditer(text)]
    return text[: ends[n - 1]] if len(ends) >= n else text
