"""Judge scorers (docs/judge.md): reading verdicts and grades, the suite syntax, and a judged task end to end
against the fake server (synchronous calls, the real SDKs): scripted judge -> scores -> routing table."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from _batch_support import KEY, env, harness, results, rows  # noqa: F401

from harness.errors import InputError
from harness.scorers import (SCORERS, Verdict, pairwise_score, parse_choice, parse_grade, parse_scale, rubric_score,
                             verdict_of)
from harness.suite import load_suite
from harness.testing import Script, last_user_text

# --- reading the judge's answer ------------------------------------------------------------------


@pytest.mark.parametrize("text, choice", [
    ("A is more complete.\nVerdict: A", "A"),
    ("Verdict: B", "B"),
    ("**Verdict:** same", "same"),
    ("Both are fine. Verdict: tie", "same"),
    ("verdict = b.", "B"),
    ("First I thought Verdict: A, but on reflection\nVerdict: B", "B"),  # the last verdict counts
    ("B", "B"),
    (" same. ", "same"),
    ("Verdict: Answer B", "B"),
    ("Verdict: a tie", None),  # not answer A
    ("Verdict: tie", "same"),
    ("I prefer the first one.", None),
    ("", None),
    ("Answer A is better", None),  # no verdict line: never guessed from prose
])
def test_pairwise_verdicts_are_read_from_the_last_verdict_line(text, choice):
    assert parse_choice(text) == choice


def test_verdicts_are_said_from_the_candidates_side_in_each_order():
    assert verdict_of("A", candidate_first=True) == Verdict.BETTER
    assert verdict_of("A", candidate_first=False) == Verdict.WORSE
    assert verdict_of("B", candidate_first=False) == Verdict.BETTER
    assert verdict_of("same", candidate_first=True) == Verdict.SAME
    assert verdict_of(None, candidate_first=True) is None
    # a judge that always picks the first answer shown: a flip, scored as a tie
    assert pairwise_score(verdict_of("A", True), verdict_of("A", False)) == 0.5


@pytest.mark.parametrize("text, grade", [
    ("Clear and correct.\nGrade: 4", 4), ("Score: 5/5", 5), ("**Grade:** 2", 2), ("3", 3),
    ("Grade: 7", None), ("Grade: 0", None), ("good answer", None), ("Grade: 2 ... no, Grade: 3", 3),
])
def test_rubric_grades_are_read_on_their_scale(text, grade):
    assert parse_grade(text, 1, 5) == grade


def test_scales_normalise_to_the_unit_interval():
    assert parse_scale("1-5") == (1, 5) and parse_scale(" 0 - 10 ") == (0, 10)
    assert rubric_score(1, 1, 5) == 0.0 and rubric_score(5, 1, 5) == 1.0 and rubric_score(3, 1, 5) == 0.5
    for bad in ("5-1", "1-1", "one-five", "1..5"):
        with pytest.raises(ValueError):
            parse_scale(bad)


def test_a_judge_is_not_scored_from_text_alone():
    assert SCORERS["judge"].judged and not SCORERS["exact"].judged
    with pytest.raises(TypeError, match="calls its model"):
        SCORERS["judge"].fn("answer", "reference")


# --- the suite syntax --------------------------------------------------------------------------

JUDGE = {"type": "judge", "mode": "pairwise", "model": "openai/gpt-judge", "rubric": "Prefer the accurate summary."}


def suite_with(tmp_path: Path, scorer: Any, n: int = 4, **task: Any) -> Path:
    records = [{"id": f"s{i}", "text": f"ticket {i}", "reference_answer": f"summary {i}"} for i in range(n)]
    t = {"name": "summaries", "dataset": records, "prompt": "Summarise: {{text}}", "target": "reference_answer",
         "scorer": scorer, "criteria": {"reference": "ref", "max_drop": 0.05},
         "candidates": [{"id": "ref", "model": "openai/gpt-ref"}, {"id": "mini", "model": "openai/gpt-mini"}], **task}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump({"suite": "judged", "tasks": [t]}, sort_keys=False))
    return path


def test_judge_scorers_load_with_their_options(tmp_path):
    task = load_suite(suite_with(tmp_path, JUDGE)).tasks[0]
    assert task.scorer == "judge" and task.scorer_options["mode"] == "pairwise"
    rubric = {"type": "judge", "mode": "rubric", "model": "local/smollm2-135m-instruct", "rubric": "Be polite.",
              "scale": "1-10"}
    assert load_suite(suite_with(tmp_path, rubric)).tasks[0].scorer_options["scale"] == "1-10"


@pytest.mark.parametrize("change, message", [
    ({"model": "gemini/pro"}, "a judge must be a local, OpenAI or Anthropic model"),
    ({"model": "local/no-such-model"}, "unknown local model 'no-such-model'"),
    ({"mode": "vibes"}, "scorer.mode"),
    ({"mode": "rubric", "scale": "5-1"}, "LOW-HIGH"),
    ({"reference": "missing_field"}, "no reference answer in field 'missing_field'"),
    ({"model": None}, "scorer.model"),
])
def test_bad_judge_settings_are_refused_with_where_they_are(tmp_path, change, message):
    scorer = {k: v for k, v in {**JUDGE, **change}.items() if v is not None}
    with pytest.raises(InputError, match=re.escape(message)):
        load_suite(suite_with(tmp_path, scorer))


# --- end to end against the fake server ------------------------------------------------------------

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
PRICES = {m: {"input": 1.0, "output": 4.0} for m in ("openai/gpt-ref", "openai/gpt-nano")}
PRICES["openai/gpt-mini"] = {"input": 0.5, "output": 2.0}  # cheaper than the reference: chosen when it passes
PRICES["openai/gpt-judge"] = {"input": 2.0, "output": 8.0}
N = 30


def _answers(prompt: str) -> tuple[str, str]:
    found = re.findall(r"Answer [AB]:\n<<<\n(.*?)\n>>>", prompt, re.DOTALL)
    return found[0], found[1]


def script_answer(provider: str, model: str, body: dict[str, Any]) -> str:
    """Candidates: ref and mini write a summary (mini marks its own GOOD), nano a useless one. The judge
    prefers GOOD on even tickets and calls it a tie on odd ones but ticket 5 (the reference wins), always
    rejects nano's, and on ticket 3 answers mini-first with text that has no verdict (unreadable: a tie, counted)."""
    text = last_user_text(body)
    if model != "gpt-judge":
        ticket = re.search(r"ticket (\d+)", text)
        number = int(ticket.group(1)) if ticket else -1
        word = WORDS[number % 10]
        return {"gpt-ref": f"summary of {word}", "gpt-mini": f"GOOD summary of {word}", "gpt-nano": "no idea"}[model]
    a, b = _answers(text)
    number = int(re.search(r"ticket (\d+)", text).group(1))  # type: ignore[union-attr]
    if "no idea" in (a, b):
        return "The other answer says something.\nVerdict: " + ("B" if a == "no idea" else "A")
    if number == 3 and a.startswith("GOOD"):
        return "Hard to say, both have merit."
    if number == 5:
        return "The reference is more accurate.\nVerdict: " + ("B" if a.startswith("GOOD") else "A")
    if number % 2:
        return "Equally good.\nVerdict: same"
    return "It is more specific.\nVerdict: " + ("A" if a.startswith("GOOD") else "B")


