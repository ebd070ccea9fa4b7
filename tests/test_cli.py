"""The command line itself: --version, and where status and collect look for a run."""

from pathlib import Path

import pytest

from harness.cli import main
from harness.journal import open_journal
from harness.run import remember_reports


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("harness 0.")


def test_status_finds_the_folder_the_last_run_wrote_to(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "elsewhere"
    open_journal(out / "journal.sqlite")
    remember_reports(out)  # what `harness run --reports elsewhere` records
    assert main(["status", "--offline"]) == 0
    printed = capsys.readouterr().out
    assert f"the last `harness run` here wrote to {out}" in printed and "no batches in flight" in printed
    assert main(["status", "--offline", "--reports", "reports"]) == 0  # a folder named by the user is used as is
    assert "no journal at reports/journal.sqlite" in capsys.readouterr().out


def test_status_says_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["status"]) == 0
    printed = capsys.readouterr().out
    assert "looked in reports/" in printed and "pass --reports DIR" in printed


def test_a_run_records_its_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    suite = tmp_path / "s.yaml"
    suite.write_text("suite: s\ntasks:\n  - name: t\n    dataset: [{text: a, target: b}]\n    prompt: '{{text}}'\n"
                     "    scorer: exact\n    criteria: {min_score: 0.5}\n    candidates: [{model: mockllm/model}]\n")
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert main(["run", str(suite), "--reports", "out", "--display", "none"]) == 0
    capsys.readouterr()
    assert main(["status", "--offline"]) == 0
    assert f"wrote to {Path('out').resolve()}" in capsys.readouterr().out
