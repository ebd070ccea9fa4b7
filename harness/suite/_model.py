"""A suite after loading: tasks with their defaults merged, datasets read and prompts resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..candidates import ENDPOINT_PROVIDER, Candidate
from ..criteria import Criteria
from ..pricing import ExplicitPrice, HourlyPrice


@dataclass(frozen=True)
class Variant:
    """A prompt as candidates see it: system message, user template, few-shot records, shot answer template."""

    system: str | None
    template: str
    shots: list[dict[str, Any]]
    answer: str | None


@dataclass
class TaskDef:
    """A task after merging defaults, with its dataset loaded."""

    suite: str
    name: str
    source: Path
    candidates: list[Candidate]
    criteria: Criteria
    scorer: str = "exact"
    scorer_options: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    train_records: list[dict[str, Any]] = field(default_factory=list)  # `train:`, for classifier/ candidates
    variants: dict[str | None, Variant] = field(default_factory=dict)
    target_field: str = "target"
    cluster_field: str | None = None
    traffic_per_month: float | None = None
    epochs: int = 1
    inspect_task: str | None = None
    description: str | None = None
    compound: list[Any] = field(default_factory=list)  # CascadeSpec | RouterSpec (harness.compound)

    def candidate(self, cid: str) -> Candidate:
        return next(c for c in self.candidates if c.label() == cid)


@dataclass(frozen=True)
class Endpoint:
    """A self-hosted OpenAI-compatible server as `openai-compatible/<name>` candidates reach it."""

    name: str
    base_url: str
    model: str  # the model id sent in requests
    api_key_env: str | None = None
    max_concurrency: int = 4
    hourly_usd: float | None = None

    def identity(self) -> tuple[str, str]:
        """What changes its answers: the server and the model it is asked for (not the key, not the price)."""
        return self.base_url, self.model


@dataclass
class Suite:
    name: str
    path: Path
    tasks: list[TaskDef]
    seed: int = 0
    sample: int | None = None
    sequential_round: int | None = None  # samples per round when the suite runs sequentially
    local_hourly_usd: float | None = None
    prices: dict[str, ExplicitPrice | HourlyPrice] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)  # by name: `endpoints:` and candidates' base_url

    def endpoint(self, c: Candidate) -> Endpoint | None:
        """The server of an `openai-compatible/<name>` candidate (None for other providers)."""
        return self.endpoints.get(c.model.split("/", 1)[1]) if c.provider == ENDPOINT_PROVIDER else None
