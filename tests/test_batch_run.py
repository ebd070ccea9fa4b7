"""API candidates end to end against the fake server, through the real SDKs: `harness run` as a user runs it."""

from __future__ import annotations

import json

import pytest
from _batch_support import CLAUDE, GPT, PRICES, answer_word, env, harness, results, rows, write_suite  # noqa: F401

from harness.results import COLUMNS
from harness.testing import HttpFault, Script


@pytest.mark.parametrize("candidate", [CLAUDE, GPT], ids=["anthropic", "openai"])
def test_full_batch_run(env, tmp_path, candidate):
    fake = env(Script(answer=answer_word))
    suite = write_suite(tmp_path / "suite.yaml", [candidate], n=6)
    assert harness("run", str(suite), "--reports", str(tmp_path / "r"), "--display", "none") == 0
    df = results(tmp_path / "r")
    assert list(df.columns[: len(COLUMNS)]) == COLUMNS and len(df) == 6
    assert df["batch"].all() and df["error"].isna().all() and (df["score"] == 1).all()
    assert (df["input_tokens"] > 0).all() and (df["output_tokens"] == 1).all()
    price = PRICES[candidate["model"]]
    hand = (df["input_tokens"] * price["input"] + df["output_tokens"] * price["output"]) / 1e6
    assert df["cost_usd"].tolist() == pytest.approx((hand * 0.5).tolist(), rel=1e-9)  # batch = half price
    assert df["prod_cost_usd"].tolist() == pytest.approx(hand.tolist(), rel=1e-9)  # production: synchronous
    provider = candidate["model"].split("/")[0]
    assert fake.counters.endpoints[f"{provider}.batches.create"] == 1
    assert fake.counters.endpoints.get(f"{provider}.messages", 0) == fake.counters.endpoints.get(
        "openai.chat.completions", 0) == 0  # nothing synchronous
    assert fake.counters.each_item_once()
    # the journal holds every answer with its cost; a second run sends nothing at all
    assert rows(tmp_path / "r", "SELECT COUNT(*), SUM(via_batch) FROM requests WHERE status='answered'") == [(6, 6)]
    before = sum(fake.counters.endpoints.values())
    assert harness("run", str(suite), "--reports", str(tmp_path / "r"), "--display", "none") == 0
    assert sum(fake.counters.endpoints.values()) == before


def test_both_providers_in_one_run_and_the_journal_replays_across_deleted_logs(env, tmp_path):
    fake = env(Script(answer=answer_word))
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE, GPT], n=5)
    reports = tmp_path / "r"
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    for log in (reports / "logs").glob("*.eval"):
        log.unlink()  # inspect must rescore from the journal, paying nothing again
    before = sum(fake.counters.endpoints.values())
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    assert sum(fake.counters.endpoints.values()) == before
    df = results(reports)
    assert len(df) == 10 and df["batch"].all() and (df["score"] == 1).all()


def test_cached_prompt_cost_matches_a_hand_computation(env, tmp_path):
    """System prompt (20 words) and two few-shot turns cached: the fake reports cache writes for the first
    item of the batch and reads for the rest; cost = tokens x suite prices x 0.5 (batch)."""
    fake = env(Script(answer=answer_word))
    system = " ".join(f"rule{i}" for i in range(20))
    shots = [{"id": "x1", "text": "item alpha number 99", "target": "alpha"},
             {"id": "x2", "text": "item bravo number 98", "target": "bravo"}]
    cached = {"id": "cached", "model": "anthropic/claude-x", "max_tokens": 16, "prompt": "shots", "cache_prompt": True}
    suite = write_suite(tmp_path / "suite.yaml", [cached], n=4, system=system, shots=shots)
    assert harness("run", str(suite), "--reports", str(tmp_path / "r"), "--display", "none") == 0
    df = results(tmp_path / "r").sort_values("sample_id")
    # stable prefix = system (20) + "Text: item alpha number 99" (5) + "alpha" (1) + "Text: item bravo number 98" (5)
    # + "bravo" (1) = 32 words; each sample's own turn is "Text: item <word> number <i>" = 5 words.
    assert sorted(df["cache_write_tokens"]) == [0, 0, 0, 32] and sorted(df["cache_read_tokens"]) == [0, 32, 32, 32]
    assert (df["input_tokens"] == 5).all() and (df["output_tokens"] == 1).all()
    p = PRICES["anthropic/claude-x"]
    write_cost = (5 * p["input"] + 1 * p["output"] + 32 * p["cache_write"]) / 1e6 * 0.5
    read_cost = (5 * p["input"] + 1 * p["output"] + 32 * p["cache_read"]) / 1e6 * 0.5
    assert sorted(df["cost_usd"]) == pytest.approx(sorted([write_cost] + [read_cost] * 3), rel=1e-9)
    # production (synchronous, prefix always read from the cache):
    assert df["prod_cost_usd"].tolist() == pytest.approx([read_cost * 2] * 4, rel=1e-9)
    # the journal recorded the same cost per request, and the body really carried the cache breakpoints
    journal = rows(tmp_path / "r", "SELECT cost_usd, body FROM requests WHERE status='answered'")
    assert sorted(c for c, _ in journal) == pytest.approx(sorted(df["cost_usd"]), rel=1e-9)
    body = json.loads(journal[0][1])
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][3]["content"][0]["cache_control"] == {"type": "ephemeral"}  # last few-shot answer
    assert fake.counters.each_item_once()


