"""`harness run --sequential` end to end against the fake API server, in batch mode, through the real SDKs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from _batch_support import PRICES, WORDS, env, harness, results, write_suite  # noqa: F401
from _gate_data import task_route, write_table

from harness.testing import Script, last_user_text

pytest_plugins = ["pytester"]

N, ROUND = 200, 20
MODELS = {
    "ref": "anthropic/claude-big",  # what runs today: always right
    "bad": "openai/gpt-bad",  # the cheapest: always wrong
    "good": "anthropic/claude-small",  # cheap and always right: the one to pick
    "pricey": "openai/gpt-mid",  # dearer than good, right 90% of the time
}
SEQ_PRICES = {
    **PRICES,
    "anthropic/claude-big": {"input": 10.0, "output": 50.0},
    "openai/gpt-bad": {"input": 0.1, "output": 0.4},
    "anthropic/claude-small": {"input": 0.5, "output": 2.5},
    "openai/gpt-mid": {"input": 2.0, "output": 8.0},
}


def answer(provider: str, model: str, body: dict) -> str:
    text = last_user_text(body)
    word = next((w for w in WORDS if w in text), "none")
    number = int(text.rsplit(" ", 1)[-1])
    if model == "gpt-bad" or (model == "gpt-mid" and number % 10 == 3):
        return "none"
    return word


def _suite(tmp_path, sequential: bool):
    candidates = [{"id": k, "model": m, "max_tokens": 16} for k, m in MODELS.items()]
    path = write_suite(tmp_path / ("seq.yaml" if sequential else "fixed.yaml"), candidates, n=N,
                       criteria={"reference": "ref", "max_drop": 0.2})
    suite = __import__("yaml").safe_load(path.read_text())
    suite["prices"] = SEQ_PRICES
    if sequential:
        suite["sequential"] = {"round": ROUND}
    path.write_text(__import__("yaml").safe_dump(suite, sort_keys=False))
    return path


def _routes(reports) -> dict[str, str]:
    table = json.loads((reports / "routing.json").read_text())
    return {task: r["candidate"] for task, r in table["routes"].items()}


def _documented_output() -> list[str]:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "running.md").read_text()
    (block,) = [b for b in re.findall(r"```text\n(.*?)```", doc, flags=re.S) if b.startswith("round 1:")]
    return [line for line in block.splitlines() if line.strip() and line.strip() != "..."]


def test_sequential_batch_run_stops_early_drops_candidates_and_picks_what_the_full_run_picks(env, tmp_path, capsys):
    fake = env(Script(answer=answer))
    reports = tmp_path / "seq"
    assert harness("run", str(_suite(tmp_path, True)), "--reports", str(reports), "--display", "none") == 0
    printed = capsys.readouterr().out.splitlines()
    assert all(line in printed for line in _documented_output())  # docs/running.md shows this run's real output
    df = results(reports)
    per = df.groupby("candidate")["sample_id"].nunique()
    sent = {k: fake.counters.models[(m.split("/")[0], m.split("/")[1])] for k, m in MODELS.items()}
    # what the fake received is what the results hold: nothing was sent for samples nobody scored
    assert sent == per.to_dict()
    last_round = df.groupby("candidate")["round"].max()
    # bad fails within two rounds and gets nothing after; good passes; the run stops long before N
    assert last_round["bad"] <= 2 and sent["bad"] == ROUND * last_round["bad"]
    assert sent["ref"] < N and sent["good"] < N and sent["pricey"] <= sent["good"]
    assert df["batch"].all() and fake.counters.each_item_once()
    # one batch per candidate per round: the endpoint counts match the rounds each model ran
    rounds = df.groupby("model")["round"].nunique()
    by_provider = rounds.groupby(lambda m: m.split("/")[0]).sum()
    assert fake.counters.endpoints["anthropic.batches.create"] == by_provider["anthropic"]
    assert fake.counters.endpoints["openai.batches.create"] == by_provider["openai"]

    fixed = tmp_path / "fixed"
    assert harness("run", str(_suite(tmp_path, False)), "--reports", str(fixed), "--display", "none") == 0
    assert len(results(fixed)) == N * len(MODELS)
    assert _routes(reports) == _routes(fixed) == {"words": "good"}
    evidence = json.loads((reports / "routing.json").read_text())["routes"]["words"]["evidence"]
    assert evidence["method"] == "betting-cs" and evidence["decided_round"] == last_round["good"]
    assert evidence["interval"][0] > -0.2 and evidence["p_adjusted"] <= 0.05
    fixed_evidence = json.loads((fixed / "routing.json").read_text())["routes"]["words"]["evidence"]
    assert fixed_evidence["method"] != "betting-cs" and fixed_evidence["decided_round"] is None

    # the verdicts say when and why each candidate stopped, and what stopping saved
    out = harness("select", "--results", str(reports / "results.parquet"), "--suite", str(_suite(tmp_path, True)),
                  "--out", str(tmp_path / "again.json"))
    assert out == 0
    again = json.loads((tmp_path / "again.json").read_text())
    assert {task: r["candidate"] for task, r in again["routes"].items()} == {"words": "good"}
    html = (reports / "index.html").read_text()
    assert "round" in html

    # the gate judges a swap on the sequential results with the same anytime-valid tests
    base = write_table(tmp_path / "base.json", {"words": task_route("ref", MODELS["ref"], max_tokens=16)})
    worse = write_table(tmp_path / "worse.json", {"words": task_route("bad", MODELS["bad"], max_tokens=16)})
    common = ["--suite", str(_suite(tmp_path, True)), "--results", str(reports / "results.parquet"),
              "--reports", str(reports), "--display", "none"]
    sent = sum(fake.counters.endpoints.values())
    assert harness("gate", "--base", str(base), "--head", str(reports / "routing.json"), *common) == 0
    assert harness("gate", "--base", str(base), "--head", str(worse), *common,
                   "--markdown", str(tmp_path / "gate.md")) == 1
    assert "proven worse" in (tmp_path / "gate.md").read_text()
    assert "anytime-valid" in (tmp_path / "gate.md").read_text()
    assert sum(fake.counters.endpoints.values()) == sent  # judged from the results: nothing sent

    # a rerun pays nothing and decides the same
    before = sum(fake.counters.endpoints.values())
    assert harness("run", str(_suite(tmp_path, True)), "--reports", str(reports), "--display", "none") == 0
    assert sum(fake.counters.endpoints.values()) == before
    assert _routes(reports) == {"words": "good"}
    pd.testing.assert_frame_equal(results(reports).sort_values(["candidate", "sample_id"]).reset_index(drop=True),
                                  df.sort_values(["candidate", "sample_id"]).reset_index(drop=True),
                                  check_exact=False, check_like=True, rtol=1e-9)


def test_detached_sequential_run_is_completed_round_by_round_by_collect(env, tmp_path):
    fake = env(Script(answer=answer))
    reports = tmp_path / "seq"
    assert harness("run", str(_suite(tmp_path, True)), "--reports", str(reports), "--display", "none",
                   "--detach") == 0
    assert not (reports / "routing.json").exists()
    assert fake.counters.endpoints["anthropic.batches.create"] == 2  # round 1 only: ref and good
    codes = [harness("collect", "--reports", str(reports), "--display", "none") for _ in range(20)]
    assert 0 in codes and set(codes[: codes.index(0)]) <= {3}  # "not finished yet" until the last round is in
    assert _routes(reports) == {"words": "good"}
    df = results(reports)
    assert df["round"].max() < N // ROUND and fake.counters.each_item_once()
    sent = {k: fake.counters.models[tuple(m.split("/"))] for k, m in MODELS.items()}
    assert sent == df.groupby("candidate")["sample_id"].nunique().to_dict()


def test_gate_scores_a_sequential_suite_in_rounds_and_stops_once_decided(env, tmp_path):
    fake = env(Script(answer=answer))
    suite, reports = _suite(tmp_path, True), tmp_path / "gate"
    base = write_table(tmp_path / "base.json", {"words": task_route("ref", MODELS["ref"], max_tokens=16)})
    good = write_table(tmp_path / "good.json", {"words": task_route("good", MODELS["good"], max_tokens=16)})
    bad = write_table(tmp_path / "bad.json", {"words": task_route("bad", MODELS["bad"], max_tokens=16)})
    common = ["--suite", str(suite), "--reports", str(reports), "--display", "none"]
    assert harness("gate", "--base", str(base), "--head", str(good), *common,
                   "--markdown", str(tmp_path / "good.md")) == 0
    calls = {k: fake.counters.models[tuple(m.split("/"))] for k, m in MODELS.items()}
    assert 0 < calls["good"] == calls["ref"] < N and calls["good"] % ROUND == 0  # stopped after a few rounds
    assert "anytime-valid" in (tmp_path / "good.md").read_text()
    assert harness("gate", "--base", str(base), "--head", str(bad), *common,
                   "--markdown", str(tmp_path / "bad.md")) == 1
    assert "proven worse" in (tmp_path / "bad.md").read_text()
    assert fake.counters.models[tuple(MODELS["bad"].split("/"))] == ROUND  # decided after the first round
    assert fake.counters.each_item_once()  # the reference's answers came from the journal the second time


def test_pytest_eval_scores_a_sequential_suite_in_rounds(env, tmp_path, pytester):
    fake = env(Script(answer=answer))
    suite = _suite(tmp_path, True)
    pytester.makeini("[pytest]\n")
    common = ["-c", "tox.ini", "-p", "no:cacheprovider", "--eval", "--eval-suite", str(suite),
              "--eval-reports", str(tmp_path / "r")]
    passed = pytester.runpytest_subprocess(*common, "--eval-model", "good")
    passed.assert_outcomes(passed=1)
    assert 0 < fake.counters.models[tuple(MODELS["good"].split("/"))] < N  # stopped once shown
    failed = pytester.runpytest_subprocess(*common, "--eval-model", "bad")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*proven worse*at round 1*"])
    assert fake.counters.models[tuple(MODELS["bad"].split("/"))] == ROUND


def test_estimate_says_a_sequential_task_may_spend_less(tmp_path, capsys):
    assert harness("estimate", str(_suite(tmp_path, True))) == 0
    assert "words run in rounds" in capsys.readouterr().out
    assert harness("estimate", str(_suite(tmp_path, False))) == 0
    assert "run in rounds" not in capsys.readouterr().out
