"""API cells scored straight from the journal (harness/run/_journaled.py) give what inspect's eval() gives:
the same results table, and an inspect log that inspect's own readers read as they read inspect's."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from _batch_support import CLAUDE, GPT, answer_word, env, write_suite  # noqa: F401
from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_sample_summaries, read_eval_log_samples

from harness import results
from harness.journal import open_journal
from harness.run import execute, finished_logs, plan_run, send_api_requests
from harness.run._journaled import journaled, replay
from harness.suite import load_suite
from harness.testing import ItemFault, Script, text_contains

# errors, epochs, a cluster field, a cached prompt with shots, both providers and their batch APIs
CACHED = {"id": "cached", "model": "anthropic/claude-x", "max_tokens": 16, "prompt": "shots", "cache_prompt": True}
SHOTS = [{"id": "x1", "text": "item alpha number 99", "target": "alpha"}]
# every column but latency_s: inspect gives a failed sample its working time (a few ms of its own bookkeeping)
# as latency; the journal path gives it none (NaN), as every batch answer has none
SAME = [c for c in results.COLUMNS + results.TEXT_COLUMNS if c != "latency_s"]


@pytest.fixture
def shared(env, tmp_path, monkeypatch):
    """A suite whose requests are in one journal both paths read; returns (suite, journal path)."""
    env(Script(answer=answer_word, item_faults=[ItemFault("error", text_contains("number 3"), status=400,
                                                          message="bad request")]))
    journal = tmp_path / "journal.sqlite"
    monkeypatch.setenv("HARNESS_JOURNAL", str(journal))
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE, GPT, CACHED], n=7, shots=SHOTS, epochs=2,
                        cluster="group", dataset=[{"id": f"s{i}", "text": f"item {w} number {i}", "target": w,
                                                   "group": i % 3} for i, w in enumerate(["alpha", "bravo", "charlie",
                                                   "delta", "echo", "foxtrot", "golf"])])
    plan = plan_run([load_suite(suite)])
    send_api_requests(plan.cells, tmp_path / "sent", say=lambda _: None)
    return suite, journal


def _table(suite: Path, reports: Path, from_journal: bool) -> pd.DataFrame:
    outcome = execute(plan_run([load_suite(suite)]), reports, display="none", from_journal=from_journal)
    assert bool(outcome.replayed) == from_journal
    return results.from_run(outcome)


def test_the_table_is_the_one_inspect_scoring_gives(shared, tmp_path):
    suite, _ = shared
    inspect_df = _table(suite, tmp_path / "inspect", from_journal=False)
    journal_df = _table(suite, tmp_path / "journal", from_journal=True)
    assert len(journal_df) == 3 * 7 * 2 and journal_df["error"].notna().sum() == 3 * 2  # sample s3, both epochs
    pd.testing.assert_frame_equal(journal_df[SAME], inspect_df[SAME])
    ok = journal_df["error"].isna()
    assert journal_df["latency_s"][ok].isna().all() and inspect_df["latency_s"][ok].isna().all()  # batch answers
    assert (journal_df["score"][~ok] == 0).all()  # a request failed for good scores 0


def test_the_log_reads_back_through_inspect_as_inspects_own_does(shared, tmp_path):
    suite, _ = shared
    _table(suite, tmp_path / "inspect", from_journal=False)
    _table(suite, tmp_path / "journal", from_journal=True)
    ours, theirs = (results.from_inspect_logs(tmp_path / d / "logs") for d in ("journal", "inspect"))
    keys = ["task", "candidate", "sample_id", "epoch"]
    cols = [*keys, "model", "config", "score", "input_tokens", "output_tokens", "cache_read_tokens",
            "cache_write_tokens", "cost_usd", "error", "input", "output", "target", "cluster"]
    pd.testing.assert_frame_equal(ours.sort_values(keys)[cols].reset_index(drop=True),
                                  theirs.sort_values(keys)[cols].reset_index(drop=True))
    for info in list_eval_logs(str(tmp_path / "journal" / "logs")):
        log = read_eval_log(info)
        twin = next(read_eval_log(i) for i in list_eval_logs(str(tmp_path / "inspect" / "logs"))
                    if read_eval_log(i, header_only=True).eval.metadata["harness_cell"]
                    == log.eval.metadata["harness_cell"])
        assert log.status == "success" and log.eval.task == twin.eval.task and log.eval.model == twin.eval.model
        assert log.eval.dataset.sample_ids == twin.eval.dataset.sample_ids
        assert log.results.scores[0].metrics["mean"].value == pytest.approx(twin.results.scores[0].metrics["mean"].value)
        assert log.results.scores[0].metrics["stderr"].value == pytest.approx(
            twin.results.scores[0].metrics["stderr"].value)
        assert log.stats.model_usage == twin.stats.model_usage
        assert [(s.id, s.epoch) for s in log.samples] == [(s.id, s.epoch) for s in twin.samples]
        for mine, inspects in zip(log.samples, twin.samples):
            assert [m.text for m in mine.messages] == [m.text for m in inspects.messages]
            assert mine.output.completion == inspects.output.completion and mine.target == inspects.target
            assert mine.scores == inspects.scores and mine.metadata == inspects.metadata
            assert (mine.error is None) == (inspects.error is None)
            if mine.error:
                assert mine.error.message == inspects.error.message
        summaries = read_eval_log_sample_summaries(info.name)
        assert [(s.id, s.epoch, s.scores) for s in summaries] == [(s.id, s.epoch, s.scores) for s in twin.samples]
        assert len(list(read_eval_log_samples(info.name))) == len(twin.samples)
        assert log.reductions[0].samples == twin.reductions[0].samples


def test_a_finished_log_is_reused_and_the_table_still_comes_from_the_journal(shared, tmp_path):
    suite, _ = shared
    first = _table(suite, tmp_path / "r", from_journal=True)
    logs = sorted(p.name for p in (tmp_path / "r" / "logs").glob("*.eval"))
    assert len(logs) == 3 and not list((tmp_path / "r" / "logs").glob(".*"))  # no part file left behind
    second = _table(suite, tmp_path / "r", from_journal=True)
    assert sorted(p.name for p in (tmp_path / "r" / "logs").glob("*.eval")) == logs
    assert len(finished_logs(tmp_path / "r" / "logs")) == 3
    pd.testing.assert_frame_equal(first[SAME], second[SAME])


def test_a_cell_with_a_request_not_in_the_journal_is_left_to_inspect(shared, tmp_path):
    suite, journal = shared
    cell = next(c for c in plan_run([load_suite(suite)]).cells if c.candidate.label() == "gpt")
    assert journaled(cell)
    with sqlite3.connect(journal) as db:
        key = db.execute("SELECT key FROM requests WHERE model='gpt-x' AND status='answered' LIMIT 1").fetchone()[0]
        db.execute("UPDATE requests SET status='submitted' WHERE key=?", (key,))
    assert replay(cell, open_journal(journal)) is None


def test_judged_and_inspect_task_cells_are_not_journaled(tmp_path):
    (tmp_path / "suite.yaml").write_text(json.dumps({"suite": "j", "tasks": [{
        "name": "t", "dataset": [{"id": "a", "text": "x", "target": "y"}], "prompt": "{{text}}",
        "scorer": {"type": "judge", "mode": "rubric", "model": "anthropic/claude-x"},
        "candidates": [{"id": "c", "model": "anthropic/claude-x"}, {"id": "m", "model": "mockllm/model"}]}]}))
    cells = plan_run([load_suite(tmp_path / "suite.yaml")]).cells
    assert not any(journaled(c) for c in cells)
