"""A candidate's identity: model + generate config + prompt variant.

Ids are what people read in tables and routing files, so they are short and
derived from what differs; fingerprints are what caching and resume trust,
so they hash everything that can change an answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Provider prefixes harness knows how to run (inspect-ai model names).
LOCAL_PROVIDER = "local"
BATCH_PROVIDERS = ("anthropic", "openai")
# A self-hosted OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama): `openai-compatible/<endpoint name>`.
ENDPOINT_PROVIDER = "openai-compatible"
# A text classifier trained on the task's `train:` records, not an LLM: `classifier/<kind>` (docs/classifier.md).
CLASSIFIER_PROVIDER = "classifier"
CLASSIFIERS = {"tfidf-logreg": "TF-IDF features of the prompt text and a logistic regression (scikit-learn)"}
KNOWN_PROVIDERS = (LOCAL_PROVIDER, *BATCH_PROVIDERS, ENDPOINT_PROVIDER, CLASSIFIER_PROVIDER, "mockllm")
# Sent when an endpoint candidate sets no max_tokens: servers' own defaults run from 16 tokens (llama.cpp)
# to the whole context (vLLM), and an estimate needs a bound.
ENDPOINT_MAX_TOKENS = 1024
# Where an endpoint candidate is served, not how: within a suite its name says it, so cell keys and route
# matching use the suite's resolved endpoint instead of these fields (a route carries only the name).
ENDPOINT_FIELDS = frozenset({"base_url", "api_key_env"})
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ClassifierOptions(BaseModel):
    """A `classifier/...` candidate's `model_args`: how it is trained (each setting is part of its cell key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    C: float = Field(1.0, gt=0, description="inverse regularisation strength of the logistic regression")
    ngram_max: int = Field(1, ge=1, le=3, description="longest word n-gram of the TF-IDF features (1: words only)")


def check_base_url(value: str | None) -> str | None:
    """An endpoint's base URL, without a trailing slash (it is part of every journal key)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url {value!r} is not an http:// or https:// URL; write the server's OpenAI API root, "
                         "e.g. http://localhost:8000/v1")
    return value.rstrip("/")


def check_env_name(value: str | None) -> str | None:
    # The value is never echoed: a key pasted here by mistake must not end up in an error message or a log.
    if value is not None and not _ENV_NAME.fullmatch(value):
        raise ValueError("api_key_env takes the *name* of an environment variable (e.g. VLLM_API_KEY), "
                         "not the key itself")
    return value


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
    logprobs: bool = Field(False, description="record each answer's own probability (from token "
                                                "log-probabilities), for a cascade's `confidence` check: local and "
                                                "OpenAI models return them, a classifier its label's probability")
    model_args: dict[str, Any] = Field(default_factory=dict, description="provider arguments (inspect-ai "
                                                                          "get_model model_args), e.g. n_ctx; a "
                                                                          "classifier takes C and ngram_max")
    base_url: str | None = Field(None, description="openai-compatible/<name> only: the server's OpenAI API root "
                                                   "(e.g. http://localhost:8000/v1), instead of an `endpoints:` entry")
    api_key_env: str | None = Field(None, description="openai-compatible/<name> with `base_url` only: the "
                                                      "environment variable holding the server's API key")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return check_base_url(value)

    @field_validator("api_key_env")
    @classmethod
    def _api_key_env(cls, value: str | None) -> str | None:
        return check_env_name(value)

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0]

    def generate_config(self) -> dict[str, Any]:
        """The generate settings an SDK call needs (None values dropped)."""
        cfg = {"max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p,
               "stop_seqs": self.stop, "seed": self.seed, "logprobs": True if self.logprobs else None}
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


def openai_reasoning(model_id: str) -> bool:
    """An OpenAI reasoning model (o-series, gpt-5 or later): it takes max_completion_tokens instead of
    max_tokens, and only its default temperature and top_p. Mirrors inspect-ai's needs_max_completion_tokens."""
    name = model_id.lower()
    gpt = re.match(r"gpt-(\d+)", name)
    return bool(re.match(r"o\d+", name)) or (gpt is not None and int(gpt.group(1)) >= 5)


def unsent_settings(provider: str, model_id: str) -> frozenset[str]:
    """Generate settings the provider's API rejects for this model, so harness never sends them: not in an
    eval's requests (batch), and not in a route's SDK kwargs, so a route serves what was evaluated."""
    # anthropic >= 2.0 sends API version 2026-10-21, which rejects temperature and top_p on every model
    # (inspect-ai drops them too, with a warning).
    if provider == "anthropic" or openai_reasoning(model_id):
        return frozenset({"temperature", "top_p"})
    return frozenset()