def judged_suite(path: Path, judge: str = "openai/gpt-judge") -> Path:
    records = [{"id": f"t{i}", "input": f"ticket {i}: customer writes about {WORDS[i % 10]}",
                "reference_answer": f"summary of {WORDS[i % 10]}"} for i in range(N)]
    task = {"name": "summaries", "dataset": records, "prompt": "Summarise {{input}}", "target": "reference_answer",
            "scorer": {"type": "judge", "mode": "pairwise", "model": judge, "rubric": "Prefer the specific summary."},
            "traffic_per_month": 100000, "criteria": {"reference": "ref", "max_drop": 0.05, "alpha": 0.05},
            "candidates": [{"id": "ref", "model": "openai/gpt-ref", "max_tokens": 16},
                           {"id": "mini", "model": "openai/gpt-mini", "max_tokens": 16},
                           {"id": "nano", "model": "openai/gpt-nano", "max_tokens": 16}]}
    path.write_text(yaml.safe_dump({"suite": "judged", "prices": PRICES, "tasks": [task]}, sort_keys=False))
    return path


@pytest.mark.parametrize("mode", [["--no-batch"], []], ids=["sync", "batch"])
def test_a_judged_task_decides_by_the_judge_and_the_judge_is_never_paid_twice(env, tmp_path, capsys, mode):
    fake = env(Script(answer=script_answer))
    suite, reports = judged_suite(tmp_path / "suite.yaml"), tmp_path / "r"
    batch = not mode
    assert harness("run", str(suite), *mode, "--reports", str(reports), "--display", "none") == 0
    out = capsys.readouterr().out
    df = results(reports)
    by = {c: g.sort_values("sample_id", key=lambda s: s.str[1:].astype(int)) for c, g in df.groupby("candidate")}
    # the reference: 0.5 by construction, no judge call; mini: wins on even tickets, ties on odd; nano: loses
    assert (by["ref"]["score"] == 0.5).all() and (by["ref"]["judge_verdict"] == "reference").all()
    assert by["mini"]["score"].tolist() == [1.0 if i % 2 == 0 else 0.0 if i == 5 else 0.5 for i in range(N)]
    assert (by["nano"]["score"] == 0.0).all() and (by["nano"]["judge_verdict"] == "worse/worse").all()
    mini3 = by["mini"][by["mini"]["sample_id"] == "t3"].iloc[0]
    assert mini3["judge_verdict"] == "unparsed/same" and mini3["judge_unparsed"] == 1
    assert mini3["judge_consistent"] == 0 and "Hard to say" in mini3["judge_reason"]
    assert "It is more specific" in by["mini"].iloc[0]["judge_reason"]
    assert by["mini"]["judge_consistent"].sum() == N - 1 and by["ref"]["judge_consistent"].isna().all()
    # the console: order consistency per task, the unreadable verdict listed
    assert "summaries: judge order-consistent on 59 of 60 samples judged in both orders (98%)" in out
    assert "1 verdict(s) could not be read, counted as ties (mini:t3)" in out
    # the judge's spend: eval cost, never production cost
    share = 0.5 if batch else 1.0  # a candidate's eval cost: half its production cost in a batch
    for c in ("mini", "nano"):
        g = by[c]
        assert (g["judge_cost_usd"] > 0).all()
        assert g["cost_usd"].tolist() == pytest.approx((g["prod_cost_usd"] * share + g["judge_cost_usd"]).tolist())
    assert (by["ref"]["judge_cost_usd"] == 0).all()
    assert by["ref"]["cost_usd"].tolist() == pytest.approx((by["ref"]["prod_cost_usd"] * share).tolist())
    # the routing table follows the judge
    route = json.loads((reports / "routing.json").read_text())["routes"]["summaries"]
    verdicts = {v["candidate"]: v for v in route["verdicts"]}
    assert verdicts["mini"]["status"] == "pass", verdicts
    assert route["candidate"] == "mini"  # the cheapest passing candidate
    # the report shows where mini lost, with the judge's verdicts and reason
    page = (reports / "index.html").read_text()
    assert "Judge (worse/worse)" in page and "The reference is more accurate." in page
    assert verdicts["nano"]["status"] == "fail" and "proven worse" in verdicts["nano"]["reason"]
    # the judge's calls are in the journal, two per judged sample, each sent once, the way candidates' are
    judged = rows(reports, "SELECT COUNT(*), SUM(cost_usd > 0), SUM(via_batch) FROM requests "
                           "WHERE model='gpt-judge' AND status='answered'")
    assert judged == [(4 * N, 4 * N, 4 * N if batch else 0)]
    assert fake.counters.models[("openai", "gpt-judge")] == 4 * N and fake.counters.each_item_once()
    if batch:  # one batch per candidate model, then the judge's; nothing synchronous
        assert fake.counters.endpoints["openai.batches.create"] == 4
        assert fake.counters.endpoints.get("openai.chat.completions", 0) == 0
    else:
        assert fake.counters.endpoints["openai.chat.completions"] == 3 * N + 4 * N
        assert "batches.create" not in " ".join(fake.counters.endpoints)
    # a rerun sends nothing, and neither does one that must rescore from the journal
    before = sum(fake.counters.endpoints.values())
    assert harness("run", str(suite), *mode, "--reports", str(reports), "--display", "none") == 0
    for log in (reports / "logs").glob("*.eval"):
        log.unlink()
    assert harness("run", str(suite), *mode, "--reports", str(reports), "--display", "none") == 0
    assert sum(fake.counters.endpoints.values()) == before
    assert results(reports)["score"].tolist() == df["score"].tolist()


