"""A suite after loading: tasks with their defaults merged, datasets read and prompts resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..candidates import Candidate
from ..criteria import Criteria
from ..pricing import ExplicitPrice


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
    variants: dict[str | None, Variant] = field(default_factory=dict)
    target_field: str = "target"
    cluster_field: str | None = None
    traffic_per_month: float | None = None
    epochs: int = 1
    inspect_task: str | None = None
    description: str | None = None

    def candidate(self, cid: str) -> Candidate:
        return next(c for c in self.candidates if c.label() == cid)


@dataclass
class Suite:
    name: str
    path: Path
    tasks: list[TaskDef]
    seed: int = 0
    sample: int | None = None
    sequential_round: int | None = None  # samples per round when the suite runs sequentially
    local_hourly_usd: float | None = None
    prices: dict[str, ExplicitPrice] = field(default_factory=dict)
