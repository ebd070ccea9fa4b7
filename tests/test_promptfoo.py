"""promptfoo's JSON output as results: `harness select --promptfoo FILE`.

tests/data/promptfoo_results.json is a file in the shape `promptfoo eval --output results.json`
writes in promptfoo 0.123.1, taken from that release's published types (the npm package's
dist/src/index.d.ts: `OutputFile` {evalId, results: `EvaluateSummaryV3`, config, shareableUrl,
metadata}, `EvaluateResult`, `GradingResult`, and `BaseTokenUsageSchema` for `tokenUsage`) and its
writer (`writeOutput` -> `createOutputData`, serialising `EvalResult.toEvaluateResult()`; a failed
provider call is `error`, failureReason 2, score 0, as `applyRunEvalResponseOutcome` sets it). Its
content was made for these tests: 40 support tickets to classify, two OpenAI providers, one of them
wrong on 3 tickets and rate-limited on one, costs at those models' list prices.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from harness import results
from harness.cli import main
from harness.errors import InputError
from harness.select import Criteria, format_decisions, select

FIXTURE = Path(__file__).parent / "data" / "promptfoo_results.json"
DOC = json.loads(FIXTURE.read_text())


def write(tmp_path: Path, doc) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    return path


def test_the_fixture_reads_as_one_row_per_provider_and_test():
    df = results.from_promptfoo(FIXTURE)
    assert len(df) == 80 and set(df["task"]) == {"promptfoo_results"}
    assert df.groupby("candidate")["score"].agg(["size", "sum"]).to_dict("index") == {
        "gpt-4.1-nano": {"size": 40, "sum": 36.0}, "gpt-4o-mini": {"size": 40, "sum": 38.0}}
    # the same tests pair across providers
    assert (df.groupby("candidate")["sample_id"].apply(frozenset).nunique()) == 1
    assert sorted(df["model"].unique()) == ["openai/gpt-4.1-nano", "openai/gpt-4o-mini"]
    assert json.loads(df["config"].iloc[0]) == {"max_tokens": 8, "temperature": 0}
    # promptfoo's own costs, per provider as its prompts' metrics add them up
    spent = df.groupby("candidate")["cost_usd"].sum().to_dict()
    for p in DOC["results"]["prompts"]:
        assert spent[p["provider"].split(":")[1]] == pytest.approx(p["metrics"]["cost"])
    failed = df[df["error"].notna()]
    assert len(failed) == 1 and failed["score"].iloc[0] == 0 and "429" in failed["error"].iloc[0]
    ok = df[df["error"].isna()]
    assert (ok["input_tokens"] > 30).all() and ok["output_tokens"].between(1, 2).all() and (ok["latency_s"] < 1).all()
    assert df["target"].str.startswith("equals: ").all() and df["input"].str.contains("Ticket: ").all()


def test_select_on_promptfoo_decides_as_select_on_the_same_results_by_hand(tmp_path, capsys):
    by_hand = pd.DataFrame([{"task": "promptfoo_results", "candidate": r["provider"]["label"],
                             "sample_id": str(r["testIdx"]), "score": float(r["score"]), "cost_usd": r["cost"]}
                            for r in DOC["results"]["results"]])
    decisions = select(results.validate(by_hand, "by hand"),
                       {"promptfoo_results": Criteria(reference="gpt-4o-mini", max_drop=0.1)}, {})
    assert main(["select", "--promptfoo", str(FIXTURE), "--reference", "gpt-4o-mini", "--max-drop", "0.1",
                 "--out", str(tmp_path / "routing.json")]) == 0
    printed = capsys.readouterr().out
    assert format_decisions(decisions) in printed
    route = json.loads((tmp_path / "routing.json").read_text())["routes"]["promptfoo_results"]
    assert route["candidate"] == decisions[0].chosen and route["model"].startswith("openai/")


def test_two_prompts_make_provider_by_prompt_candidates(tmp_path):
    doc = copy.deepcopy(DOC)
    second = copy.deepcopy(doc["results"]["results"])
    for r in second:
        r["promptIdx"], r["prompt"]["label"] = 1, "Category of: {{ticket}}\n(one word)"  # long label: numbered
    doc["results"]["results"] += second
    df = results.from_promptfoo(write(tmp_path, doc), task="tickets")
    assert sorted(df["candidate"].unique()) == ["gpt-4.1-nano:classify", "gpt-4.1-nano:prompt2",
                                                "gpt-4o-mini:classify", "gpt-4o-mini:prompt2"]
    assert set(df["task"]) == {"tickets"} and json.loads(df["config"].iloc[-1])["prompt"] == "prompt2"


def test_a_bare_summary_and_success_without_a_grading_result_read_too(tmp_path):
    summary = copy.deepcopy(DOC["results"])
    for r in summary["results"]:
        r.pop("gradingResult"), r.pop("score")
        r.pop("cost")
    df = results.from_promptfoo(write(tmp_path, summary))
    assert df["score"].sum() == 74 and df["cost_usd"].isna().all()


@pytest.mark.parametrize("doc,message", [
    ([1, 2], "not a promptfoo output file: expected an object"),
    ({"evalId": "x", "results": {"version": 3, "results": "none"}}, "found an object with keys evalId, results"),
    ({"results": {"version": 3, "results": []}}, "the promptfoo output has no results"),
    ({"results": {"version": 3, "results": [{"provider": {"id": "echo"}, "promptIdx": 0}]}},
     "result(s) 1 (of results.results, from 1) have no valid testIdx"),
])
def test_other_shapes_are_refused_with_what_was_expected(tmp_path, doc, message):
    with pytest.raises(InputError) as info:
        results.from_promptfoo(write(tmp_path, doc))
    assert message in str(info.value)


def test_scores_outside_0_1_and_broken_json_are_refused(tmp_path):
    doc = copy.deepcopy(DOC)
    for r in doc["results"]["results"][:3]:
        r["gradingResult"]["score"] = 3
    with pytest.raises(InputError, match=r"score outside \[0, 1\] in result\(s\) 1-3"):
        results.from_promptfoo(write(tmp_path, doc))
    (tmp_path / "broken.json").write_text('{"results": {\n  "version": 3,\n  oops}')
    with pytest.raises(InputError, match=r"broken.json:3: not valid JSON"):
        results.from_promptfoo(tmp_path / "broken.json")


def test_the_example_in_docs_running_md_is_real_output(capsys, monkeypatch, tmp_path):
    import re

    root = Path(__file__).resolve().parents[1]
    section = (root / "docs" / "running.md").read_text().split("## Results from other tools\n", 1)[1].split("\n## ")[0]
    (command,) = [b for b in re.findall(r"```sh\n(.*?)```", section, flags=re.S) if "--promptfoo" in b]
    (output,) = [b for b in re.findall(r"```text\n(.*?)```", section, flags=re.S) if b.startswith("promptfoo_results")]
    monkeypatch.chdir(root)
    assert main([*command.split()[1:], "--out", str(tmp_path / "routing.json")]) == 0
    assert output.strip() in capsys.readouterr().out