def test_estimate_and_max_cost_count_the_judges_calls(env, tmp_path, capsys):
    fake = env(Script(answer=script_answer))
    suite, reports = judged_suite(tmp_path / "suite.yaml"), tmp_path / "r"
    assert harness("estimate", str(suite)) == 0
    printed = capsys.readouterr().out
    assert "mini (judged by)" in printed and "nano (judged by)" in printed and "ref (judged by)" not in printed
    bound = float(re.search(r"total upper bound: \$([0-9.]+)", printed).group(1))  # type: ignore[union-attr]
    # the candidates alone fit under 0.01, the judge's calls do not: refused before anything is sent
    assert harness("run", str(suite), "--max-cost", "0.01", "--reports", str(reports), "--display", "none") == 2
    assert "exceeds --max-cost" in capsys.readouterr().err
    assert sum(fake.counters.endpoints.values()) == 0
    # the up-front check holds each sample's largest judge bound for answers not in yet: a little above the sum
    cap = 1.1 * bound
    assert harness("run", str(suite), "--max-cost", f"{cap:.4f}", "--reports", str(reports), "--display", "none") == 0
    spent = rows(reports, "SELECT SUM(cost_usd) FROM requests WHERE status='answered'")[0][0]
    assert 0 < spent <= bound and fake.counters.models[("openai", "gpt-judge")] == 4 * N


