"""A candidate's identity: model + generate config + prompt variant.

Ids are what people read in tables and routing files, so they are short and
derived from what differs; fingerprints are what caching and resume trust,
so they hash everything that can change an answer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Provider prefixes harness knows how to run (inspect-ai model names).
LOCAL_PROVIDER = "local"
BATCH_PROVIDERS = ("anthropic", "openai")
KNOWN_PROVIDERS = (LOCAL_PROVIDER, *BATCH_PROVIDERS, "mockllm")


class Candidate(BaseModel):
    """One model + configuration to evaluate on a task."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(description="inspect-ai model name, provider/model (e.g. local/smollm2-135m-instruct)")
    id: str | None = Field(None, description="name shown in tables and routing; derived when omitted")
    prompt: str | None = Field(None, description="prompt variant name (see the task's `prompts`)")
    max_tokens: int | None = Field(None, gt=0, description="output token limit (the bill's upper bound per call)")
    temperature: float | None = Field(None, ge=0, le=2, description="sampling temperature")
    top_p: float | None = Field(None, gt=0, le=1, description="nucleus sampling")
    stop: list[str] | None = Field(None, description="stop sequences: generation ends at the first of them")
    seed: int | None = Field(None, description="sampling seed, where the provider takes one")
    cache_prompt: bool = Field(False, description="cache the stable prefix (system prompt, few-shot turns): "
                                                  "Anthropic cache_control, an OpenAI prompt_cache_key")
    model_args: dict[str, Any] = Field(default_factory=dict, description="provider arguments (inspect-ai "
                                                                          "get_model model_args), e.g. n_ctx")

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0]

    def generate_config(self) -> dict[str, Any]:
        """The generate settings an SDK call needs (None values dropped)."""
        cfg = {"max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p,
               "stop_seqs": self.stop, "seed": self.seed}
        return {k: v for k, v in cfg.items() if v is not None}

    def label(self) -> str:
        return self.id or derive_id(self)


def derive_id(c: Candidate) -> str:
    """e.g. 'smollm2-135m-instruct:few_shot,t=0.7,max=32' — only the settings that were given."""
    parts = [c.prompt] if c.prompt else []
    if c.temperature is not None:
        parts.append(f"t={c.temperature:g}")
    if c.max_tokens is not None:
        parts.append(f"max={c.max_tokens}")
    if c.top_p is not None:
        parts.append(f"p={c.top_p:g}")
    if c.stop:
        parts.append("stop")
    if c.cache_prompt:
        parts.append("cache")
    name = c.model.split("/", 1)[-1]
    return f"{name}:{','.join(parts)}" if parts else name


def fingerprint(*parts: Any) -> str:
    """Stable short hash of JSON-able parts (sorted keys, so dict order never matters)."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
