"""Selection: each verdict path, the choice rule, and `harness select` on hand-made and harness results."""

import json

import numpy as np
import pandas as pd
import pytest

from _report_data import flip  # scores that differ from a base in both directions, seeded
from harness import results
from harness.cli import main
from harness.errors import InputError
from harness.select import FAIL, INCONCLUSIVE, PASS, REFERENCE, Criteria, select


def frame(task: str, scores: dict[str, np.ndarray], cost: dict[str, float], clusters=None) -> pd.DataFrame:
    rows = []
    for cand, arr in scores.items():
        for i, s in enumerate(arr):
            rows.append({"task": task, "candidate": cand, "sample_id": str(i), "score": float(s),
                         "cost_usd": cost[cand], "cluster": None if clusters is None else clusters[i]})
    return results.validate(pd.DataFrame(rows), "test")


rng = np.random.default_rng(0)
N = 400
REF = (rng.random(N) < 0.8).astype(float)


SAME = REF.copy()
WORSE = flip(REF, 0.4, 0.0, 1)       # about -0.32: proven worse
SLIGHTLY = flip(REF, 0.06, 0.0, 2)   # about -0.05: at the margin, not shown
BETTER = flip(REF, 0.0, 0.3, 3)


def decide(scores, cost, **crit):
    (d,) = select(frame("t", scores, cost), {"t": Criteria(**crit)}, {"t": 1000})
    return d


def test_equivalent_cheaper_candidate_passes_and_is_chosen():
    d = decide({"ref": REF, "same": SAME}, {"ref": 1.0, "same": 0.1}, reference="ref", max_drop=0.05)
    assert d.verdict("same").status == PASS and d.chosen == "same"
    assert d.verdict("ref").status == REFERENCE
    assert "90% cheaper" in d.summary
    assert d.monthly("same") == pytest.approx(100.0) and d.monthly("ref") == pytest.approx(1000.0)


def test_proven_worse_fails():
    d = decide({"ref": REF, "bad": WORSE}, {"ref": 1.0, "bad": 0.1}, reference="ref", max_drop=0.05)
    v = d.verdict("bad")
    assert v.status == FAIL and "proven worse" in v.reason and d.chosen == "ref"