def test_max_cost_is_refused_for_an_api_judge_of_answers_only_inspect_produces(env, tmp_path, capsys):
    fake = env(Script(answer=script_answer))
    suite = judged_suite(tmp_path / "suite.yaml")
    spec = yaml.safe_load(suite.read_text())
    spec["tasks"][0]["candidates"][1] = {"id": "mini", "model": "local/smollm2-135m-instruct", "max_tokens": 16}
    suite.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert harness("run", str(suite), "--max-cost", "5", "--reports", str(tmp_path / "r"), "--display", "none") == 2
    assert "summaries.mini: --max-cost does not bound an API judge's calls" in capsys.readouterr().err
    assert sum(fake.counters.endpoints.values()) == 0


def test_a_rubric_judge_grades_and_an_unreadable_grade_is_an_error_not_a_score(env, tmp_path, capsys):
    def answer(provider: str, model: str, body: dict[str, Any]) -> str:
        text = last_user_text(body)
        if model != "gpt-judge":
            return "GOOD summary" if model == "gpt-mini" else "a summary"
        if "ticket 2" in text:
            return "I cannot grade this."
        return "Fine.\nGrade: " + ("5" if "GOOD" in text else "3")

    env(Script(answer=answer))
    suite = judged_suite(tmp_path / "suite.yaml")
    spec = yaml.safe_load(suite.read_text())
    spec["tasks"][0]["scorer"] = {"type": "judge", "mode": "rubric", "model": "openai/gpt-judge",
                                  "rubric": "Specific is better.", "scale": "1-5"}
    spec["tasks"][0]["candidates"] = spec["tasks"][0]["candidates"][:2]
    spec["tasks"][0]["dataset"] = spec["tasks"][0]["dataset"][:6]
    suite.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert harness("run", str(suite), "--no-batch", "--reports", str(tmp_path / "r"), "--display", "none") == 0
    out = capsys.readouterr().out
    df = results(tmp_path / "r")
    ok = df[df["sample_id"] != "t2"]
    assert (ok[ok["candidate"] == "mini"]["score"] == 1.0).all() and (ok[ok["candidate"] == "ref"]["score"] == 0.5).all()
    assert set(ok["judge_verdict"]) == {"5/5", "3/5"} and ok["judge_consistent"].isna().all()
    bad = df[df["sample_id"] == "t2"]
    assert (bad["score"] == 0).all() and bad["error"].str.contains("no grade on 1-5").all()
    assert "summaries: 2 rubric grade(s) could not be read (sample errors, scored 0)" in out


