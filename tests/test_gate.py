"""harness.gate on results files (no model is called): route diffs, verdicts, exit codes, Markdown and JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _gate_data import harness, route, task_route, write_table
from harness import gate as _gate_report
from harness.errors import InputError
from harness.gate import ADDED, CHANGED, DEFAULT, REMOVED, GateOptions, diff, run_gate
from harness.routing import parse

OLD = task_route("sonnet", "anthropic/claude-3-5-sonnet-latest", max_tokens=16, temperature=0.0)
SAME = task_route("haiku", "anthropic/claude-3-5-haiku-latest", max_tokens=16, temperature=0.0)
BAD = task_route("nano", "openai/gpt-4.1-nano", max_tokens=16, temperature=0.0)
DEFAULT_ROUTE = route("sonnet", "anthropic/claude-3-5-sonnet-latest", max_tokens=16, temperature=0.0)


def results_rows(task: str, r: dict, scores: np.ndarray, cost: float) -> list[dict]:
    config = json.dumps({"cache_prompt": False, "max_tokens": 16, "model_args": {}, "temperature": 0.0})
    return [{"task": task, "candidate": r["candidate"], "model": r["model"], "config": config,
             "sample_id": f"s{i}", "score": float(s), "prod_cost_usd": cost, "cluster": None,
             "input": f"question {i}", "output": "wrong" if s < 1 else "right", "target": "right"}
            for i, s in enumerate(scores)]


@pytest.fixture
def results(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    good = (rng.random(200) < 0.9).astype(float)
    rows = []
    for task in ("safe", "worse", "few"):
        n = 12 if task == "few" else 200
        rows += results_rows(task, OLD, good[:n], 0.01)
        rows += results_rows(task, SAME, good[:n], 0.001)
        rows += results_rows(task, BAD, np.zeros(n), 0.0001)
    path = tmp_path / "results.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def gate(tmp_path: Path, results: Path, base: dict, head: dict, **kw) -> object:
    b = write_table(tmp_path / "base.json", base, DEFAULT_ROUTE)
    h = write_table(tmp_path / "head.json", head, DEFAULT_ROUTE)
    return run_gate(GateOptions(base=b, head=h, suites=[], results=results, **kw), say=lambda _: None)


def test_verdicts_from_results(tmp_path, results):
    r = gate(tmp_path, results, {"safe": OLD, "worse": OLD, "few": OLD}, {"safe": SAME, "worse": BAD, "few": SAME})
    by = {c.task: c for c in r.changes}
    assert by["safe"].status == "safe" and not by["safe"].failed
    assert by["worse"].status == "proven worse" and "upper bound" in by["worse"].message
    assert by["few"].status == "not shown" and "samples in all would settle it (now 12)" in by["few"].message
    assert by["few"].judgement.samples_needed > 12
    assert r.exit_code == 1 and {c.task for c in r.failures} == {"worse", "few"}


def test_unchanged_routes_are_not_evaluated_and_exit_0(tmp_path, results):
    renamed = {**OLD, "candidate": "renamed"}  # an id alone changes no answer
    r = gate(tmp_path, results, {"safe": OLD}, {"safe": renamed})
    assert r.changes == [] and r.unchanged == ["safe"] and r.exit_code == 0
    assert "no route changed" in _gate_report.markdown(r)


def test_removed_route_fails_unless_allowed(tmp_path, results):
    r = gate(tmp_path, results, {"safe": OLD, "worse": OLD}, {"safe": OLD})
    (c,) = r.changes
    assert (c.task, c.kind, c.status, c.failed) == ("worse", REMOVED, "removed", True)
    assert "--allow-removed" in c.message
    # Allowed: the fallback to the head default (sonnet) is gated against the removed route.
    allowed = gate(tmp_path, results, {"safe": OLD, "worse": BAD}, {"safe": OLD}, allow_removed=True)
    (c,) = allowed.changes
    assert c.kind == REMOVED and c.new.candidate == "sonnet" and c.status == "safe" and allowed.exit_code == 0
    same = gate(tmp_path, results, {"safe": OLD, "worse": OLD}, {"safe": OLD}, allow_removed=True)
    assert same.changes[0].status == "safe" and "same model" in same.changes[0].message


def test_added_route_is_gated_against_the_old_default(tmp_path, results):
    r = gate(tmp_path, results, {"safe": OLD}, {"safe": OLD, "worse": BAD})
    (c,) = r.changes
    assert c.kind == ADDED and c.old.candidate == "sonnet" and c.status == "proven worse" and r.exit_code == 1


def test_diff_uses_pick_semantics_and_reports_the_default():
    base = parse(json.loads(json.dumps(_table({"a": OLD, "b": OLD}, DEFAULT_ROUTE))))
    head = parse(json.loads(json.dumps(_table({"a": SAME, "c": SAME}, route("h", "openai/gpt-4o")))))
    changes, unchanged = diff(base, head, ["d"])
    kinds = {c.task: c.kind for c in changes}
    assert kinds == {"a": CHANGED, "c": ADDED, "b": REMOVED, "d": DEFAULT, "(default route)": DEFAULT}
    assert unchanged == []


def _table(routes: dict, default: dict) -> dict:
    from _gate_data import table

    return table(routes, default)


def test_markdown_and_junit_parse_and_carry_the_numbers(tmp_path, results):
    r = gate(tmp_path, results, {"safe": OLD, "worse": OLD}, {"safe": SAME, "worse": BAD})
    md = _gate_report.markdown(r)
    assert md.startswith(_gate_report.MARKER) and "| `worse` | changed |" in md and "❌ proven worse" in md
    assert "$10,000.00 → $1,000.00 (-90%)" in md  # cost per 1M calls, old → new
    assert "question" in md  # first failing samples of the unsafe change
    root = ET.fromstring(_gate_report.junit(r))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["worse"].find("failure").get("type") == "proven worse"
    assert cases["safe"].find("failure") is None and root.find("testsuite").get("failures") == "1"


def test_unknown_task_is_a_configuration_error(tmp_path, results):
    with pytest.raises(InputError, match="in no suite"):
        gate(tmp_path, results, {"ghost": OLD}, {"ghost": SAME})


def test_cli_exit_codes_and_files(tmp_path, results):
    """Run in a folder without evalsets/: --results alone scores both routes."""
    b = write_table(tmp_path / "base.json", {"safe": OLD, "worse": OLD}, DEFAULT_ROUTE)
    h = write_table(tmp_path / "head.json", {"safe": SAME, "worse": BAD}, DEFAULT_ROUTE)
    common = ("gate", "--base", str(b), "--results", str(results))
    proc = harness(*common, "--head", str(h), "--markdown", "out/g.md", "--junit", "out/g.xml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "proven worse" in proc.stdout and "Traceback" not in proc.stderr
    assert ET.parse(tmp_path / "out" / "g.xml").getroot().tag == "testsuites"
    assert (tmp_path / "out" / "g.md").read_text().count("\n| `") == 2

    h.write_text(h.read_text().replace('"max_tokens": 16', '"max_tokens": "16"', 1))  # malformed
    bad = harness(*common, "--head", str(h), cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "config.max_tokens: input should be a valid integer" in bad.stderr
    h.write_text("{not json")
    assert harness(*common, "--head", str(h), cwd=tmp_path).returncode == 2
    missing = harness(*common, "--head", str(b), "--suite", "nope.yaml", cwd=tmp_path)
    assert missing.returncode == 2 and "suite file not found" in missing.stderr
    assert harness("gate", "--head", str(b), cwd=tmp_path).returncode == 2  # usage: --base is required


def test_example_workflow_parses_and_does_what_the_readme_says():
    import re
    import subprocess

    import yaml

    path = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "model-gate.yml"
    wf = yaml.safe_load(path.read_text())
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert set(on["pull_request"]["paths"]) == {"reports/routing.json", "evalsets/**"}
    steps = wf["jobs"]["gate"]["steps"]
    cached = [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/cache")]
    assert any("reports/journal.sqlite" in p for p in cached)
    runs = {s.get("name"): s.get("run", "") for s in steps}
    assert "harness gate --base" in runs["Gate"] and "--markdown" in runs["Gate"] and "--junit" in runs["Gate"]
    fake = next(s for s in steps if "harness.testing" in s.get("run", ""))
    assert "OPENAI_API_KEY == ''" in fake["if"]
    assert any("createComment" in s.get("with", {}).get("script", "") for s in steps)
    for name, script in runs.items():  # every shell step is valid bash
        if script:
            text = re.sub(r"\$\{\{[^}]*\}\}", "x", script)
            check = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
            assert check.returncode == 0, f"{name}: {check.stderr}"


ADDED_SUITE = """\
suite: small
tasks:
  - name: fresh
    dataset: [{id: a, q: x, target: "1"}, {id: b, q: y, target: "1"}]
    prompt: "{{q}}"
    scorer: exact
    criteria: {min_score: %s}
    candidates:
      - {id: mock, model: mockllm/model, max_tokens: 4}
