"""Default usage: approximate token counts and a simulation of prompt caching.

Tokens are whitespace-separated words: easy to predict in a test
("a b c" is 3 tokens). This is not any real tokenizer.

Anthropic caching (explicit): every block carrying `cache_control` (tools,
system blocks, message content blocks; a top-level `cache_control` marks the
last block) is a breakpoint. The cached prefix of a breakpoint is everything
up to and including that block (order: tools, system, messages), keyed by
model. The longest breakpoint prefix that is in the cache and not expired is
read (`cache_read`); the tokens from there up to the LAST breakpoint are
written (`cache_write`). Every breakpoint prefix is then stored or refreshed
for its TTL (`cache_control.ttl` "1h" -> 3600 s, otherwise 300 s). Prefixes
shorter than `anthropic_min_tokens` (default 0, unlike the real 1024+) are
never cached. The real API's automatic 20-block lookback is not simulated.

OpenAI caching (automatic): the prompt is the word sequence of the tools and
messages (each message adds one token for its role). Prefixes of
`openai_min_tokens` (1024) tokens and then every 128 more are remembered per
model for `openai_ttl_seconds`; `cached_tokens` is the longest remembered
prefix of the new prompt. Nothing is written explicitly.

Batch items go through the same simulation, in item order, when the batch is
processed (real batch cache hits are best-effort; here they are exact).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from ._calls import Call, Usage, content_text


def count_tokens(text: str) -> int:
    """Approximate token count: whitespace-separated words."""
    return len(text.split())


@dataclass(frozen=True)
class _Block:
    key_text: str  # what identifies the block in a prefix hash
    tokens: int
    ttl_seconds: float | None  # None: not a cache breakpoint


class SimulatedUsage:
    """The default `Script.usage`: word counts plus simulated caching."""

    def __init__(
        self,
        anthropic_min_tokens: int = 0,
        openai_min_tokens: int = 1024,
        openai_step_tokens: int = 128,
        openai_ttl_seconds: float = 300.0,
    ) -> None:
        self.anthropic_min_tokens = anthropic_min_tokens
        self.openai_min_tokens = openai_min_tokens
        self.openai_step_tokens = openai_step_tokens
        self.openai_ttl_seconds = openai_ttl_seconds
        self._expiry: dict[str, float] = {}  # prefix hash -> expiry time
        self._lock = threading.Lock()

    def __call__(self, call: Call) -> Usage:
        output = count_tokens(call.answer)
        with self._lock:
            if call.item.provider == "anthropic":
                return self._anthropic(call, output)
            return self._openai(call, output)

    # --- Anthropic -----------------------------------------------------------

    def _anthropic(self, call: Call, output: int) -> Usage:
        blocks = anthropic_blocks(call.item.body)
        total = sum(b.tokens for b in blocks)
        digest = hashlib.sha256(("anthropic\0" + call.item.model).encode())
        breakpoints: list[tuple[str, int, float]] = []  # (hash, prefix tokens, ttl)
        seen = 0
        for block in blocks:
            digest.update(b"\0" + block.key_text.encode())
            seen += block.tokens
            if block.ttl_seconds is not None and seen >= self.anthropic_min_tokens:
                breakpoints.append((digest.hexdigest(), seen, block.ttl_seconds))
        if not breakpoints:
            return Usage(total, output)
        read = max(
            (n for h, n, _ in breakpoints if self._alive(h, call.now)), default=0
        )
        written = breakpoints[-1][1] - read
        for h, _, ttl in breakpoints:
            self._expiry[h] = call.now + ttl
        ttl_label = "1h" if breakpoints[-1][2] >= 3600 else "5m"
        return Usage(total, output, read, written, ttl_label)

    # --- OpenAI --------------------------------------------------------------

    def _openai(self, call: Call, output: int) -> Usage:
        words = openai_prompt_words(call.item.body)
        digest = hashlib.sha256(("openai\0" + call.item.model).encode())
        boundaries: list[tuple[str, int]] = []
        for i, word in enumerate(words, start=1):
            digest.update(b"\0" + word.encode())
            over = i - self.openai_min_tokens
            if over >= 0 and over % self.openai_step_tokens == 0:
                boundaries.append((digest.hexdigest(), i))
        cached = max((n for h, n in boundaries if self._alive(h, call.now)), default=0)
        for h, _ in boundaries:
            self._expiry[h] = call.now + self.openai_ttl_seconds
        return Usage(len(words), output, cache_read_tokens=cached)

    def _alive(self, prefix_hash: str, now: float) -> bool:
        return self._expiry.get(prefix_hash, float("-inf")) > now


def anthropic_blocks(body: dict[str, Any]) -> list[_Block]:
    """The request as cacheable blocks, in Anthropic's prefix order."""
    blocks: list[_Block] = []
    for tool in body.get("tools") or []:
        text = json.dumps({k: v for k, v in tool.items() if k != "cache_control"})
        blocks.append(_Block("tool:" + text, count_tokens(text), _ttl(tool)))
    system = body.get("system")
    if isinstance(system, str) and system:
        blocks.append(_Block("system:" + system, count_tokens(system), None))
    elif isinstance(system, list):
        blocks.extend(_content_block("system", b) for b in system)
    for message in body.get("messages") or []:
        role = str(message.get("role", "user"))
        content = message.get("content")
        if isinstance(content, str):
            blocks.append(_Block(f"{role}:{content}", count_tokens(content), None))
        elif isinstance(content, list):
            blocks.extend(_content_block(role, b) for b in content)
    top = body.get("cache_control")
    if isinstance(top, dict) and blocks:
        last = blocks[-1]
        blocks[-1] = _Block(last.key_text, last.tokens, _ttl({"cache_control": top}))
    return blocks


def _content_block(role: str, block: Any) -> _Block:
    if not isinstance(block, dict):
        return _Block(f"{role}:{block}", count_tokens(str(block)), None)
    if block.get("type") == "text":
        text = str(block.get("text", ""))
    else:  # images, tool use/results: count their JSON
        text = json.dumps({k: v for k, v in block.items() if k != "cache_control"})
    return _Block(f"{role}:{text}", count_tokens(text), _ttl(block))


def _ttl(block: dict[str, Any]) -> float | None:
    marker = block.get("cache_control")
    if not isinstance(marker, dict):
        return None
    return 3600.0 if marker.get("ttl") == "1h" else 300.0


def openai_prompt_words(body: dict[str, Any]) -> list[str]:
    """The prompt as a word sequence: tools, then one role token + words per message."""
    words: list[str] = []
    for tool in body.get("tools") or []:
        words.extend(json.dumps(tool, sort_keys=True).split())
    for message in body.get("messages") or []:
        words.append(f"<{message.get('role', 'user')}>")
        words.extend(content_text(message.get("content")).split())
    return words
