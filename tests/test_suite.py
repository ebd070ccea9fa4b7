"""Suite loading and validation: every broken suite exits 2 with file and field/line, never a traceback."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import InputError
from harness.suite import load_suite

GOOD = """\
suite: demo
defaults:
  criteria: {max_drop: 0.05, alpha: 0.05}
  traffic_per_month: 1000
  candidates:
    - {id: a, model: local/smollm2-135m-instruct, max_tokens: 8}
    - {id: b, model: local/smollm2-135m-instruct, max_tokens: 8, prompt: shot}
tasks:
  - name: sentiment
    dataset:
      - {text: "I love it", target: positive}
      - {text: "Awful", target: negative}
    system: "Classify the sentiment."
    prompt: "Review: {{text}}"
    prompts:
      shot:
        shots: [{text: "Great", target: positive}]
    scorer: exact
"""


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_good_suite_loads_with_defaults_merged(tmp_path):
    suite = load_suite(write(tmp_path, GOOD))
    (task,) = suite.tasks
    assert [c.label() for c in task.candidates] == ["a", "b"]
    assert task.criteria.max_drop == 0.05 and task.traffic_per_month == 1000
    assert task.variants["shot"].shots == [{"text": "Great", "target": "positive"}]
    assert [r["id"] for r in task.records] == ["1", "2"]


def test_task_overrides_defaults_per_criteria_field(tmp_path):
    text = GOOD.replace("    scorer: exact\n", "    scorer: exact\n    criteria: {alpha: 0.01}\n")
    (task,) = load_suite(write(tmp_path, text)).tasks
    assert task.criteria.alpha == 0.01 and task.criteria.max_drop == 0.05


# (name, suite text transform, extra files, substrings the message must contain)
BROKEN = [
    ("missing field", lambda s: s.replace("    scorer: exact\n", ""), {}, ["tasks.0.scorer", "missing scorer"]),
    ("wrong type", lambda s: s.replace("max_tokens: 8}", 'max_tokens: "lots"}', 1), {},
     ["defaults.candidates.0.max_tokens", ":6:"]),
    ("unknown scorer", lambda s: s.replace("scorer: exact", "scorer: fuzzy"), {}, ["unknown scorer 'fuzzy'", ":18:"]),
    ("unknown placeholder", lambda s: s.replace("{{text}}", "{{txt}}"), {}, ["unknown placeholder {{txt}}", ":14:", "text"]),
    ("dataset file missing", lambda s: _with_dataset(s, "dataset: nothere.jsonl"), {},
     ["dataset file 'nothere.jsonl' not found", "tasks.0.dataset"]),
    ("duplicate task name", lambda s: s + s[s.index("  - name: sentiment"):], {}, ["duplicate task name 'sentiment'"]),
    ("empty dataset", lambda s: _with_dataset(s, "dataset: []"), {}, ["dataset is empty", "tasks.0.dataset"]),
    ("bad yaml", lambda s: s.replace("criteria: {max_drop: 0.05, alpha: 0.05}", "criteria: {max_drop: 0.05, alpha"), {},
     ["YAML syntax error", "suite.yaml:"]),
    ("unknown provider", lambda s: s.replace("{id: a, model: local/", "{id: a, model: acme/"), {},
     ["unknown model provider in 'acme/smollm2-135m-instruct'", "defaults.candidates"]),
    ("criteria out of range", lambda s: s.replace("alpha: 0.05}", "alpha: 1.5}"), {},
     ["criteria.alpha", "less than or equal to 0.5", ":3:"]),
    ("unknown key", lambda s: s.replace("    scorer: exact", "    scorer: exact\n    trafic: 5"), {},
     ["tasks.0.trafic", "Extra inputs are not permitted"]),
    ("reference not a candidate", lambda s: s.replace("alpha: 0.05}", "alpha: 0.05, reference: zz}"), {},
     ["reference 'zz' is not a candidate"]),
    ("unknown prompt variant", lambda s: s.replace("prompt: shot}", "prompt: two_shot}"), {},
     ["prompt variant 'two_shot'"]),
    ("bad jsonl line", lambda s: _with_dataset(s, "dataset: d.jsonl"),
     {"d.jsonl": '{"text": "ok", "target": "positive"}\n{"text": broken\n'}, ["d.jsonl:2", "invalid JSON"]),
    ("record without target", lambda s: _with_dataset(s, "dataset: d.jsonl"),
     {"d.jsonl": '{"text": "ok", "target": "positive"}\n{"text": "no label"}\n'}, ["d.jsonl:2", "no target field 'target'"]),
    ("scorer option wrong type", lambda s: s.replace("scorer: exact", "scorer: {type: numeric, tolerance: big}"), {},
     ["tasks.0.scorer.tolerance"]),
]


def _with_dataset(text: str, replacement: str) -> str:
    start = text.index("    dataset:\n")
    end = text.index("    system:")
    return text[:start] + "    " + replacement + "\n" + text[end:]


@pytest.mark.parametrize("name,transform,files,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_suite_exits_2_with_location(tmp_path, capsys, name, transform, files, expected):
    path = write(tmp_path, transform(GOOD))
    for fname, content in files.items():
        (tmp_path / fname).write_text(content)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err
    for text in expected:
        assert text in err, f"{name}: {text!r} not in:\n{err}"
    assert "Traceback" not in err


def test_all_problems_reported_at_once(tmp_path, capsys):
    text = GOOD.replace("scorer: exact", "scorer: fuzzy").replace("{{text}}", "{{txt}}")
    assert main(["validate", str(write(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert "unknown scorer" in err and "unknown placeholder" in err and "2 problem(s)" in err


def test_harness_run_on_broken_suite_exits_2_without_traceback(tmp_path):
    path = write(tmp_path, GOOD.replace("scorer: exact", "scorer: fuzzy"))
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(path), "--reports", str(tmp_path / "r")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown scorer 'fuzzy'" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()


def test_inspect_task_reference(tmp_path):
    (tmp_path / "mytasks.py").write_text("from inspect_ai import Task, task\n@task\ndef t():\n    return Task(dataset=[])\n")
    text = """\
    suite: ext
    tasks:
      - name: external
        task: mytasks.py@t
        candidates: [{model: local/smollm2-135m-instruct}]
    """
    (task,) = load_suite(write(tmp_path, text)).tasks
    assert task.inspect_task.endswith("mytasks.py@t")


def test_inspect_task_reference_with_dataset_is_refused(tmp_path, capsys):
    text = """\
    suite: ext
    tasks:
      - name: external
        task: missing.py@t
        dataset: [{target: 1}]
        candidates: [{model: local/smollm2-135m-instruct}]
    """
    assert main(["validate", str(write(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert "'missing.py' not found" in err and "`dataset` does not apply" in err


@pytest.mark.parametrize("value, message", [("{round: 0}", "sequential.round"), ("yes please", "sequential takes")])
def test_bad_sequential_setting_names_the_line_and_the_fix(tmp_path, value, message):
    path = tmp_path / "s.yaml"
    path.write_text(f"suite: s\nsequential: {value}\ntasks:\n  - name: t\n    dataset: [{{target: 1}}]\n"
                    "    prompt: x\n    scorer: exact\n    candidates: [{model: openai/gpt-4o-mini}]\n")
    with pytest.raises(InputError) as err:
        load_suite(path)
    (problem,) = err.value.problems
    assert problem.line == 2 and message in str(err.value)