"""


@pytest.mark.parametrize("min_score, status, failed", [("null", "not gated", False), ("0.9", "not shown", True)])
def test_added_route_whose_old_default_cannot_run_is_checked_on_min_score_only(tmp_path, min_score, status, failed):
    (tmp_path / "s.yaml").write_text(ADDED_SUITE % min_score)
    mock = task_route("mock", "mockllm/model", max_tokens=4)
    rows = results_rows("fresh", mock, np.ones(2), 0.0)
    for r in rows:
        r["config"] = json.dumps({"cache_prompt": False, "max_tokens": 4, "model_args": {}})
    pd.DataFrame(rows).to_csv(tmp_path / "r.csv", index=False)
    few_shot_default = route("big", "openai/gpt-4o", prompt="few_shot")  # `fresh` defines no few_shot variant
    b = write_table(tmp_path / "base.json", {"other": OLD}, few_shot_default)
    h = write_table(tmp_path / "head.json", {"other": OLD, "fresh": mock}, few_shot_default)
    r = run_gate(GateOptions(base=b, head=h, suites=[tmp_path / "s.yaml"], results=tmp_path / "r.csv"),
                 say=lambda _: None)
    by = {c.task: c for c in r.changes}
    c = by["fresh"]
    assert (c.kind, c.status, c.failed) == (ADDED, status, failed)
    assert any("no comparison with the old route" in n and "few_shot" in n for n in c.notes)
