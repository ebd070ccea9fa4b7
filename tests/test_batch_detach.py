"""Detached runs, crashes (SIGKILL) with nothing paid twice, --max-cost, and no API key in any file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import zipfile_zstd  # noqa: F401  (teaches zipfile the zstd members of inspect's .eval logs)
from _batch_support import CLAUDE, GPT, KEY, answer_word, env, first_time, harness, results, rows, write_suite  # noqa: F401

from harness.testing import ItemFault, ManualClock, Script, Usage, text_contains

ROOT = Path(__file__).resolve().parents[1]


def subprocess_env(fake, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, **fake.env(KEY), "HARNESS_POLL_SECONDS": "0.02", "INSPECT_DISPLAY": "none",
            "XDG_DATA_HOME": str(tmp_path / "xdg"), "NO_COLOR": "1", **extra}


def journal_batches(reports: Path) -> list[tuple[str, str]]:
    try:
        with sqlite3.connect(reports / "journal.sqlite") as db:
            return db.execute("SELECT provider, status FROM batches").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def test_detach_status_collect(env, tmp_path, capsys):
    clock = ManualClock()
    fake = env(Script(answer=answer_word, clock=clock, batch_processing_seconds=600))
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE, GPT], n=3)
    reports = tmp_path / "r"
    assert harness("run", str(suite), "--reports", str(reports), "--detach") == 0
    out = capsys.readouterr().out
    assert "6 request(s) in flight" in out and "harness collect" in out and "upper bound" in out
    assert not (reports / "results.parquet").exists()

    assert harness("status", "--reports", str(reports)) == 0
    out = capsys.readouterr().out
    assert "anthropic" in out and "msgbatch_" in out and "in_progress" in out and "processing 3" in out
    assert "openai" in out and "batch_" in out and "total spent: $0.0000" in out

    assert harness("collect", "--reports", str(reports), "--display", "none") == 3  # not finished yet
    clock.advance(600)
    assert harness("collect", "--reports", str(reports), "--display", "none") == 0
    df = results(reports)
    assert len(df) == 6 and df["batch"].all() and (df["score"] == 1).all()
    assert harness("status", "--reports", str(reports)) == 0
    assert "no batches in flight" in capsys.readouterr().out
    assert fake.counters.each_item_once()


def test_sigkill_after_submission_then_collect_sends_every_request_once(env, tmp_path):
    clock = ManualClock()
    fake = env(Script(answer=answer_word, clock=clock, batch_processing_seconds=3600))
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE, GPT], n=5)
    reports = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", str(suite), "--reports", str(reports),
                             "--display", "none"], cwd=ROOT, env=subprocess_env(fake, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while sorted(journal_batches(reports)) != [("anthropic", "submitted"), ("openai", "submitted")]:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.3)  # let it poll the live batches a few times
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    clock.advance(3600)
    assert harness("collect", "--reports", str(reports), "--display", "none") == 0
    df = results(reports)
    assert len(df) == 10 and (df["score"] == 1).all()
    assert fake.counters.each_item_once()  # every request body was received exactly once
    assert fake.counters.endpoints["anthropic.batches.create"] == fake.counters.endpoints["openai.batches.create"] == 1


@pytest.mark.parametrize("candidate", [CLAUDE, GPT], ids=["anthropic", "openai"])
def test_crash_between_create_and_journal_is_reconciled(env, tmp_path, candidate):
    """The process dies after the provider accepted the batch but before the journal recorded its id."""
    fake = env(Script(answer=answer_word))
    suite = write_suite(tmp_path / "suite.yaml", [candidate], n=4)
    reports = tmp_path / "r"
    crashed = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(suite), "--reports", str(reports),
                              "--display", "none"], cwd=ROOT, capture_output=True, text=True,
                             env=subprocess_env(fake, tmp_path, HARNESS_TEST_CRASH="after-create"))
    assert crashed.returncode == 99, crashed.stderr
    assert [s for _, s in journal_batches(reports)] == ["intent"]
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    assert len(results(reports)) == 4
    provider = candidate["model"].split("/")[0]
    assert fake.counters.endpoints[f"{provider}.batches.create"] == 1  # adopted, not created again
    assert fake.counters.each_item_once()


def test_max_cost_refuses_a_run_before_sending_anything(env, tmp_path, capsys):
    fake = env(Script(answer=answer_word))
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE, GPT], n=4)
    assert harness("run", str(suite), "--reports", str(tmp_path / "r"), "--max-cost", "0.0001") == 2
    err = capsys.readouterr().err
    assert "refusing to start" in err and "exceeds --max-cost $0.0001" in err and "to send up to $" in err
    assert sum(fake.counters.endpoints.values()) == 0


def inflated(call) -> Usage:
    """Usage far above harness's character-based estimate (e.g. a script the approximation misjudges)."""
    return Usage(prompt_tokens=200_000, output_tokens=1)


