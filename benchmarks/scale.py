"""Runs that scale: harness's own time and memory after the provider is done, and `select` on 10M rows.

    python benchmarks/scale.py [--samples 100000] [--runs 3] [--select-rows 10000000] [--profile FILE]

1. One task × 3 API candidates (claude-3-5-haiku, claude-3-5-sonnet, gpt-4o-mini) × N samples through
   `harness run --full` in batch mode, against the fake server (harness.testing) in this process, which
   answers instantly. harness prints "N/N answered" once the last answer is in the journal; from that
   line on, everything is harness's own work (inspect-ai scoring the replayed answers, inspect logs,
   results table, selection, routing.json, report). Printed per run, and the median over `--runs`:
   seconds from the last answer to routing.json and to the end of the process, harness's time per
   request (last answer to exit, divided by the requests), peak RSS (max RSS of the harness process,
   from wait4), and the report's size.
2. `harness select` on a synthetic results file of 20 tasks × 50 candidates × 10,000 samples
   (10,000,000 rows, written by this script beforehand): wall seconds and peak RSS of that process.

The issue's bars (issue 17): ≤ 2 ms per request after the last answer (median of 3 runs), peak RSS
≤ 1.5 GB for the 300,000 requests, select on 10M rows ≤ 10 s and ≤ 4 GB. `--profile FILE` runs the
first harness run under cProfile and writes its stats to FILE (for docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from batch import (  # benchmarks/batch.py: the same three API candidates and labels
    CANDIDATES,
    TASKS,
)

from harness.testing import FakeProviders, Script, last_user_text  # noqa: E402

LABELS = TASKS["topic"]


def write_suite(folder: Path, samples: int) -> Path:
    rng = random.Random(1)
    data = folder / "tickets.jsonl"
    with data.open("w") as f:
        for i in range(samples):
            label = rng.choice(LABELS)
            f.write(json.dumps({"id": f"t-{i}", "text": f"ticket {i} about {label} please", "label": label}) + "\n")
    task = {"name": "topic", "dataset": data.name, "target": "label", "system": "Reply with the topic only.",
            "prompt": "Ticket: {{text}}\nTopic:", "scorer": "exact",
            "candidates": CANDIDATES, "criteria": {"reference": "sonnet", "max_drop": 0.05},
            "traffic_per_month": 1_000_000}
    suite = folder / "scale.yaml"
    suite.write_text(yaml.safe_dump({"suite": "scale", "seed": 1, "tasks": [task]}, sort_keys=False))
    return suite


def answer(provider: str, model: str, body: dict) -> str:
    words = last_user_text(body).split()  # "Ticket: ticket <i> about <label> please\nTopic:"
    i, label = int(words[2]), words[4]
    wrong = {"claude-3-5-haiku-latest": 20, "claude-3-5-sonnet-latest": 50, "gpt-4o-mini": 12}.get(model, 10)
    return "other" if i % wrong == 0 else label


def timed_run(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Times (from the start) of the last answer, routing.json and the exit of one `harness ...`; max RSS."""
    start, marks = time.perf_counter(), {"answered": float("nan"), "routing": float("nan")}
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe: a full stderr pipe would block harness
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors,
                                text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            words = line.split()
            if words and "/" in words[0] and len(words) > 1 and words[1].startswith("answered"):
                done, _, total = words[0].partition("/")
                if done == total:
                    marks["answered"] = time.perf_counter() - start
            elif line.startswith("routing table ->"):
                marks["routing"] = time.perf_counter() - start
        _, status, usage = os.wait4(proc.pid, 0)
        errors.seek(0)
        stderr = errors.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed ({code}):\n{stderr[-3000:]}")
    return {**marks, "wall": time.perf_counter() - start, "rss_mb": usage.ru_maxrss / 1024}


def run_once(folder: Path, suite: Path, env: dict[str, str], i: int, profile: str | None) -> dict[str, float]:
    reports = folder / f"run{i}"
    cmd = ["-m", "harness.cli", "run", str(suite), "--reports", str(reports), "--full", "--display", "none"]
    if profile:
        cmd = ["-m", "cProfile", "-o", profile, *cmd]
    marks = timed_run(cmd, env)
    report = reports / "index.html"
    marks["report_mb"] = report.stat().st_size / 1e6
    df = pd.read_parquet(reports / "results.parquet", columns=["score", "error"])
    marks["rows"], marks["errors"] = len(df), int(df["error"].notna().sum())
    return marks


