"""End to end on the real local model: `harness run` as a user runs it, and resume after kill -9."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from harness import routing

from harness.results import COLUMNS

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # the real local model, in subprocesses


def harness(*args: str, cwd: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})


def test_run_limit_on_bundled_suites(tmp_path):
    proc = harness("run", "--limit", "3", "--reports", str(tmp_path), "--display", "none")
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    df = pd.read_parquet(tmp_path / "results.parquet")
    assert list(df.columns[: len(COLUMNS)]) == COLUMNS
    cells = df.groupby(["task", "candidate"]).size()
    assert len(cells) == 11 and (cells == 3).all()  # 3 tasks × 4, 3 and 4 candidates × 3 samples
    assert df["score"].between(0, 1).all()
    llm = df[df["model"].str.startswith("local/")]  # the classifier reads no tokens
    assert len(llm) == 30 and (llm["input_tokens"] > 0).all() and (llm["output_tokens"] > 0).all()
    assert (df["latency_s"] > 0).all() and (df["prod_cost_usd"] > 0).all()
    # every candidate of a task saw the same samples (paired by construction)
    per_task = df.groupby("task").apply(lambda g: g.groupby("candidate")["sample_id"].apply(frozenset).nunique())
    assert (per_task == 1).all()
    assert "seeded subset of 3" in out and "score [95% CI]" in out
    assert len(pd.read_csv(tmp_path / "results.csv")) == len(df)

    # selection ran and its routing table serves every task
    assert "projected monthly cost" in out
    table = routing.load(tmp_path / "routing.json")
    for task in df["task"].unique():
        route = table.pick(task, strict=True)
        assert route.model in set(df.loc[df["task"] == task, "model"])
        if route.model.startswith("local/"):
            kwargs = route.sdk_kwargs()
            assert kwargs["max_tokens"] > 0 and "temperature" in kwargs
    litellm = yaml.safe_load(routing.to_litellm_yaml(table))
    assert len(litellm["model_list"]) == len(table.routes) + 1  # one per route, plus the default


SUITE = """\
suite: resume
tasks:
  - name: routing
    dataset: {data}
    target: label
    cluster: cluster
    system: Reply with one word, billing, technical, account or shipping.
    prompt: "Ticket: {{{{text}}}}\\nQueue:"
    scorer: exact
    candidates:
      - {{id: short, model: local/smollm2-135m-instruct, max_tokens: 4}}
      - {{id: long, model: local/smollm2-135m-instruct, max_tokens: 24}}
"""


def answered(journal: Path) -> dict[str, int]:
    if not journal.exists():
        return {}
    with sqlite3.connect(journal) as db:
        try:
            return dict(db.execute("SELECT key, sent_count FROM requests WHERE status='answered'").fetchall())
        except sqlite3.OperationalError:  # schema not created yet
            return {}


def test_resume_after_kill_does_not_recompute_finished_samples(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE.format(data=ROOT / "evalsets" / "data" / "tickets.jsonl"))
    reports, journal = tmp_path / "reports", tmp_path / "reports" / "journal.sqlite"
    args = ("run", str(suite), "--limit", "12", "--reports", str(reports), "--display", "none")

    first = harness(*args)
    deadline = time.monotonic() + 300
    while len(answered(journal)) < 8 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, "the run finished before it could be killed; raise --limit"
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = answered(journal)
    assert 8 <= len(before) < 24

    second = harness(*args)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    after = answered(journal)
    assert len(after) == 24  # 2 candidates × 12 samples, each answered once
    assert all(after[k] == 1 for k in before), "a sample answered before the kill was sent to the model again"
    df = pd.read_parquet(reports / "results.parquet")
    assert len(df) == 24 and df["score"].notna().all()

    # A third run reuses the finished cells whole: nothing is sent at all.
    third = harness(*args)
    third.communicate(timeout=300)
    assert answered(journal) == after


def test_a_local_candidate_with_logprobs_records_its_answers_probability(tmp_path):
    suite = tmp_path / "suite.yaml"
    text = SUITE.format(data=ROOT / "evalsets" / "data" / "tickets.jsonl")
    text = text.replace("max_tokens: 4}", "max_tokens: 4, logprobs: true}")
    suite.write_text(text)
    proc = harness("run", str(suite), "--limit", "5", "--reports", str(tmp_path / "r"), "--display", "none")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    df = pd.read_parquet(tmp_path / "r" / "results.parquet")
    short, long = df[df["candidate"] == "short"], df[df["candidate"] == "long"]
    assert short["confidence"].between(0, 1, inclusive="right").all(), short["confidence"]
    assert short["confidence"].nunique() > 1  # a real probability per answer, not a constant
    assert long["confidence"].isna().all()