def pairs(n: int, ref_ones: int, losses: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference right on `ref_ones` samples; the candidate also loses `losses` of them."""
    ref = np.zeros(n)
    ref[:ref_ones] = 1
    cand = ref.copy()
    cand[:losses] = 0
    return ref, cand


def test_margin_case_is_inconclusive_with_samples_needed():
    ref, cand = pairs(60, 48, 1)  # difference -0.017: probably fine, not yet shown at n = 60
    d = decide({"ref": ref, "meh": cand}, {"ref": 1.0, "meh": 0.1}, reference="ref", max_drop=0.05)
    v = d.verdict("meh")
    assert v.status == INCONCLUSIVE
    assert v.samples_needed is not None and v.samples_needed > 60
    assert f"about {v.samples_needed} samples" in v.reason


def test_estimate_beyond_margin_says_more_samples_will_not_help():
    ref, cand = pairs(50, 40, 4)  # difference -0.08: beyond the margin, but not proven worse at n = 50
    d = decide({"ref": ref, "meh": cand}, {"ref": 1, "meh": 0.1}, reference="ref", max_drop=0.05)
    v = d.verdict("meh")
    assert v.status == INCONCLUSIVE
    assert v.samples_needed is None and "would not make it pass" in v.reason


def test_cheapest_passing_wins_and_ties_go_to_higher_score():
    d = decide({"ref": REF, "a": SAME, "b": BETTER}, {"ref": 1.0, "a": 0.2, "b": 0.2}, reference="ref", max_drop=0.05)
    assert d.verdict("a").status == PASS and d.verdict("b").status == PASS
    assert d.chosen == "b"


def test_more_expensive_passing_candidate_does_not_replace_cheaper_reference():
    d = decide({"ref": REF, "a": BETTER}, {"ref": 0.1, "a": 1.0}, reference="ref", max_drop=0.05)
    assert d.verdict("a").status == PASS and d.chosen == "ref"


def test_min_score_only():
    d = decide({"good": SAME, "bad": WORSE}, {"good": 1.0, "bad": 0.1}, min_score=0.7)
    assert d.verdict("good").status == PASS and d.verdict("bad").status == FAIL and d.chosen == "good"


def test_nothing_passes_without_reference_means_no_route():
    d = decide({"bad": WORSE}, {"bad": 0.1}, min_score=0.9)
    assert d.chosen is None and "default route" in d.summary


def test_both_criteria_must_hold():
    # not worse than the reference, but the reference and it are below min_score
    d = decide({"ref": REF, "same": SAME}, {"ref": 1.0, "same": 0.1}, reference="ref", max_drop=0.05, min_score=0.9)
    assert d.verdict("same").status == FAIL and d.chosen == "ref"
    assert "below min_score" in d.summary


def test_holm_is_applied_across_candidates():
    scores = {"ref": REF, **{f"c{i}": SAME for i in range(5)}}
    d = decide(scores, {k: 1.0 for k in scores}, reference="ref", max_drop=0.05)
    raw = [d.verdict(f"c{i}").p_value for i in range(5)]
    adj = [d.verdict(f"c{i}").p_adjusted for i in range(5)]
    assert all(a >= r for a, r in zip(adj, raw)) and max(adj) > min(raw)


def test_unpaired_samples_are_restricted_and_said():
    df = frame("t", {"ref": REF, "a": SAME}, {"ref": 1, "a": 0.1})
    df = df[~((df["candidate"] == "a") & (df["sample_id"].isin(["0", "1"])))]
    (d,) = select(df, {"t": Criteria(reference="ref", max_drop=0.05)})
    assert d.n == N - 2 and "unpaired samples" in d.notes[0]


def test_epochs_are_averaged_per_sample():
    df = frame("t", {"ref": REF, "a": SAME}, {"ref": 1, "a": 0.1})
    doubled = pd.concat([df, df.assign(epoch=2)])
    (d,) = select(doubled, {"t": Criteria(reference="ref", max_drop=0.05)})
    assert d.n == N


def test_missing_criteria_and_unknown_reference_are_refused():
    df = frame("t", {"ref": REF}, {"ref": 1})
    with pytest.raises(InputError, match="has no criteria"):
        select(df, {})
    with pytest.raises(InputError, match="reference 'nope' is not a candidate"):
        select(df, {"t": Criteria(reference="nope")})


# ---- the CLI on files ----

def handmade_csv(tmp_path, n=300):
    rows = []
    for i in range(n):
        rows += [{"task": "faq", "candidate": "big", "sample_id": f"s{i}", "score": REF[i], "cost_usd": 0.002},
                 {"task": "faq", "candidate": "small", "sample_id": f"s{i}", "score": SAME[i], "cost_usd": 0.0002}]
    path = tmp_path / "r.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_select_on_handmade_csv(tmp_path, capsys):
    out = tmp_path / "routing.json"
    code = main(["select", "--results", str(handmade_csv(tmp_path)), "--reference", "big", "--max-drop", "0.05",
                 "--traffic", "10000", "--out", str(out)])
    assert code == 0
    routing = json.loads(out.read_text())
    assert routing["routes"]["faq"]["candidate"] == "small"
    assert "switch to small" in capsys.readouterr().out


@pytest.mark.parametrize("mutate,message", [
    (lambda df: df.drop(columns=["score"]), "missing column(s): score"),
    (lambda df: df.drop(columns=["cost_usd"]), "no cost column"),
    (lambda df: df.assign(score=df["score"].astype(object).where(df.index != 3, "high")), "non-numeric score on line(s) 5"),
    (lambda df: df.assign(score=df["score"] * 2), "score outside [0, 1]"),
])
def test_select_refuses_bad_results(tmp_path, capsys, mutate, message):
    path = handmade_csv(tmp_path)
    mutate(pd.read_csv(path)).to_csv(path, index=False)
    assert main(["select", "--results", str(path), "--reference", "big", "--out", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err


def test_select_refuses_unknown_reference(tmp_path, capsys):
    assert main(["select", "--results", str(handmade_csv(tmp_path)), "--reference", "huge"]) == 2
    assert "reference 'huge' is not a candidate of task 'faq'" in capsys.readouterr().err


def test_select_missing_file(tmp_path, capsys):
    assert main(["select", "--results", str(tmp_path / "nope.csv")]) == 2
    assert "results file not found" in capsys.readouterr().err
