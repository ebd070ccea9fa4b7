"""The bridge from our pure scorer functions to an inspect-ai scorer."""

from __future__ import annotations

import json
from typing import Any

from inspect_ai.scorer import Score, Scorer, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState

from ._registry import SCORERS, score_text


@scorer(metrics=[mean(), stderr()], name="harness_score")
def harness_scorer(kind: str, options: dict[str, Any] | None = None) -> Scorer:
    if kind not in SCORERS:
        raise ValueError(f"unknown scorer {kind!r}")
    opts = dict(options or {})

    async def score(state: TaskState, target: Target) -> Score:
        # The raw target (number, dict, list) travels in metadata because
        # inspect's Target holds strings only.
        raw = state.metadata.get("target", target.text)
        output = state.output.completion if state.output else ""
        value = score_text(kind, opts, output, raw)
        return Score(value=value, answer=output, explanation=f"{kind} vs {json.dumps(raw, default=str)}")

    return score
