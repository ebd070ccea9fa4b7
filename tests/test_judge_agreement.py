"""A judge's agreement with human labels (docs/judge.md): the suite's `human_label:` field, Cohen's kappa for
pairwise verdicts, Spearman's rho for rubric grades, a warning below the thresholds; bad labels refused."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from _batch_support import env, harness, results  # noqa: F401  (env: the fake server fixture)
from harness.errors import InputError
from harness.scorers import LabelError, labels_of, read_label
from harness.stats import grade_agreement, verdict_agreement
from harness.suite import load_suite
from harness.testing import Script, last_user_text

# --- the statistics -------------------------------------------------------------------------------


def test_kappa_is_one_for_a_judge_that_agrees_and_weak_for_one_that_does_not():
    human = ["better", "same", "worse"] * 5
    agree = verdict_agreement(human, human)
    assert (agree.statistic, agree.n, agree.matches, agree.level, agree.weak) == (1.0, 15, 15, "almost perfect", False)
    rotated = {"better": "worse", "same": "better", "worse": "same"}
    against = verdict_agreement([rotated[h] for h in human], human)
    assert against.statistic == pytest.approx(-0.5) and against.level == "poor" and against.weak
    # 12 of 15 the same: kappa 0.70, Landis & Koch's "substantial"
    mostly = human[:12] + ["same", "worse", "better"]
    assert verdict_agreement(mostly, human).statistic == pytest.approx(0.7) and not verdict_agreement(mostly, human).weak
    # a judge that says "same" to everything agrees on a third of the samples and carries no information
    ties = verdict_agreement(["same"] * 15, human)
    assert ties.statistic == 0.0 and ties.matches == 5 and ties.level == "slight" and ties.weak


def test_kappa_at_the_threshold_warns_and_undefined_or_few_labels_warn():
    # kappa exactly 0.40 is the top of "fair": warned (the threshold is above 0.40)
    judge = ["better"] * 7 + ["worse"] * 3 + ["better"] * 3 + ["worse"] * 7
    human = ["better"] * 10 + ["worse"] * 10
    k = verdict_agreement(judge, human)
    assert k.statistic == pytest.approx(0.4) and k.level == "fair" and k.weak
    same = verdict_agreement(["better"] * 12, ["better"] * 12)  # one verdict on both sides: kappa undefined
    assert math.isnan(same.statistic) and same.weak and same.level is None
    few = verdict_agreement(["better", "worse"] * 4, ["better", "worse"] * 4)
    assert few.statistic == 1.0 and few.n == 8 and few.weak  # fewer than MIN_LABELS


def test_spearman_on_grades():
    human = [1, 2, 3, 4, 5] * 3
    assert grade_agreement(human, human).statistic == pytest.approx(1.0)
    assert not grade_agreement(human, human).weak
    reversed_ = grade_agreement([6 - h for h in human], human)
    assert reversed_.statistic == pytest.approx(-1.0) and reversed_.weak and reversed_.name == "Spearman's rho"
    assert math.isnan(grade_agreement([3] * 15, human).statistic)


# --- reading labels -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, label", [("better", "better"), (" Worse ", "worse"), ("tie", "same"), (1, "better"),
                                        ("0.5", "same"), (0, "worse"), (0.0, "worse")])
def test_pairwise_labels_are_verdicts_or_folded_scores(raw, label):
    assert read_label(raw, "pairwise") == label


@pytest.mark.parametrize("raw", ["maybe", 2, 0.7, True, None, "A"])
def test_other_pairwise_labels_are_refused(raw):
    with pytest.raises(LabelError, match="is not a pairwise label"):
        read_label(raw, "pairwise")


def test_rubric_labels_are_grades_on_the_scale():
    assert read_label("4", "rubric", "1-5") == 4 and read_label(10, "rubric", "0-10") == 10
    for bad in (0, 6, 2.5, "good"):
        with pytest.raises(LabelError, match="is not a grade on the scale 1-5"):
            read_label(bad, "rubric", "1-5")


def test_a_label_belongs_to_the_one_judged_candidate_or_names_its_candidate():
    assert labels_of("better", "pairwise", "1-5", ["mini"]) == {"mini": "better"}
    assert labels_of({"mini": "worse", "nano": None}, "pairwise", "1-5", ["mini", "nano"]) == {"mini": "worse"}
    assert labels_of('{"ref": 3, "mini": 5}', "rubric", "1-5", ["ref", "mini"]) == {"ref": 3, "mini": 5}  # CSV cell
    with pytest.raises(LabelError, match=r"one label for 2 judged candidates \(mini, nano\)"):
        labels_of("better", "pairwise", "1-5", ["mini", "nano"])
    with pytest.raises(LabelError, match="labels candidate 'ref', the reference, which the judge does not judge"):
        labels_of({"ref": "same"}, "pairwise", "1-5", ["mini"])


# --- the suite ------------------------------------------------------------------------------------

N = 15
PRICES = {m: {"input": 1.0, "output": 4.0} for m in ("openai/gpt-ref", "openai/gpt-judge")}
PRICES["openai/gpt-mini"] = {"input": 0.5, "output": 2.0}
VERDICT = ["better", "same", "worse"]  # what the judge says of mini's answer to ticket i: VERDICT[i % 3]
ROTATED = {"better": "worse", "same": "better", "worse": "same"}


def labelled_suite(path: Path, **scorer: Any) -> Path:
    """Two judged tasks on the same tickets: `replies` (pairwise; `agree` holds the judge's own verdicts, `disagree`
    none of them) and `graded` (rubric; `grades` holds the judge's grades of both candidates, by candidate)."""
    records = [{"id": f"t{i}", "input": f"ticket {i}: my parcel is late", "reference_answer": f"sorry about {i}",
                "agree": VERDICT[i % 3], "disagree": ROTATED[VERDICT[i % 3]],
                "grades": {"ref": 3, "mini": 1 + i % 5}} for i in range(N)]
    records[0]["agree"] = records[0]["disagree"] = None  # an unlabelled record: left out of the agreement
    judge = {"type": "judge", "model": "openai/gpt-judge", "rubric": "Prefer the helpful reply."}
    candidates = [{"id": "ref", "model": "openai/gpt-ref", "max_tokens": 16},
                  {"id": "mini", "model": "openai/gpt-mini", "max_tokens": 16}]
    common = {"dataset": records, "prompt": "Reply to {{input}}", "target": "reference_answer",
              "criteria": {"reference": "ref", "max_drop": 0.05}, "candidates": candidates}
    tasks = [{"name": "replies", **common, "scorer": {**judge, "mode": "pairwise", "human_label": "agree", **scorer}},
             {"name": "graded", **common, "scorer": {**judge, "mode": "rubric", "human_label": "grades"}}]
    path.write_text(yaml.safe_dump({"suite": "labelled", "prices": PRICES, "tasks": tasks}, sort_keys=False))
    return path


def judge(provider: str, model: str, body: dict[str, Any]) -> str:
    text = last_user_text(body)
    if model != "gpt-judge":
        i = int(re.search(r"ticket (\d+)", text).group(1))  # type: ignore[union-attr]
        return f"{'mini' if model == 'gpt-mini' else 'ref'} reply {i}"
    i = int(re.search(r"ticket (\d+)", text).group(1))  # type: ignore[union-attr]
    system = body["messages"][0]["content"]
    if "You grade" in system:
        answer = re.search(r"Answer:\n<<<\n(.*?)\n>>>", text, re.DOTALL).group(1)  # type: ignore[union-attr]
        return f"Fine.\nGrade: {3 if answer.startswith('ref') else 1 + i % 5}"
    first = re.search(r"Answer A:\n<<<\n(.*?)\n>>>", text, re.DOTALL).group(1)  # type: ignore[union-attr]
    verdict = VERDICT[i % 3]
    if verdict == "same":
        return "Alike.\nVerdict: same"
    mini_first = first.startswith("mini")
    return "Reasons.\nVerdict: " + ("A" if (verdict == "better") == mini_first else "B")


def test_a_judge_that_agrees_with_the_labels_has_kappa_one_and_one_that_does_not_is_warned(env, tmp_path, capsys):
    fake = env(Script(answer=judge))
    suite, reports = labelled_suite(tmp_path / "suite.yaml"), tmp_path / "r"
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    consistency = lines.index(next(x for x in lines if x.startswith("replies: judge order-consistent")))
    # under the order-consistency line: kappa 1 on the 14 labelled samples (t0 has no label, ref is not judged)
    assert lines[consistency + 1] == ("replies: judge agreement with the human labels: Cohen's kappa 1.00 (almost "
                                      "perfect agreement, Landis & Koch) on 14 labelled answer(s), 14 with the same "
                                      "verdict")
    assert ("graded: judge agreement with the human labels: Spearman's rho 1.00 on 30 labelled answer(s), 30 with "
            "the same grade") in out
    assert "WARNING" not in out
    df = results(reports)
    mini = df[(df["task"] == "replies") & (df["candidate"] == "mini")].set_index("sample_id")
    assert mini.loc["t1", "human_label"] == "same" and mini["human_label"].isna().sum() == 1
    assert df[(df["task"] == "replies") & (df["candidate"] == "ref")]["human_label"].isna().all()
    sent = sum(fake.counters.endpoints.values())

    # the same answers and verdicts against labels that never match: warned, and the decision says so
    spec = yaml.safe_load(suite.read_text())
    spec["tasks"][0]["scorer"]["human_label"] = "disagree"
    suite.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    out = capsys.readouterr().out
    assert sum(fake.counters.endpoints.values()) == sent  # a new label column costs no call
    warning = next(x for x in out.splitlines() if x.startswith("replies: WARNING"))
    assert warning.startswith("replies: WARNING: the judge agrees too weakly with the human labels to trust its "
                              "verdicts: Cohen's kappa -0.50 (poor agreement, Landis & Koch) on 14 labelled")
    assert "a kappa of 0.40 or less is fair agreement at best" in warning
    notes = json.loads((reports / "routing.json").read_text())["routes"]["replies"]["notes"]
    assert any(n.startswith("the judge agrees weakly with the human labels (Cohen's kappa -0.50 on 14 answers")
               for n in notes), notes
    page = (reports / "index.html").read_text()  # the report shows the judge's quality beside its decision
    assert "replies: judge order-consistent on" in page and "replies: WARNING: the judge agrees too weakly" in page


@pytest.mark.parametrize("records, message", [
    ([{"id": "a", "input": "x", "reference_answer": "y"}],
     "tasks.0.scorer.human_label: no record of the task's dataset has the human-label field 'agree'"),
    ([{"id": "a", "input": "x", "reference_answer": "y", "agree": "much better"}],
     "field 'agree', record id(s) a: 'much better' is not a pairwise label"),
])
def test_bad_human_labels_are_refused_with_where_they_are(tmp_path, records, message):
    suite = labelled_suite(tmp_path / "suite.yaml")
    spec = yaml.safe_load(suite.read_text())
    spec["tasks"] = spec["tasks"][:1]
    spec["tasks"][0]["dataset"] = records
    suite.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(InputError, match=re.escape(message)):
        load_suite(suite)
