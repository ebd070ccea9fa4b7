"""A batch run killed (SIGKILL) at 20 seeded moments of its life, restarted each time: nothing sent twice, nothing lost.

The moments cover every window of docs/batch.md ("Crash windows"): start-up, a batch intent whose
create never reached the provider, a create the provider accepted whose answer never came back, the
HARNESS_TEST_CRASH hook, an OpenAI upload without its batch, polling, recording results, inspect
scoring, and writing results / routing table / report. The kills that must land inside one request are
made by the fake server itself, from inside that request (the client is blocked on it, so the window is
hit exactly); the others are timers, from a line harness prints or from the start.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import pandas as pd
import pytest
from _batch_support import CLAUDE, GPT, KEY, answer_word, env, write_suite  # noqa: F401

from harness.routing import load as load_routing
from harness.run import finished_logs
from harness.testing import HttpFault, ManualClock, Script

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 40
CANDIDATES = [CLAUDE, GPT]
CREATES = ("anthropic.batches.create", "openai.files.create", "openai.batches.create")
RESULTS = ("anthropic.batches.results", "openai.files.content")
ANSWERED = f"{SAMPLES * len(CANDIDATES)}/{SAMPLES * len(CANDIDATES)} answered"  # the driver's line once all is in


@dataclass(frozen=True)
class Point:
    """One kill: where in a run's life it aims, and what sets it off."""

    phase: str
    at: str  # timer (from the start) | before / after (a fake endpoint is hit) | hook | line (harness prints it)
    endpoints: tuple[str, ...] = ()
    nth: int = 1  # the nth matching request of this attempt
    marker: str = ""
    delay: float = 0.0

    def text(self) -> str:
        where = {"timer": "after start", "hook": "HARNESS_TEST_CRASH=after-create",
                 "line": f"after {self.marker!r}"}.get(self.at, f"{self.at} {'|'.join(self.endpoints)} #{self.nth}")
        return f"{self.phase}: {where}" + (f" +{self.delay:.3f}s" if self.delay else "")


def schedule(rng: random.Random) -> list[Point]:
    """20 moments in the order a run lives through them (a later phase cannot be un-done by a restart)."""
    points = [Point("before submission", "timer", delay=rng.uniform(0.2, 4.0)) for _ in range(2)]
    # 10 batches per provider (4 requests each), Anthropic's first: each create kill uses at most two.
    for provider in ["anthropic"] * 3 + ["openai"] * 5:
        windows = [("before", f"{provider}.batches.create"), ("after", f"{provider}.batches.create"), ("hook", "")]
        if provider == "openai":
            windows += [("before", "openai.files.create"), ("after", "openai.files.create")]
        at, endpoint = rng.choice(windows)
        points.append(Point("create window", at, (endpoint,) if endpoint else (), nth=rng.randint(1, 2)))
    # The fake's clock stands still until the collecting phase: every batch stays in progress.
    points += [Point("polling", "line", marker="in flight, 0 to send", delay=rng.uniform(0.0, 0.5)) for _ in range(2)]
    for _ in range(3):  # before a download, or after it while its answers are being recorded
        at = rng.choice(["before", "after"])
        points.append(Point("collecting", at, RESULTS, nth=rng.randint(1, 4),
                            delay=rng.uniform(0.0, 0.08) if at == "after" else 0.0))
    # API cells are scored straight from the journal now (run/_journaled.py): tens of milliseconds from the
    # last answer to complete logs, so the kills aim right after the answers are in.
    points += [Point("scoring", "line", marker=ANSWERED, delay=rng.uniform(0.0, 0.02)) for _ in range(3)]
    # the marker is chosen when the point comes: it depends on whether the logs are complete by then
    points += [Point("writing", "line", delay=rng.uniform(0.0, 0.3)) for _ in range(2)]
    return points