def test_no_batch_runs_synchronously_and_retries_429_500_529(env, tmp_path):
    fake = env(Script(answer=answer_word))
    for status in (429, 500, 529):
        fake.script.http_faults.append(HttpFault(status, "anthropic.messages", times=1))
        fake.script.http_faults.append(HttpFault(status, "openai.chat.completions", times=1))
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE, GPT], n=3)
    assert harness("run", str(suite), "--reports", str(tmp_path / "r"), "--display", "none", "--no-batch") == 0
    df = results(tmp_path / "r")
    assert len(df) == 6 and not df["batch"].any() and df["error"].isna().all()
    assert (df["latency_s"] > 0).all()  # a synchronous call has a latency; a batch item has none
    price = PRICES["anthropic/claude-x"]
    claude = df[df["candidate"] == "claude"]
    hand = (claude["input_tokens"] * price["input"] + claude["output_tokens"] * price["output"]) / 1e6
    assert claude["cost_usd"].tolist() == pytest.approx(hand.tolist(), rel=1e-9)  # no batch discount
    # each faulted call was retried by the SDK with backoff (3 faults per provider), and generated once
    assert fake.counters.endpoints["anthropic.messages"] == 3 + 3
    assert fake.counters.endpoints["openai.chat.completions"] == 3 + 3
    assert max(r.retry_count or 0 for r in fake.counters.received("anthropic.messages")) >= 1
    assert fake.counters.each_item_once()


def test_estimate_bounds_what_the_run_then_costs(env, tmp_path, capsys):
    env(Script(answer=answer_word))
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE, GPT, {"id": "mock", "model": "mockllm/model"}], n=4)
    assert harness("estimate", str(suite)) == 0
    out = capsys.readouterr().out
    assert "claude" in out and "gpt" in out and "characters / 3" in out and "batch" in out
    total = float(out.split("total upper bound: $")[1].split()[0])
    assert harness("run", str(suite), "--reports", str(tmp_path / "r"), "--display", "none") == 0
    paid = results(tmp_path / "r")["cost_usd"].sum()
    assert 0 < paid <= total


TASK_FILE = '''
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import includes
from inspect_ai.solver import generate


@task
def words():
    return Task(dataset=[Sample(id="a", input="say alpha", target="alpha"),
                         Sample(id="b", input="say bravo", target="bravo")], solver=generate(), scorer=includes())
'''


def test_inspect_task_cells_call_the_api_synchronously_and_are_journaled(env, tmp_path, capsys):
    import yaml

    fake = env(Script(answer=answer_word))
    (tmp_path / "t.py").write_text(TASK_FILE)
    suite = tmp_path / "suite.yaml"
    suite.write_text(yaml.safe_dump({"suite": "it", "prices": PRICES, "tasks": [
        {"name": "words", "task": "t.py@words", "candidates": [CLAUDE]}]}))
    reports = tmp_path / "r"
    assert harness("run", str(suite), "--reports", str(reports), "--max-cost", "1") == 2  # cannot be bounded
    assert "cannot bound" in capsys.readouterr().err
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    df = results(reports)
    assert len(df) == 2 and (df["score"] == 1).all() and not df["batch"].any()
    assert fake.counters.endpoints["anthropic.messages"] == 2
    assert rows(reports, "SELECT COUNT(*) FROM requests WHERE status='answered' AND cost_usd > 0") == [(2,)]
    # --limit takes a seeded subset of an inspect task's samples too (and reuses the journal's answers)
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none", "--limit", "1") == 0
    assert len(results(reports)) == 1 and fake.counters.endpoints["anthropic.messages"] == 2