def test_max_cost_stops_submitting_once_the_recorded_spend_reaches_it(env, tmp_path, capsys):
    fake = env(Script(answer=answer_word, usage=inflated,
                      item_faults=[ItemFault("error", first_time(text_contains("number 1")), status=500)]))
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE], n=4)
    reports = tmp_path / "r"
    # $0.01 is well above the upper estimate (~$0.0003), so the run starts; the first batch then costs
    # 3 x 200k tokens x $1/M x 0.5 = $0.30, and the retry of s1 is never sent.
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none", "--max-cost", "0.01") == 2
    err = capsys.readouterr().err
    assert "stopped sending" in err and "3 answered" in err and "1 not sent" in err
    assert sorted(n for n in fake.counters.custom_ids.values()) == [1, 1, 1, 1]
    assert rows(reports, "SELECT COUNT(*) FROM requests WHERE status='answered'") == [(3,)]
    # a higher cap continues where it stopped, paying only for the one request left
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none", "--max-cost", "1") == 0
    assert sorted(n for n in fake.counters.custom_ids.values()) == [1, 1, 1, 2]
    assert len(results(reports)) == 4


def test_max_cost_stops_synchronous_calls_midway(env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HARNESS_SYNC_CONCURRENCY", "1")  # calls go out in chunks of 4, each checked
    fake = env(Script(answer=answer_word, usage=inflated))
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE], n=8)
    assert harness("run", str(suite), "--reports", str(tmp_path / "r"), "--display", "none", "--no-batch",
                   "--max-cost", "0.01") == 2
    assert "stopped sending" in capsys.readouterr().err
    assert fake.counters.endpoints["anthropic.messages"] == 4


def scan(root: Path, secret: bytes) -> list[str]:
    """Every file under root (zip members of .eval logs opened) that contains the secret."""
    hits = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if secret in data:
            hits.append(str(path))
        if path.suffix == ".eval":
            with zipfile.ZipFile(path) as z:
                hits += [f"{path}!{name}" for name in z.namelist() if secret in z.read(name)]
    return hits


def test_no_api_key_in_anything_harness_writes(env, tmp_path, capsys):
    fake = env(Script(answer=answer_word, item_faults=[ItemFault("error", text_contains("number 1"), status=401)]))
    reports = tmp_path / "r"
    suite = write_suite(tmp_path / "suite.yaml", [CLAUDE, GPT], n=3)
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    assert harness("run", str(write_suite(tmp_path / "sync.yaml", [{**CLAUDE, "max_tokens": 12}], n=3)),
                   "--reports", str(reports), "--display", "none", "--no-batch") == 0
    assert harness("status", "--reports", str(reports)) == 0
    printed = capsys.readouterr()
    assert KEY not in printed.out + printed.err
    assert len(list((reports / "logs").glob("*.eval"))) == 3 and (reports / "journal.sqlite").exists()
    assert scan(tmp_path, KEY.encode()) == []
    assert fake.counters.requests  # the key was really in use: the fake only accepts this one
