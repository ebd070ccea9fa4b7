"""Shared set-up for the tests/test_batch_*.py files: a fake provider server, a suite, `harness` in-process."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from harness.cli import main
from harness.testing import FakeProviders, Item, Script

KEY = "sk-harness-test-key-7f3a9c"  # a value the key scan looks for in every file harness writes
PRICES = {
    "anthropic/claude-x": {"input": 1.0, "output": 5.0, "cache_read": 0.1, "cache_write": 1.25},
    "openai/gpt-x": {"input": 0.5, "output": 2.0, "cache_read": 0.25},
}
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


def records(n: int) -> list[dict[str, Any]]:
    return [{"id": f"s{i}", "text": f"item {WORDS[i % 10]} number {i}", "target": WORDS[i % 10]} for i in range(n)]


def answer_word(provider: str, model: str, body: dict[str, Any]) -> str:
    """The fake answers the word of the last user message: every sample scores 1."""
    from harness.testing import last_user_text

    text = last_user_text(body)
    return next((w for w in WORDS if w in text), "none")


def write_suite(path: Path, candidates: list[dict[str, Any]], n: int = 4, system: str | None = "Reply with the word.",
                shots: list[dict[str, Any]] | None = None, **task: Any) -> Path:
    t: dict[str, Any] = {"name": "words", "dataset": records(n), "prompt": "Text: {{text}}", "scorer": "includes",
                         "candidates": candidates, **task}
    if system:
        t["system"] = system
    if shots is not None:
        t["prompts"] = {"shots": {"shots": shots}}
    path.write_text(yaml.safe_dump({"suite": "api", "seed": 3, "prices": PRICES, "tasks": [t]}, sort_keys=False))
    return path


CLAUDE = {"id": "claude", "model": "anthropic/claude-x", "max_tokens": 16}
GPT = {"id": "gpt", "model": "openai/gpt-x", "max_tokens": 16}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Point the SDKs at a fresh fake server (harness runs in this process) with fast polling."""

    def start(script: Script) -> FakeProviders:
        script.api_key = KEY
        fake = FakeProviders(script).start()
        for k, v in fake.env(KEY).items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("HARNESS_POLL_SECONDS", "0.01")
        monkeypatch.setenv("HARNESS_BACKOFF_SECONDS", "0.01")
        monkeypatch.setenv("INSPECT_DISPLAY", "none")
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        started.append(fake)
        return fake

    started: list[FakeProviders] = []
    yield start
    for fake in started:
        fake.stop()


def harness(*args: str) -> int:
    return main(list(args))


def results(reports: Path) -> pd.DataFrame:
    return pd.read_parquet(reports / "results.parquet")


def rows(reports: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(reports / "journal.sqlite") as db:
        return db.execute(sql, params).fetchall()


def first_time(kind_predicate) -> Any:
    """An ItemFault predicate true only the first time a request body is seen (a transient fault)."""
    seen: set[str] = set()

    def when(item: Item) -> bool:
        key = json.dumps(item.body, sort_keys=True)
        if key in seen or not kind_predicate(item):
            return False
        seen.add(key)
        return True

    return when
