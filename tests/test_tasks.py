"""Cells: seeded subsets, prompt rendering, and offline runs of inspect's mockllm."""

import socket

import pytest

from harness import results
from harness.run import execute, plan_run
from harness.suite import load_suite
from harness.run import build_messages, select_sample_ids
from harness.suite import render

SUITE = """\
suite: mock
seed: 3
prices:
  mockllm/model: {input: 1.0, output: 2.0}
tasks:
  - name: echo
    dataset: [{q: a, target: x}, {q: b, target: y}, {q: c, target: z}, {q: d, target: w}]
    system: "Answer {{q}}."
    prompt: "Q: {{q}}"
    prompts:
      shot: {shots: [{q: s, target: t}]}
    scorer: includes
    candidates:
      - {id: plain, model: mockllm/model}
      - {id: shot, model: mockllm/model, prompt: shot}
"""


@pytest.fixture
def suite(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SUITE)
    return load_suite(path)


def test_render_leaves_single_braces_alone():
    assert render('{"q": "{{q}}"} {{ n }}', {"q": "hi", "n": 3}) == '{"q": "hi"} 3'


def test_messages_with_shots(suite):
    task = suite.tasks[0]
    msgs = build_messages(task.variants["shot"], task.records[0], "target")
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user"]
    assert [m.text for m in msgs] == ["Answer a.", "Q: s", "t", "Q: a"]


def test_seeded_subset_is_stable_and_ordered(suite):
    task = suite.tasks[0]
    a, b = select_sample_ids(task, 2, seed=3), select_sample_ids(task, 2, seed=3)
    assert a == b and len(a) == 2 and list(a) == sorted(a, key=[r["id"] for r in task.records].index)
    assert select_sample_ids(task, None, 3) == ("1", "2", "3", "4")
    others = {select_sample_ids(task, 2, seed=s) for s in range(20)}
    assert len(others) > 1  # the seed matters


def test_mockllm_runs_offline(suite, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    outcome = execute(plan_run([suite]), tmp_path / "reports", display="none")
    df = results.from_run(outcome)
    assert len(df) == 8 and (df["input_tokens"] > 0).all()
    assert df["cost_usd"].gt(0).all()  # explicit suite prices apply to mockllm


def test_finished_cells_are_reused(suite, tmp_path):
    reports = tmp_path / "reports"
    first = execute(plan_run([suite]), reports, display="none")
    again = execute(plan_run([suite]), reports, display="none")
    assert (first.ran, again.ran, again.reused) == (2, 0, 2)
    changed = plan_run([suite], limit=2)
    assert execute(changed, reports, display="none").ran == 2  # a different sample set is a different cell
