"""A journal on PostgreSQL, shared by runners: the same behaviour as SQLite, and each request sent once.

Against a real server the test starts (tests/_postgres.py), and the fake API server: two `harness
run` processes on one suite and one journal at once send every request body once between them; when
one of them is killed mid-run, the other finishes the work, and the killed one's rerun sends nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from _batch_support import CLAUDE, GPT, KEY, answer_word, write_suite
from _postgres import postgres_server
from harness.journal import Answer, open_journal
from harness.testing import FakeProviders, Script

ROOT = Path(__file__).resolve().parents[1]
N = 24


@pytest.fixture(scope="module")
def database():
    yield from postgres_server()


@pytest.fixture
def url(database):
    """A clean journal for each test (the schema stays: it is what migrations made)."""
    import psycopg

    with psycopg.connect(database, autocommit=True) as db:
        db.execute("DROP SCHEMA public CASCADE")
        db.execute("CREATE SCHEMA public")
    return database


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_both_backends_keep_the_same_record(backend, url, tmp_path):
    location = str(tmp_path / "j.sqlite") if backend == "sqlite" else url
    j = open_journal(location)
    j.mark_sent("k1", "openai", "http://x/v1", "gpt", {"q": 1})
    j.mark_sent("k1", "openai", "http://x/v1", "gpt", {"q": 1})  # a resend counts, the row stays one
    assert j.answered("k1") is None
    j.record_answer("k1", Answer({"text": "hi"}, 3, 2, cost_usd=0.5, latency_s=0.25))
    got = j.answered("k1")
    assert got is not None and got.response == {"text": "hi"} and got.cost_usd == 0.5 and got.latency_s == 0.25
    assert j.stats() == {"answered": 1, "sent": 2}
    j.set_setting("s", {"a": [1, 2]})
    assert j.get_setting("s") == {"a": [1, 2]}
    with j.transaction() as db:
        changed = db.execute("UPDATE requests SET status='claimed' WHERE key=? AND status IN ('pending','retry')",
                             ("k1",)).rowcount
    assert changed == 0  # answered: nothing to claim
    now = time.time()
    j.execute("UPDATE requests SET answered_at=? WHERE key=?", (now, "k1"))
    (stored,) = j.query("SELECT answered_at FROM requests WHERE key=?", ("k1",))[0]
    assert abs(stored - now) < 1e-3  # timestamps keep sub-second precision on both


def test_a_second_process_finds_the_schema_migrated(url):
    code = ("from harness.journal import open_journal; j = open_journal(%r); "
            "print(j.query('SELECT version FROM harness_schema')[0][0])" % url)
    out = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
           for _ in range(2)]
    assert out == ["2", "2"]


def test_the_password_never_reaches_a_message():
    from harness.errors import HarnessError
    from harness.journal import Journal

    with pytest.raises(HarnessError) as err:
        Journal("postgresql://bob:s3cret@127.0.0.1:1/nowhere")
    assert "s3cret" not in str(err.value) and "bob:***@" in str(err.value)


# --- two runners ------------------------------------------------------------------------------


@pytest.fixture
def fake(tmp_path):
    script = Script(answer=answer_word, batch_processing_seconds=0.5)
    script.api_key = KEY
    with FakeProviders(script) as server:
        yield server


def _env(fake: FakeProviders, url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **fake.env(KEY), "HARNESS_JOURNAL": url, "HARNESS_POLL_SECONDS": "0.1",
            "HARNESS_BACKOFF_SECONDS": "0.01", "HARNESS_BATCH_MAX_REQUESTS": "4", "INSPECT_DISPLAY": "none",
            "XDG_DATA_HOME": str(tmp_path / "xdg"), "NO_COLOR": "1"}


def _runner(suite: Path, reports: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "run", str(suite), "--reports", str(reports),
                             "--display", "none"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _suite(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suite.yaml", [CLAUDE, GPT], n=N, criteria={"min_score": 0.5})


def _sent_once(fake: FakeProviders) -> None:
    counts = fake.counters.items
    assert fake.counters.each_item_once(), f"sent twice: {[b for b, n in counts.items() if n > 1][:3]}"
    assert len(counts) == 2 * N


def test_two_runners_at_once_send_each_request_once(url, fake, tmp_path):
    suite, env = _suite(tmp_path), _env(fake, url, tmp_path)
    a, b = _runner(suite, tmp_path / "a", env), _runner(suite, tmp_path / "b", env)
    outs = [p.communicate(timeout=300)[0] for p in (a, b)]
    assert [a.returncode, b.returncode] == [0, 0], outs
    _sent_once(fake)
    for reports in (tmp_path / "a", tmp_path / "b"):
        df = pd.read_parquet(reports / "results.parquet")
        assert len(df) == 2 * N and df["error"].isna().all() and (df["score"] == 1).all()


def test_when_one_runner_dies_the_other_finishes_and_nothing_is_sent_twice(url, fake, tmp_path):
    suite, env = _suite(tmp_path), _env(fake, url, tmp_path)
    a = _runner(suite, tmp_path / "a", env)
    deadline = time.time() + 120
    while fake.counters.endpoints.get("anthropic.batches.create", 0) + fake.counters.endpoints.get(
            "openai.batches.create", 0) < 2:  # the first runner has batches out
        assert time.time() < deadline and a.poll() is None, "the first runner ended before submitting"
        time.sleep(0.05)
    b = _runner(suite, tmp_path / "b", env)
    time.sleep(0.5)
    os.kill(a.pid, signal.SIGKILL)
    a.wait()
    out = b.communicate(timeout=300)[0]
    assert b.returncode == 0, out
    _sent_once(fake)
    df = pd.read_parquet(tmp_path / "b" / "results.parquet")
    assert len(df) == 2 * N and df["error"].isna().all()
    again = _runner(suite, tmp_path / "a", env)  # the killed runner, started again: everything is answered
    rerun = again.communicate(timeout=300)[0]
    assert again.returncode == 0, rerun
    _sent_once(fake)