# --- the local model as judge (slow: the real model) -------------------------------------------------


@pytest.mark.slow
def test_the_local_model_judges_a_handful_of_samples_through_the_journal(tmp_path, capsys):
    """The path, not the quality: SmolLM2-135M's verdicts are weak, so only their shape is checked."""
    records = [{"id": f"q{i}", "question": q, "reference_answer": a} for i, (q, a) in enumerate([
        ("What is the capital of France?", "Paris."), ("How many legs does a spider have?", "Eight."),
        ("What colour is the sky on a clear day?", "Blue."), ("What is 2 + 2?", "4.")])]
    local = "local/smollm2-135m-instruct"
    task = {"name": "qa", "dataset": records, "prompt": "{{question}}", "target": "reference_answer",
            "scorer": {"type": "judge", "mode": "pairwise", "model": local, "max_tokens": 48,
                       "rubric": "Prefer the correct, short answer."},
            "criteria": {"reference": "ref", "max_drop": 0.1},
            "candidates": [{"id": "ref", "model": local, "max_tokens": 16},
                           {"id": "short", "model": local, "max_tokens": 4}]}
    suite, reports = tmp_path / "suite.yaml", tmp_path / "r"
    suite.write_text(yaml.safe_dump({"suite": "local-judge", "tasks": [task]}, sort_keys=False))
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    out = capsys.readouterr().out
    df = results(reports)
    short = df[df["candidate"] == "short"]
    assert (df[df["candidate"] == "ref"]["judge_verdict"] == "reference").all()
    assert short["score"].isin([0.0, 0.5, 1.0]).all() and short["judge_verdict"].str.contains("/").all()
    assert short["judge_reason"].str.startswith("candidate first:").all()
    assert (short["judge_cost_usd"] > 0).all()  # local compute time, priced as eval cost
    assert (short["cost_usd"] >= short["prod_cost_usd"] + short["judge_cost_usd"] - 1e-12).all()
    assert "qa: judge" in out
    # every judge call is in the journal: two per sample the judge saw
    judged = rows(reports, "SELECT COUNT(*) FROM requests WHERE body LIKE '%Answer A:%'")[0][0]
    assert judged == 2 * int((short["judge_verdict"] != "same/same").sum())
    # deleted logs: rescored from the journal, the model not called again
    for log in (reports / "logs").glob("*.eval"):
        log.unlink()
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    assert results(reports)["judge_verdict"].tolist() == df["judge_verdict"].tolist()
    assert rows(reports, "SELECT COUNT(*) FROM requests WHERE body LIKE '%Answer A:%'")[0][0] == judged


