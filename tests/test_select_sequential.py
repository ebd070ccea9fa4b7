"""Selection on results collected in rounds: the verdicts replay the anytime-valid tests round by round."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness import select
from harness.select import open_candidates, tracks
from harness.results import validate
from harness.stats import SEQUENTIAL_HORIZON, SequentialTest, bonferroni_alpha

ROUND, PLANNED = 25, 400


def _rows(candidate: str, scores: np.ndarray, cost: float, rounds: int, start: int = 0) -> list[dict]:
    n = min(rounds * ROUND, scores.size)
    return [{"task": "t", "candidate": candidate, "model": f"m/{candidate}", "sample_id": f"s{start + i:04d}",
             "score": float(scores[i]), "prod_cost_usd": cost, "cost_usd": cost / 2, "round": i // ROUND + 1,
             "planned_samples": PLANNED} for i in range(n)]


def _frame(rows: list[dict]) -> pd.DataFrame:
    return validate(pd.DataFrame(rows), "test")


def _correlated(rng, ref_acc, accs, n=PLANNED):
    z = rng.standard_normal(n)
    ref = (z < np.quantile(z, ref_acc)).astype(float)
    out = []
    for acc in accs:
        w = 0.8 * z + 0.6 * rng.standard_normal(n)
        out.append((w < np.quantile(w, acc)).astype(float))
    return ref, out


def test_verdict_and_round_match_the_sequential_test_fed_round_by_round():
    rng = np.random.default_rng(5)
    ref, (good, bad) = _correlated(rng, 0.8, [0.85, 0.55])
    crit = select.Criteria(max_drop=0.05, reference="ref")
    df = _frame(_rows("ref", ref, 1.0, 16) + _rows("good", good, 0.1, 16) + _rows("bad", bad, 0.05, 16))
    found, summary = tracks(df, None, 0.05, 0.05, "ref")
    for name, scores in (("good", good), ("bad", bad)):
        test = SequentialTest(0.05, bonferroni_alpha(0.05, 2), horizon=SEQUENTIAL_HORIZON)
        expected_round = None
        for r in range(1, 17):
            state = test.update((scores - ref)[(r - 1) * ROUND: r * ROUND])
            if state.decided and expected_round is None:
                expected_round = r
        assert found[name].decided == state.decided
        assert found[name].decided_round == expected_round
    assert found["good"].decided == "pass" and found["bad"].decided == "fail"
    assert summary.samples_used == 3 * 16 * ROUND and summary.samples_fixed == 3 * PLANNED
    decision = select.decide_task(df, "t", crit, None)
    assert decision.chosen == "good" and decision.sequential is not None
    v = decision.verdict("good")
    assert v.status == select.PASS and v.decided_round == found["good"].decided_round
    # the anytime-valid bounds agree with the decision: the pass is where the lower bound clears the margin
    assert v.difference.low > -0.05 and v.p_adjusted <= 0.05


def test_row_order_does_not_change_the_decision():
    rng = np.random.default_rng(6)
    ref, (a,) = _correlated(rng, 0.8, [0.84])
    df = _frame(_rows("ref", ref, 1.0, 16) + _rows("a", a, 0.1, 16))
    crit = select.Criteria(max_drop=0.05, reference="ref")
    one = select.decide_task(df, "t", crit, None).verdict("a")
    two = select.decide_task(df.sample(frac=1, random_state=1), "t", crit, None).verdict("a")
    assert (one.status, one.decided_round, one.reason) == (two.status, two.decided_round, two.reason)


def test_min_score_only_passes_and_fails_on_the_scores_confidence_sequence():
    rng = np.random.default_rng(7)
    high = (rng.random(PLANNED) < 0.95).astype(float)
    low = (rng.random(PLANNED) < 0.5).astype(float)
    df = _frame(_rows("high", high, 1.0, 16) + _rows("low", low, 0.1, 16))
    d = select.decide_task(df, "t", select.Criteria(min_score=0.8), None)
    assert d.verdict("high").status == select.PASS and d.verdict("low").status == select.FAIL
    assert d.chosen == "high"


def test_who_gets_the_next_round():
    rng = np.random.default_rng(8)
    ref, (cheap_good, dear_good, hopeless) = _correlated(rng, 0.8, [0.9, 0.9, 0.3])
    # after one round: nobody has passed yet, the hopeless one is already settled
    df = _frame(_rows("ref", ref, 1.0, 1) + _rows("cheap", cheap_good, 0.1, 1) + _rows("dear", dear_good, 0.5, 1)
                + _rows("hopeless", hopeless, 0.01, 1))
    first = open_candidates(df, None, 0.05, 0.05, "ref")
    assert "hopeless" not in first and {"cheap", "dear", "ref"} <= set(first)
    # run on until the cheap one passes: the dearer one is then not needed and the task is settled
    for r in range(2, 17):
        df = _frame(_rows("ref", ref, 1.0, r) + _rows("cheap", cheap_good, 0.1, r) + _rows("dear", dear_good, 0.5, r)
                    + _rows("hopeless", hopeless, 0.01, 1))
        found, _ = tracks(df, None, 0.05, 0.05, "ref")
        if found["cheap"].decided == "pass":
            break
    assert found["cheap"].decided == "pass"
    assert found["dear"].state in ("not needed", "passed")
    assert open_candidates(df, None, 0.05, 0.05, "ref") == []
    assert found["hopeless"].state in ("failed", "futile")


def test_a_candidate_dearer_than_the_reference_is_never_needed():
    rng = np.random.default_rng(9)
    ref, (dear,) = _correlated(rng, 0.8, [0.8])
    df = _frame(_rows("ref", ref, 1.0, 1) + _rows("dear", dear, 2.0, 1))
    assert open_candidates(df, None, 0.05, 0.05, "ref") == []
    assert tracks(df, None, 0.05, 0.05, "ref")[0]["dear"].state == "not needed"


@pytest.mark.parametrize("criteria", [select.Criteria(), select.Criteria(max_drop=0.05)])
def test_without_criteria_every_candidate_runs_to_the_end(criteria):
    rng = np.random.default_rng(10)
    df = _frame(_rows("a", rng.random(PLANNED).round(), 1.0, 1) + _rows("b", rng.random(PLANNED).round(), 1.0, 1))
    assert open_candidates(df, criteria.min_score, criteria.margin, 0.05, criteria.reference) == ["a", "b"]


def test_a_candidate_without_samples_shared_with_the_reference_stays_undecided():
    rng = np.random.default_rng(11)
    ref, (a,) = _correlated(rng, 0.8, [0.95])
    rows = _rows("ref", ref, 1.0, 2) + _rows("a", a, 0.1, 2, start=1000)  # different sample ids
    found, _ = tracks(_frame(rows), None, 0.05, 0.05, "ref")
    assert found["a"].decided is None and found["a"].difference is None


def test_the_benchmark_simulates_the_same_rule_the_run_loop_applies():
    """benchmarks/sequential.py vectorises the stop rule; the run loop uses _select_sequential. Same samples."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("bench_sequential",
                                                  Path(__file__).resolve().parents[1] / "benchmarks" / "sequential.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    runs = 12
    reference, cands = bench.simulate_task(runs, np.random.default_rng(3))
    used, _, _ = bench.sequential(reference, cands, bench.HORIZON, bench.FUTILITY)
    names = [name.split()[0] for name, _, _ in bench.CANDIDATES]
    costs = {n: c / 1000 for n, (_, _, c) in zip(names, bench.CANDIDATES)}
    for r in range(runs):
        data = {"ref": reference[r], **{n: cands[k, r] for k, n in enumerate(names)}}
        cost = {"ref": bench.REF_COST / 1000, **costs}
        rows, open_ = [], list(data)
        for rnd in range(1, bench.N_MAX // bench.ROUND + 1):
            lo = (rnd - 1) * bench.ROUND
            rows += [{"task": "t", "candidate": k, "sample_id": f"s{i:04d}", "score": float(data[k][i]),
                      "prod_cost_usd": cost[k], "cost_usd": cost[k], "round": rnd, "planned_samples": bench.N_MAX}
                     for k in open_ for i in range(lo, lo + bench.ROUND)]
            open_ = open_candidates(_frame(rows), None, bench.MAX_DROP, bench.ALPHA, "ref")
            if not open_:
                break
        got = pd.DataFrame(rows).groupby("candidate")["sample_id"].nunique()
        assert [int(got.get(n, 0)) for n in names] == used[:, r].tolist(), f"task {r}"


def test_clustered_task_says_the_sequential_tests_do_not_model_clusters():
    rng = np.random.default_rng(12)
    ref, (a,) = _correlated(rng, 0.8, [0.8])
    # a sample's cluster is the same for every candidate (the same document, the same template)
    df = _frame([{**row, "cluster": f"c{int(row['sample_id'][1:]) % 7}"}
                 for row in _rows("ref", ref, 1.0, 2) + _rows("a", a, 0.1, 2)])
    notes = select.decide_task(df, "t", select.Criteria(max_drop=0.05, reference="ref"), None).notes
    assert any("7 clusters are not modelled" in n for n in notes)
    plain = select.decide_task(df.assign(cluster=None), "t", select.Criteria(max_drop=0.05, reference="ref"), None)
    assert not any("clusters" in n for n in plain.notes)