class Attempt:
    """One start of the command; kills it at most once."""

    def __init__(self, proc: subprocess.Popen[str], point: Point | None) -> None:
        self.proc, self.point = proc, point
        self.lock = threading.Lock()
        self.seen = 0
        self.marked = False
        self.fired: str | None = None
        self.lines: list[str] = []

    def kill(self, why: str) -> None:
        with self.lock:
            if self.fired is not None or self.proc.returncode is not None:
                return
            self.fired = why
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def later(self, delay: float, why: str) -> None:
        timer = threading.Timer(delay, self.kill, (why,))
        timer.daemon = True
        timer.start()

    def request(self, when: str, endpoint: str) -> bool:
        """A request reached the fake (before: not served yet; after: served, answer not sent). True: killed
        before it was served, so the fake must not serve it."""
        p = self.point
        if p is None:
            return False
        if p.at == "timer":  # start-up kills stay before submission: at the latest when the first create arrives
            if when == "before" and endpoint in CREATES:
                self.kill("start-up timer, capped at the first create")
                return True
            return False
        if p.at != when or not any(fnmatchcase(endpoint, e) for e in p.endpoints):
            return False
        with self.lock:
            self.seen += 1
            if self.seen != p.nth:
                return False
        if p.delay:
            self.later(p.delay, p.text())
            return False
        self.kill(p.text())
        return when == "before"

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            p = self.point
            if p is None:
                continue
            if p.at == "line" and p.marker in line and not self.marked:
                self.marked = True  # once: the marker may come again
                self.later(p.delay, p.text())
            if "report ->" in line:  # the last moment to kill in: the point aimed earlier but came too late
                self.kill(f"fallback at 'report ->' (aimed: {p.text()})")