def test_a_detached_judged_run_is_completed_by_collect_the_judge_batched_after_the_answers(env, tmp_path, capsys):
    from harness.testing import ManualClock

    clock = ManualClock()
    fake = env(Script(answer=script_answer, clock=clock, batch_processing_seconds=600))
    suite, reports = judged_suite(tmp_path / "suite.yaml"), tmp_path / "r"
    assert harness("run", str(suite), "--reports", str(reports), "--detach", "--display", "none") == 0
    assert fake.counters.models[("openai", "gpt-judge")] == 0  # the answers to judge are not in yet
    clock.advance(600)
    assert harness("collect", "--reports", str(reports), "--display", "none") == 3  # the judge's batch is out now
    assert "judge: 120 request(s)" in capsys.readouterr().out
    clock.advance(600)
    assert harness("collect", "--reports", str(reports), "--display", "none") == 0
    df = results(reports)
    assert len(df) == 3 * N and df["error"].isna().all()
    assert df.groupby("candidate")["score"].mean().to_dict() == pytest.approx({"mini": 22 / 30, "nano": 0.0, "ref": 0.5})
    assert fake.counters.endpoints["openai.batches.create"] == 4 and fake.counters.each_item_once()
    assert fake.counters.endpoints.get("openai.chat.completions", 0) == 0


def test_a_judged_task_runs_in_rounds(env, tmp_path, capsys):
    fake = env(Script(answer=script_answer))
    suite, reports = judged_suite(tmp_path / "suite.yaml"), tmp_path / "r"
    assert harness("run", str(suite), "--sequential", "--round", "10", "--reports", str(reports),
                   "--display", "none") == 0
    df = results(reports)
    assert df["round"].notna().all() and set(df["candidate"]) == {"ref", "mini", "nano"}
    route = json.loads((reports / "routing.json").read_text())["routes"]["summaries"]
    verdicts = {v["candidate"]: v for v in route["verdicts"]}
    # 30 samples are too few for the anytime-valid test to show mini passes; nano is dropped after one round
    assert "dropped after round 1" in verdicts["nano"]["reason"] and (df["candidate"] == "nano").sum() == 10
    assert "order-consistent on 39 of 40" in capsys.readouterr().out
    assert fake.counters.models[("openai", "gpt-judge")] == 2 * 30 + 2 * 10 and fake.counters.each_item_once()


# --- the results table's judge columns ---------------------------------------------------------------


def test_results_from_elsewhere_get_empty_judge_columns_and_bad_judge_costs_are_refused(tmp_path):
    import pandas as pd

    import harness.results

    path = tmp_path / "r.csv"
    pd.DataFrame({"task": ["t"] * 2, "candidate": ["a", "b"], "sample_id": ["1", "1"], "score": [1, 0],
                  "cost_usd": [0.1, 0.2]}).to_csv(path, index=False)
    df = harness.results.load(path)
    assert df["judge_verdict"].isna().all() and df["judge_cost_usd"].isna().all()
    assert harness.results.judge_notes(df) == []
    pd.read_csv(path).assign(judge_cost_usd=[-1, 0]).to_csv(path, index=False)
    with pytest.raises(InputError, match="negative judge_cost_usd on line"):
        harness.results.load(path)


def test_judge_notes_say_consistency_unreadable_verdicts_and_cost():
    import pandas as pd

    from harness.results import judge_notes

    df = pd.DataFrame({"task": ["t"] * 4, "candidate": ["ref", "a", "a", "a"], "sample_id": ["1", "1", "2", "3"],
                       "judge_verdict": ["reference", "better/better", "unparsed/worse", "same/same"],
                       "judge_consistent": [None, 1.0, 0.0, None], "judge_unparsed": [0, 0, 1, 0],
                       "judge_cost_usd": [0.0, 0.002, 0.002, 0.0], "error": [None] * 4})
    (line,) = judge_notes(df)
    assert line == ("t: judge order-consistent on 1 of 2 samples judged in both orders (50%); 1 verdict(s) could "
                    "not be read, counted as ties (a:2); judge calls $0.0040 (eval cost, not production cost)")
    df.loc[1, "judge_cost_usd"] = float("nan")
    assert "has no price" in judge_notes(df)[0]
