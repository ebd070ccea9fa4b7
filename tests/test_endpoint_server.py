"""An `openai-compatible/` candidate against a REAL OpenAI-compatible server: llama-cpp-python's own
(`python -m llama_cpp.server`) serving the bundled GGUF on 127.0.0.1, beside a `local/` candidate of the same
model in process. One module-scoped server and reports folder; the tests run in file order:

- `harness run`: rows carry the server's own token counts (the journal's and a direct SDK call's), several
  requests were in flight at once, and reruns (logs kept, then logs removed) call the server zero times;
- `harness gate` judges the swap local -> endpoint from those answers, again without calling the server.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openai
import pandas as pd
import pytest
import yaml

from _gate_data import route, task_route, write_table
from harness.cli import main
from harness.journal import journal_location, open_journal
from harness.local_models import resolve_model_path
from harness.providers import EndpointStats, endpoint_stats, reset_endpoint_stats

pytestmark = pytest.mark.slow

WORDS = ["apple", "banana", "cherry", "grape", "lemon", "mango", "melon", "peach", "plum", "lime"]
LIMIT = 8
LOCAL = {"id": "local", "model": "local/smollm2-135m-instruct", "max_tokens": 8}
SERVED = {"id": "served", "model": "openai-compatible/smol", "max_tokens": 8}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    port, log = _free_port(), tmp_path_factory.mktemp("llama-server") / "server.log"
    model = resolve_model_path("smollm2-135m-instruct")
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
                                 "127.0.0.1", "--port", str(port), "--n_ctx", "2048"], stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer /v1/models in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def suite(server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = {"suite": "served", "seed": 1,
            "endpoints": {"smol": {"base_url": server, "hourly_usd": 0.5, "max_concurrency": 4}},
            "defaults": {"criteria": {"reference": "local", "max_drop": 0.3}},
            "tasks": [{"name": "echo", "dataset": [{"word": w, "target": w} for w in WORDS],
                       "system": "Repeat the user's word and nothing else.", "prompt": "{{word}}",
                       "scorer": "includes", "candidates": [LOCAL, SERVED]}]}
    path = tmp_path_factory.mktemp("served-suite") / "suite.yaml"
    path.write_text(yaml.safe_dump(text, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def reports(suite: Path) -> Path:
    return suite.parent / "reports"


def run(suite: Path, reports: Path) -> pd.DataFrame:
    assert main(["run", str(suite), "--reports", str(reports), "--limit", str(LIMIT), "--display", "none"]) == 0
    return pd.read_parquet(reports / "results.parquet")


@pytest.fixture(scope="module")
def first_run(server: str, suite: Path, reports: Path) -> tuple[pd.DataFrame, EndpointStats]:
    """The one run that calls the server: its results and what the provider counted."""
    reset_endpoint_stats()
    df = run(suite, reports)
    return df, endpoint_stats()[server]


def test_run_carries_the_servers_usage_and_keeps_requests_in_flight(server, reports, first_run):
    df, stats = first_run
    served = df[df["candidate"] == "served"].set_index("sample_id")
    assert len(served) == LIMIT and stats.calls == LIMIT
    assert stats.max_in_flight >= 2, stats  # max_concurrency 4: the cell's samples overlap at the server
    assert (served["input_tokens"] > 0).all() and (served["output_tokens"] > 0).all()
    # every row's tokens are what the server answered, as the journal recorded its raw `usage`
    rows = open_journal(journal_location(reports)).query(
        "SELECT body, response FROM requests WHERE provider='openai-compatible' AND status='answered'")
    assert len(rows) == LIMIT
    by_word = {json.loads(b)["messages"][-1]["content"]: (json.loads(b), json.loads(r)["usage"]) for b, r in rows}
    for sample in served.itertuples():
        body, usage = by_word[sample.input]
        assert (sample.input_tokens + sample.cache_read_tokens, sample.output_tokens) == (
            usage["prompt_tokens"], usage["completion_tokens"])
    # and what the server reports to a plain SDK call of the same body
    direct = openai.OpenAI(base_url=server, api_key="none").chat.completions.create(**body)
    assert (direct.usage.prompt_tokens, direct.usage.completion_tokens) == (
        sample.input_tokens + sample.cache_read_tokens, sample.output_tokens)
    assert (served["latency_s"] > 0).all() and served["cost_usd"].sum() == pytest.approx(
        stats.busy_s * 0.5 / 3600, rel=1e-6)  # $0.50/h over the busy time, shared out among the calls
    local = df[df["candidate"] == "local"].set_index("sample_id")
    assert (local["input_tokens"] == served["input_tokens"]).all()  # one model and chat template, two hosts


def test_reruns_replay_and_call_the_server_zero_times(server, suite, reports, first_run):
    first, _ = first_run
    for how in ("finished logs reused", "logs removed: the journal replays"):
        if how.startswith("logs removed"):
            shutil.rmtree(reports / "logs")
        reset_endpoint_stats()
        again = run(suite, reports)
        assert endpoint_stats()[server].calls == 0, how
        cols = ["candidate", "sample_id", "input_tokens", "output_tokens", "output", "cost_usd", "latency_s"]
        assert again[cols].equals(first[cols]), how


def test_gate_judges_the_swap_from_local_to_the_endpoint(server, suite, reports, first_run, tmp_path, capsys):
    first, _ = first_run
    config = {"max_tokens": 8}
    base = write_table(tmp_path / "base.json", {"echo": task_route("local", LOCAL["model"], **config)},
                       route("local", LOCAL["model"], **config))
    head = write_table(tmp_path / "head.json", {"echo": task_route("served", SERVED["model"], **config)},
                       route("local", LOCAL["model"], **config))
    reset_endpoint_stats()
    code = main(["gate", "--base", str(base), "--head", str(head), "--suite", str(suite), "--reports", str(reports),
                 "--limit", str(LIMIT), "--display", "none", "--markdown", str(tmp_path / "gate.md")])
    out = capsys.readouterr().out
    assert endpoint_stats()[server].calls == 0  # both sides scored from the run's answers
    assert "echo (changed)" in out, out
    outputs = first.pivot(index="sample_id", columns="candidate", values="output")
    if (outputs["local"] == outputs["served"]).all():  # greedy, same weights: the same answers, a safe swap
        assert code == 0 and "[ok] echo (changed)" in out and "+0.000" in out, out
    else:  # the two llama.cpp builds may round differently; the gate still judges it
        assert code in (0, 1), out