def write_select_results(path: Path, tasks: int, candidates: int, samples: int) -> int:
    """A results file of tasks × candidates × samples rows: 0/1 scores, token counts and costs."""
    rng = np.random.default_rng(0)
    n = tasks * candidates * samples
    task = np.repeat(np.arange(tasks), candidates * samples)
    cand = np.tile(np.repeat(np.arange(candidates), samples), tasks)
    sample = np.tile(np.arange(samples), tasks * candidates)
    accuracy = 0.70 + 0.25 * (cand / max(candidates - 1, 1))  # c49 is the best; c0 the cheapest
    # plain text columns, as harness's own results.parquet has them (not categoricals)
    text = lambda codes, names: pd.array(np.array(names, dtype=object)[codes], dtype="str")  # noqa: E731
    df = pd.DataFrame({
        "task": text(task, [f"task{t}" for t in range(tasks)]),
        "candidate": text(cand, [f"c{c}" for c in range(candidates)]),
        "sample_id": text(sample, [f"s{s}" for s in range(samples)]),
        "score": (rng.random(n) < accuracy).astype(float),
        "cost_usd": 1e-6 * (1 + cand) * 100,
        "prod_cost_usd": 2e-6 * (1 + cand) * 100,
    })
    df.to_parquet(path, index=False)
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--select-rows", type=int, default=10_000_000, help="0: skip the select benchmark")
    parser.add_argument("--profile", help="cProfile stats of the first run to this file")
    args = parser.parse_args()
    requests = len(CANDIDATES) * args.samples
    with tempfile.TemporaryDirectory() as tmp, FakeProviders(Script(answer=answer)) as fake:
        folder = Path(tmp)
        suite = write_suite(folder, args.samples)
        env = {**os.environ, **fake.env(), "HARNESS_POLL_SECONDS": "0.2", "INSPECT_DISPLAY": "none",
               "XDG_DATA_HOME": str(folder / "xdg"), "NO_COLOR": "1"}
        print(f"1 task × {len(CANDIDATES)} API candidates × {args.samples} samples = {requests} requests per run "
              "(batch mode, fake server answering instantly)")
        runs = []
        for i in range(args.runs):
            m = run_once(folder, suite, env, i, args.profile if i == 0 else None)
            runs.append(m)
            after = m["wall"] - m["answered"]
            print(f"  run {i + 1}: all answered after {m['answered']:7.1f} s; routing.json {m['routing'] - m['answered']:7.1f} s "
                  f"later; exit {after:7.1f} s later = {1000 * after / requests:6.2f} ms per request; "
                  f"peak RSS {m['rss_mb']:6.0f} MB; report {m['report_mb']:5.2f} MB; rows {m['rows']}, "
                  f"errors {m['errors']}")
        med = lambda key: statistics.median(key(m) for m in runs)  # noqa: E731
        per = med(lambda m: (m["wall"] - m["answered"]) / requests) * 1000
        rss = max(m["rss_mb"] for m in runs)
        print(f"median of {len(runs)}: last answer -> routing.json {med(lambda m: m['routing'] - m['answered']):.1f} s, "
              f"-> exit {med(lambda m: m['wall'] - m['answered']):.1f} s; harness time per request {per:.2f} ms "
              f"(bar: ≤ 2 ms); peak RSS {rss:.0f} MB (bar: ≤ 1536 MB); report {med(lambda m: m['report_mb']):.2f} MB")
        ok = per <= 2.0 and rss <= 1536
        if args.select_rows:
            tasks, candidates = 20, 50
            samples = max(1, args.select_rows // (tasks * candidates))
            path = folder / "select.parquet"
            n = write_select_results(path, tasks, candidates, samples)
            marks = timed_run(["-m", "harness.cli", "select", "--results", str(path), "--reference", "c49",
                               "--max-drop", "0.05", "--out", str(folder / "select_routing.json")], env)
            print(f"select on {n:,} rows ({tasks} tasks × {candidates} candidates × {samples} samples): "
                  f"{marks['wall']:.1f} s (bar: ≤ 10 s), peak RSS {marks['rss_mb']:.0f} MB (bar: ≤ 4096 MB)")
            ok = ok and marks["wall"] <= 10 and marks["rss_mb"] <= 4096
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
