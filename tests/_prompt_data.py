"""Suites with prompt variants and results for them, for the routing tests of prompts and exports."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from harness.results import validate
from harness.suite import Suite, load_suite

ROOT = Path(__file__).resolve().parents[1]

# One task per kind of route: an Anthropic model with few-shot turns and a system prompt that uses a
# record field, an OpenAI model with a two-field template, a local model with a one-field template.
THREE_PROVIDERS = """\
suite: apps
tasks:
  - name: tickets
    dataset:
      - {id: 1, channel: email, text: "I was charged twice", label: billing}
      - {id: 2, channel: chat, text: "The app crashes on start", label: technical}
    target: label
    system: "You route {{channel}} tickets. Reply with one word."
    prompt: "Ticket: {{text}}\\nQueue:"
    prompts:
      few_shot:
        shots:
          - {channel: email, text: "Where is my parcel?", label: shipping}
          - {channel: chat, text: "Reset my password", label: account}
    traffic_per_month: 1000
    scorer: exact
    criteria: {min_score: 0.5}
    candidates:
      - {id: haiku, model: anthropic/claude-3-5-haiku-latest, prompt: few_shot, max_tokens: 4, temperature: 0}
  - name: extract
    dataset:
      - {id: 1, text: "Ann from Oslo paid 12", lang: en, target: '{"name": "Ann"}'}
    system: "Extract the name as JSON."
    prompt: "Language: {{lang}}\\nMessage: {{text}}\\nJSON:"
    scorer: exact
    criteria: {min_score: 0.5}
    candidates:
      - {id: mini, model: openai/gpt-4o-mini, max_tokens: 32, seed: 7, stop: ["END"]}
  - name: chat
    dataset:
      - {id: 1, question: "2+2?", target: "4"}
    prompt: "Q: {{question}}\\nA:"
    scorer: exact
    criteria: {min_score: 0.5}
    candidates:
      - {id: smol, model: local/smollm2-135m-instruct, max_tokens: 8}
"""


def three_providers(tmp_path: Path) -> Suite:
    path = tmp_path / "apps.yaml"
    path.write_text(THREE_PROVIDERS, encoding="utf-8")
    return load_suite(path)


def support() -> Suite:
    """The committed support suite (its few-shot candidates are what `make run` routes)."""
    return load_suite(ROOT / "evalsets" / "support.yaml")


def results(suites: list[Suite], winners: dict[str, str] | None = None, n: int = 60) -> pd.DataFrame:
    """A results table as harness writes it: every candidate scores 1.0, except that when a task names
    a winner in `winners`, every other candidate scores 0.0."""
    rows = []
    for suite in suites:
        for task in suite.tasks:
            for c in task.candidates:
                won = winners is None or task.name not in winners or winners[task.name] == c.label()
                config = json.dumps(c.model_dump(exclude_none=True, exclude={"id", "model"}), sort_keys=True)
                rows += [{"suite": suite.name, "task": task.name, "candidate": c.label(), "model": c.model,
                          "config": config, "sample_id": str(i), "score": 1.0 if won else 0.0,
                          "cost_usd": 0.001, "prod_cost_usd": 0.001} for i in range(n)]
    return validate(pd.DataFrame(rows), "test")
