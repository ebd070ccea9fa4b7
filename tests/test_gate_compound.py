"""`harness gate` on compound routes: a change of threshold or of steps is a route change to be shown safe.

The tables come from `harness select --compound` on a results file, so they are what a team would
commit; the head table is the base with one thing edited, as a pull request would change it.
"""

import json

import numpy as np
import pandas as pd

from harness.cli import main
from harness.gate import GateOptions, GateStatus, run_gate


def _results(path, n=400, seed=5):
    """`small` is right on easy questions and says so (high confidence); on hard ones it is wrong half the
    time, with low confidence. `big` is right on all of them."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        hard = rng.random() < 0.3
        right = rng.random() < (0.5 if hard else 0.995)
        conf = rng.uniform(0.2, 0.6) if hard else rng.uniform(0.9, 1.0)
        for cand, model, score, cost, c in (("big", "openai/gpt-4o", 1.0, 0.01, np.nan),
                                            ("small", "openai/gpt-4o-mini", float(right), 0.0005, conf)):
            rows.append({"task": "qa", "candidate": cand, "model": model, "sample_id": i, "score": score,
                         "cost_usd": cost, "output": "42" if score else "17", "input": f"question {i}",
                         "confidence": c})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _tables(tmp_path):
    results = _results(tmp_path / "r.csv")
    base = tmp_path / "base.json"
    assert main(["select", "--results", str(results), "--reference", "big", "--max-drop", "0.03",
                 "--compound", "cascade:small>big@confidence", "--out", str(base)]) == 0
    data = json.loads(base.read_text())
    assert data["schema"] == "harness.routing/v3"
    assert data["routes"]["qa"]["compound"]["kind"] == "cascade", "the fixture must choose the cascade"
    return results, base, data


def _head(tmp_path, data, edit):
    head = json.loads(json.dumps(data))
    edit(head["routes"]["qa"]["compound"])
    path = tmp_path / "head.json"
    path.write_text(json.dumps(head))
    return path


def _gate(results, base, head):
    return run_gate(GateOptions(base=base, head=head, suites=[], results=results), say=lambda _: None)


def test_the_same_compound_route_is_unchanged(tmp_path):
    results, base, data = _tables(tmp_path)
    r = _gate(results, base, _head(tmp_path, data, lambda c: None))
    assert r.changes == [] and r.exit_code == 0


def test_a_threshold_that_accepts_every_cheap_answer_is_a_change_shown_unsafe(tmp_path):
    results, base, data = _tables(tmp_path)
    chosen = data["routes"]["qa"]["compound"]["threshold"]
    assert 0.0 < chosen <= 1.0
    r = _gate(results, base, _head(tmp_path, data, lambda c: c.update(threshold=0.0)))
    (change,) = r.changes
    # at 0.0 every request stays with small (0.85 right), far below the base route (about 0.995)
    assert change.task == "qa" and change.failed and r.exit_code == 1, change.message
    assert change.judgement is not None and change.judgement.difference.estimate < -0.05


def test_a_more_conservative_threshold_is_a_change_shown_safe(tmp_path):
    results, base, data = _tables(tmp_path)
    r = _gate(results, base, _head(tmp_path, data, lambda c: c.update(threshold=0.99)))
    (change,) = r.changes
    # escalating more can only move answers to big, which is right on all of them
    assert change.status == GateStatus.SAFE and not change.failed and r.exit_code == 0, change.message


def test_a_change_of_steps_is_a_route_change(tmp_path):
    results, base, data = _tables(tmp_path)

    def swap_steps(c):
        # big first: its answers carry no confidence (NaN), so none is accepted and small answers everything
        c["steps"] = c["steps"][::-1]
        c["steps"][0]["logprobs"], c["steps"][1]["logprobs"] = False, True

    r = _gate(results, base, _head(tmp_path, data, swap_steps))
    (change,) = r.changes
    assert change.task == "qa" and change.failed, change.message
    assert change.judgement.difference.estimate < -0.05


def test_a_compound_route_against_a_single_model_route(tmp_path):
    """Replacing the cascade by its cheap step alone is judged on the rows, like any swap."""
    results, base, data = _tables(tmp_path)
    head = json.loads(json.dumps(data))
    step = head["routes"]["qa"]["compound"]["steps"][0]
    route = head["routes"]["qa"]
    route.update({k: step[k] for k in ("candidate", "model", "provider", "config")}, compound=None)
    route.pop("compound")
    head["schema"] = "harness.routing/v2"
    path = tmp_path / "head.json"
    path.write_text(json.dumps(head))
    r = _gate(results, base, path)
    (change,) = r.changes
    assert change.failed and "small" in change.new.candidate, change.message


# --- scored here: the parts of a compound route run as cells, on the fake provider server ------------

def _cascade(check: dict) -> dict:
    from _gate_data import route, task_route

    steps = [{**route(c, m, max_tokens=8, temperature=0.0), "price": None, "cost_per_call_usd": cost}
             for c, m, cost in (("nano", "openai/gpt-4.1-nano", 0.0001), ("big", "openai/gpt-4o", 0.002))]
    return {**task_route("cascade:nano>big", "compound/cascade"), "provider": "compound",
            "compound": {"kind": "cascade", "steps": steps, "checks": [check], "scorer": {"kind": "exact"}}}


def test_a_cascade_whose_check_catches_the_bad_answers_is_shown_safe_by_running_its_steps(tmp_path):
    from test_gate_fake import BIG, SUITE, answer  # one fake world for the gate tests: nano answers "no idea"

    from _gate_data import harness, write_table
    from harness.testing import FakeProviders, Script

    (tmp_path / "words.jsonl").write_text("".join(json.dumps({"id": f"w{i}", "word": f"word{i}", "target": f"word{i}"})
                                                  + "\n" for i in range(80)))
    (tmp_path / "swap.yaml").write_text(SUITE.format(name="swap"))
    default = {k: BIG[k] for k in ("candidate", "model", "provider", "config")}
    base = write_table(tmp_path / "base.json", {"swap": BIG}, default)
    for name, check in (("caught", {"type": "regex", "pattern": r"^word\d+$"}), ("missed", {"type": "parses"})):
        head = write_table(tmp_path / f"{name}.json", {"swap": _cascade(check)}, default)
        head.write_text(head.read_text().replace("harness.routing/v1", "harness.routing/v3"))
        with FakeProviders(Script(answer=answer)) as fake:
            proc = harness("gate", "--base", str(base), "--head", str(head), "--suite", "swap.yaml", "--reports",
                           "reports", "--display", "none", "--limit", "70", cwd=tmp_path, env=fake.env())
            models = dict(fake.counters.models)
        out = proc.stdout + proc.stderr
        if name == "caught":  # nano's "no idea" fails the regex: every request escalates to gpt-4o
            assert proc.returncode == 0 and "safe" in out, out
        else:  # "no idea" parses as an answer of an exact task without labels: nano answers everything
            assert proc.returncode == 1 and "proven worse" in out, out
        assert "Traceback" not in out
        # each step ran once per sample, whatever the second table's check; the old side's gpt-4o is the same cell
        assert models.get(("openai", "gpt-4.1-nano"), 0) <= 70 and models.get(("openai", "gpt-4o"), 0) <= 70


pytest_plugins = ["pytester"]


def test_pytest_eval_runs_a_compound_route_against_the_reference(pytester, monkeypatch):
    from test_gate_fake import BIG, SUITE, answer

    from _gate_data import write_table
    from harness.testing import FakeProviders, Script

    root = pytester.path
    (root / "words.jsonl").write_text("".join(json.dumps({"id": f"w{i}", "word": f"word{i}", "target": f"word{i}"})
                                              + "\n" for i in range(80)))
    (root / "swap.yaml").write_text(SUITE.format(name="swap").replace("criteria: {", "criteria: {reference: big, "))
    default = {k: BIG[k] for k in ("candidate", "model", "provider", "config")}
    table = write_table(root / "routing.json", {"swap": _cascade({"type": "regex", "pattern": r"^word\d+$"})},
                        default)
    table.write_text(table.read_text().replace("harness.routing/v1", "harness.routing/v3"))
    pytester.makeini("[pytest]\n")
    with FakeProviders(Script(answer=answer)) as fake:
        for k, v in fake.env().items():
            monkeypatch.setenv(k, v)
        result = pytester.runpytest_subprocess("-c", "tox.ini", "-p", "no:cacheprovider", "--eval", "--eval-suite",
                                               "swap.yaml", "--eval-routing", str(table), "--eval-limit", "70", "-rA")
    result.stdout.fnmatch_lines(["*swap.yaml::swap[[]cascade:nano>big[]]*"])
    result.assert_outcomes(passed=1)
