"""`harness gate` end to end on the real local model, on the bundled task contact_extraction.

few-shot (Gemma 3 270M, the suite's reference) answers in at most 28 tokens on the default run's 90
samples, so capping it at 32 instead of 40 changes no answer (an equivalent candidate: difference exactly 0);
zero-shot-short scores ~0 (clearly worse).
The reports folder is shared with tests/test_pytest_plugin.py: cells run once per session.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from _gate_data import ROOT, harness, route, task_route, write_table

LOCAL = "local/gemma-3-270m"
FEW = task_route("few-shot", LOCAL, prompt="few_shot", max_tokens=40, temperature=0.0)
CAPPED = task_route("few-shot-capped", LOCAL, prompt="few_shot", max_tokens=32, temperature=0.0)
SHORT = task_route("zero-shot-short", LOCAL, max_tokens=24, temperature=0.0)
DEFAULT = route("few-shot", LOCAL, prompt="few_shot", max_tokens=40, temperature=0.0)


def shared_reports(factory: pytest.TempPathFactory) -> Path:
    return factory.getbasetemp() / "eval-reports"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_reports(tmp_path_factory)


def gate(tmp_path: Path, reports: Path, head: dict, *extra: str):
    base = write_table(tmp_path / "base.json", {"contact_extraction": FEW}, DEFAULT)
    head_path = write_table(tmp_path / "head.json", {"contact_extraction": head}, DEFAULT)
    return harness("gate", "--base", str(base), "--head", str(head_path), "--suite", "evalsets/support.yaml",
                   "--reports", str(reports), "--display", "none", "--markdown", str(tmp_path / "gate.md"),
                   "--junit", str(tmp_path / "gate.xml"), *extra, cwd=ROOT)


@pytest.mark.slow
def test_equivalent_configuration_passes(tmp_path, reports):
    proc = gate(tmp_path, reports, CAPPED, "--limit", "40")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok] contact_extraction (changed)" in proc.stdout and "+0.000" in proc.stdout
    assert "unchanged: ticket_routing" in proc.stdout  # served by the same default in both tables
    assert "✅ safe" in (tmp_path / "gate.md").read_text()
    assert ET.parse(tmp_path / "gate.xml").getroot().get("failures") == "0"


@pytest.mark.slow
def test_too_few_samples_is_not_shown(tmp_path, reports):
    proc = gate(tmp_path, reports, CAPPED, "--limit", "10")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not shown" in proc.stdout and "samples in all would settle it (now 10)" in proc.stdout


@pytest.mark.slow
def test_clearly_worse_candidate_is_proven_worse(tmp_path, reports):
    proc = gate(tmp_path, reports, SHORT, "--limit", "10")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "proven worse than few-shot" in proc.stdout
    md = (tmp_path / "gate.md").read_text()
    assert "❌ proven worse" in md and "first samples the new route got wrong" in md
    (case,) = ET.parse(tmp_path / "gate.xml").getroot().iter("testcase")
    assert case.get("name") == "contact_extraction" and case.find("failure").get("type") == "proven worse"


def test_route_to_an_undefined_prompt_variant_is_a_configuration_error(tmp_path, reports):
    proc = gate(tmp_path, reports, {**FEW, "config": {**FEW["config"], "prompt": "nope"}})
    assert proc.returncode == 2 and "prompt variant 'nope'" in proc.stderr
