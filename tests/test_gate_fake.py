"""`harness gate` end to end on OpenAI candidates served by the fake provider server (harness.testing).

The fake answers per model: gpt-4o and gpt-4o-mini repeat the word they are given (equivalent,
and mini is cheaper), gpt-4.1-nano answers something else (clearly worse).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from _gate_data import harness, task_route, write_table
from harness.testing import FakeProviders, Script, last_user_text

SUITE = """\
suite: fake
tasks:
  - name: {name}
    dataset: words.jsonl
    system: Repeat the word.
    prompt: "{{{{word}}}}"
    scorer: exact
    traffic_per_month: 100000
    criteria: {{max_drop: 0.05, alpha: 0.05}}
    candidates:
      - {{id: big, model: openai/gpt-4o, max_tokens: 8, temperature: 0}}
"""

BIG = task_route("big", "openai/gpt-4o", max_tokens=8, temperature=0.0)
MINI = task_route("mini", "openai/gpt-4o-mini", max_tokens=8, temperature=0.0)
NANO = task_route("nano", "openai/gpt-4.1-nano", max_tokens=8, temperature=0.0)


def answer(provider: str, model: str, body: dict) -> str:
    return "no idea" if "nano" in model else last_user_text(body)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fake_gate")
    (root / "words.jsonl").write_text("".join(json.dumps({"id": f"w{i}", "word": f"word{i}", "target": f"word{i}"})
                                              + "\n" for i in range(80)))
    for name in ("swap", "other"):
        (root / f"{name}.yaml").write_text(SUITE.format(name=name))
    with FakeProviders(Script(answer=answer)) as fake:
        yield root, fake


def gate(root: Path, fake: FakeProviders, head: dict, *extra: str, base: dict | None = None):
    default = {k: BIG[k] for k in ("candidate", "model", "provider", "config")}  # unchanged default
    base_path = write_table(root / "base.json", base or {"swap": BIG, "other": BIG}, default)
    head_path = write_table(root / "head.json", head, default)
    return harness("gate", "--base", str(base_path), "--head", str(head_path), "--suite", "swap.yaml",
                   "other.yaml", "--reports", "reports", "--display", "none", "--markdown", "gate.md",
                   "--junit", "gate.xml", *extra, cwd=root, env=fake.env())


def test_equivalent_cheaper_model_passes(project):
    root, fake = project
    proc = gate(root, fake, {"swap": MINI, "other": BIG}, "--limit", "70")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "safe" in proc.stdout and "unchanged: other" in proc.stdout
    md = (root / "gate.md").read_text()
    assert "✅" in md and "gpt-4o-mini" in md and "−$" in md  # cheaper per call and per month
    suite = ET.parse(root / "gate.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"


def test_worse_model_is_proven_worse_and_nothing_is_sent_twice(project):
    root, fake = project
    proc = gate(root, fake, {"swap": NANO, "other": MINI}, "--limit", "70")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "proven worse" in proc.stdout and "upper bound" in proc.stdout
    assert "safe" in proc.stdout  # `other` changed too, to an equivalent model
    # Answers journaled by the first test were replayed: no request body was sent twice.
    assert fake.counters.models[("openai", "gpt-4.1-nano")] == 70
    assert fake.counters.each_item_once()
    cases = {c.get("name"): c for c in ET.parse(root / "gate.xml").getroot().iter("testcase")}
    assert cases["swap"].find("failure") is not None and cases["other"].find("failure") is None
    assert "no idea" in (root / "gate.md").read_text()  # the failing samples are shown


def test_too_few_samples_is_not_shown_with_a_sample_count(project):
    root, fake = project
    proc = gate(root, fake, {"swap": MINI, "other": BIG}, "--limit", "8")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not shown" in proc.stdout and "samples in all would settle it (now 8)" in proc.stdout