class Runs:
    """Starts the command again and again; the fake server kills it from inside a request when told to."""

    def __init__(self, fake, cmd: list[str], environ: dict[str, str]) -> None:
        self.cmd, self.environ = cmd, environ
        self.current: Attempt | None = None
        serve_fault, record = fake.script.take_http_fault, fake.counters.record_request

        def before(endpoint, body):  # called for every request before it is served
            attempt = self.current
            if attempt is not None and attempt.request("before", endpoint):
                return HttpFault(503, endpoint)  # the client is gone; the request is not served (nothing created)
            return serve_fault(endpoint, body)

        def after(received):  # called once a request is served, before its answer goes back
            record(received)
            attempt = self.current
            if attempt is not None and received.status == 200:
                attempt.request("after", received.endpoint)

        fake.script.take_http_fault = before
        fake.counters.record_request = after

    def start(self, point: Point | None) -> Attempt:
        extra = {"HARNESS_TEST_CRASH": "after-create"} if point is not None and point.at == "hook" else {}
        proc = subprocess.Popen(self.cmd, cwd=ROOT, env={**self.environ, **extra}, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        attempt = self.current = Attempt(proc, point)
        if point is not None and point.at == "timer":
            attempt.later(point.delay, point.text())
        reader = threading.Thread(target=attempt.read, daemon=True)
        reader.start()
        try:
            proc.wait(timeout=90)  # a whole run takes ~15 s; a kill point that never comes would poll forever
        except subprocess.TimeoutExpired:
            attempt.kill("timeout")
            proc.wait()
        reader.join(10)
        self.current = None
        return attempt


def journal(reports: Path) -> dict[str, str]:
    """request key -> status (empty before the journal exists)."""
    try:
        with sqlite3.connect(reports / "journal.sqlite") as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            return dict(db.execute("SELECT key, status FROM requests").fetchall())
    except sqlite3.OperationalError:
        return {}


def twice(fake) -> int:
    """Request bodies the fake generated an answer for more than once."""
    return sum(n > 1 for n in fake.counters.items.values())


def quiet_about_killed_clients(fake) -> None:
    """A killed harness resets its keep-alive connections: the fake's HTTP server would print a traceback for
    each (dozens per run), burying the figures this test prints. Other errors are still shown."""
    server = fake._httpd
    show = server.handle_error

    def handle_error(request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            show(request, client_address)

    server.handle_error = handle_error


@pytest.mark.slow  # 21 starts of a subprocess that imports inspect-ai: about 2 minutes on 2 cores
def test_kill_at_20_moments_then_complete(env, tmp_path):
    clock = ManualClock()
    fake = env(Script(answer=answer_word, clock=clock, batch_processing_seconds=60))
    quiet_about_killed_clients(fake)
    suite = write_suite(tmp_path / "suite.yaml", CANDIDATES, n=SAMPLES, criteria={"min_score": 0.5})
    reports = tmp_path / "r"
    cmd = [sys.executable, "-m", "harness.cli", "run", str(suite), "--reports", str(reports), "--display", "none"]
    sub_env = {**os.environ, **fake.env(KEY), "HARNESS_POLL_SECONDS": "0.02", "HARNESS_BACKOFF_SECONDS": "0.01",
               "HARNESS_BATCH_MAX_REQUESTS": "4",  # 10 batches per provider: many create windows to aim at
               "INSPECT_DISPLAY": "none", "XDG_DATA_HOME": str(tmp_path / "xdg"), "NO_COLOR": "1",
               "PYTHONUNBUFFERED": "1"}  # the line triggers need harness's lines as they are printed
    runs = Runs(fake, cmd, sub_env)
    points = schedule(random.Random(20))
    assert len(points) == 20

    moments: list[tuple[str, str]] = []  # (phase it landed in, what fired)
    survived, answered, started, ended = 0, set(), time.monotonic(), False
    for i, point in enumerate(points):
        if point.phase == "collecting" and not ended:
            states = journal(reports)
            assert set(states.values()) == {"submitted"} and len(states) == SAMPLES * len(CANDIDATES), Counter(
                states.values())
            clock.advance(3600)  # every batch ends now (none is created after this, or it would never end)
            ended = True
        if point.phase == "writing":
            # With every log complete, a start only writes results, routing table and report: aim anywhere in
            # it (~0.3 s after its first line). Otherwise it scores first: aim after the results table is printed
            # (the Parquet file is written), in the ~0.15 s left for the routing table and report.
            complete = len(finished_logs(reports / "logs")) == 2
            point = Point(point.phase, "line", marker="harness run:" if complete else "candidate   n  score",
                          delay=point.delay if complete else point.delay * 0.4)
        before_twice = twice(fake)
        attempt = runs.start(point)
        out = "".join(attempt.lines[-30:])
        if point.at == "hook" and attempt.proc.returncode == 99:
            attempt.fired = point.text()
        assert attempt.fired is not None and attempt.proc.returncode in (-signal.SIGKILL, 99), \
            f"kill point {i + 1} ({point.text()}) did not kill: rc {attempt.proc.returncode}\n{out}"
        assert (attempt.proc.returncode == 99) == (point.at == "hook"), out
        phase = point.phase
        if attempt.fired.startswith("fallback") or (phase == "scoring" and len(finished_logs(reports / "logs")) == 2):
            phase = "writing"
        moments.append((phase, attempt.fired))
        states = journal(reports)
        # The previous kill point survived if this start lost no answer and sent nothing a second time.
        now = {k for k, s in states.items() if s == "answered"}
        if i and answered <= now and twice(fake) == before_twice and "error" not in states.values():
            survived += 1
        answered = now

    before_twice = twice(fake)
    final = runs.start(None)
    assert final.proc.returncode == 0, "".join(final.lines[-40:])
    states = journal(reports)
    if answered <= {k for k, s in states.items() if s == "answered"} and twice(fake) == before_twice:
        survived += 1  # the last kill point: the run completed after it

    df = pd.read_parquet(reports / "results.parquet")
    planned = {(c["id"], f"s{n}") for c in CANDIDATES for n in range(SAMPLES)}
    good = df[df["score"].notna() & df["error"].isna()]
    lost = len(planned - set(zip(good["candidate"], good["sample_id"])))
    sent_twice = twice(fake)
    figures = (f"kill points: {survived} of {len(points)} survived; requests sent twice: {sent_twice}; "
               f"samples lost: {lost}")
    by_phase = Counter(p for p, _ in moments)
    print(f"\n{figures}\nmoments: " + ", ".join(f"{p} {n}" for p, n in by_phase.items())
          + f"; {time.monotonic() - started:.0f} s\n" + "\n".join(f"  {n:2}. {p:17} {why}"
                                                                   for n, (p, why) in enumerate(moments, 1)))
    assert (survived, sent_twice, lost) == (len(points), 0, 0), figures
    assert len(df) == len(planned) and (df["score"] == 1).all(), figures
    # every request was generated, exactly once, and under its journal key
    assert len(fake.counters.items) == len(planned) and set(fake.counters.custom_ids.values()) == {1}, figures
    assert {c for _, c in fake.counters.custom_ids} == set(states) and set(states.values()) == {"answered"}
    assert set(by_phase) == {"before submission", "create window", "polling", "collecting", "scoring", "writing"}, \
        by_phase
    assert "words" in load_routing(reports / "routing.json").routes
