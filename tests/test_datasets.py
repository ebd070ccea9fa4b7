"""The bundled datasets: every file is listed with its source, version, license, rebuild command and
sha256 in evalsets/data/README.md, and its rebuild script reproduces it byte for byte, offline."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "evalsets" / "data"
COLUMNS = ["file", "records", "task", "source", "version", "license", "rebuild", "sha256"]


def _entries() -> dict[str, dict[str, str]]:
    lines = (DATA / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| file | records |"))
    assert [c.strip() for c in lines[start].strip("|").split("|")] == COLUMNS
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = dict(zip(COLUMNS, (c.strip() for c in line.strip().strip("|").split("|"))))
        rows[cells["file"].strip("`")] = cells
    return rows


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"evalsets_{name}", DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_bundled_file_has_a_full_entry():
    entries = _entries()
    assert set(entries) == {p.name for p in DATA.glob("*.jsonl")}
    for name, e in entries.items():
        assert all(e[c] for c in COLUMNS), name
        path = DATA / name
        assert e["sha256"].strip("`") == hashlib.sha256(path.read_bytes()).hexdigest(), name
        assert int(e["records"]) == path.read_bytes().count(b"\n"), name
        assert re.fullmatch(r"`python evalsets/data/(build|generate)\.py`", e["rebuild"]), name


@pytest.mark.parametrize("script", ["build", "generate"])
def test_rebuild_reproduces_the_committed_files(script, monkeypatch, tmp_path):
    module = _script(script)
    # write into a scratch folder: the test must not touch the committed files
    monkeypatch.setattr(module, "OUT_DIR" if script == "generate" else "HERE", tmp_path)
    if script == "build":
        monkeypatch.setattr(module, "SOURCES", DATA / "sources")
    assert module.main([]) == 0
    rebuilt = {p.name for p in tmp_path.glob("*.jsonl")}
    listed = {n for n, e in _entries().items() if script in e["rebuild"]}
    assert rebuilt == listed
    for name in rebuilt:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_check_flags_a_changed_file(monkeypatch, tmp_path, capsys):
    module = _script("build")
    monkeypatch.setattr(module, "HERE", tmp_path)
    monkeypatch.setattr(module, "SOURCES", DATA / "sources")
    assert module.main([]) == 0
    path = tmp_path / "tickets.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"label": "card"', b'"label": "cash"', 1))
    assert module.main(["--check"]) == 1
    assert "tickets.jsonl differs from its rebuild" in capsys.readouterr().err


def test_no_eval_message_is_in_the_training_split():
    import json

    def texts(name):
        return {" ".join(json.loads(line)["text"].lower().split()) for line in (DATA / name).open()}

    assert not texts("tickets.jsonl") & (texts("tickets_train.jsonl") | texts("tickets_shots.jsonl"))
