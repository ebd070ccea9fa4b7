"""What batch + prompt caching saves: 4 tasks × 3 API candidates × N samples against the fake server.

    python benchmarks/batch.py [--samples 500]

The same suite runs twice through `harness run`, each in a subprocess talking to the fake Anthropic +
OpenAI server (harness.testing) in this process:

1. batch APIs with `cache_prompt: true` (the default mode, half price; the shared system prompt of
   2,100 tokens is written to the cache once and read by the other requests);
2. `--no-batch` with `cache_prompt: false`: synchronous calls, no explicit caching. (OpenAI caches
   prompts over 1,024 tokens by itself, so its synchronous calls still read the cache: that is what
   it would really cost.)

Prices are genai-prices' (claude-3-5-haiku, claude-3-5-sonnet, gpt-4o-mini); tokens are the fake's
(whitespace words, exact cache simulation). It prints the dollars of each run and their ratio (the
issue's bar: at most 0.35), the wall time of each run, and the memory peak of the harness process
(max RSS from wait4; it includes inspect-ai and the SDKs), and when the last API answer was in.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.testing import FakeProviders, Script, last_user_text  # noqa: E402

CANDIDATES = [
    {"id": "haiku", "model": "anthropic/claude-3-5-haiku-latest", "max_tokens": 8},
    {"id": "sonnet", "model": "anthropic/claude-3-5-sonnet-latest", "max_tokens": 8},
    {"id": "mini", "model": "openai/gpt-4o-mini", "max_tokens": 8},
]
TASKS = {
    "sentiment": ["positive", "negative"],
    "topic": ["billing", "shipping", "account", "technical"],
    "urgency": ["low", "medium", "high"],
    "language": ["english", "french", "german"],
}


def system_prompt(words: int = 2100) -> str:
    """A long shared policy text: the stable prefix every request starts with."""
    rng = random.Random(0)
    vocab = ["policy", "customer", "reply", "label", "ticket", "always", "never", "exactly", "word", "case",
             "review", "the", "a", "of", "and", "when", "if", "message", "support", "team", "answer", "only"]
    return " ".join(rng.choice(vocab) for _ in range(words))


def write_suite(folder: Path, samples: int, *, cache: bool) -> Path:
    rng, tasks = random.Random(1), []
    system = system_prompt()
    for name, labels in TASKS.items():
        data = folder / f"{name}.jsonl"
        with data.open("w") as f:
            for i in range(samples):
                label = rng.choice(labels)
                f.write(json.dumps({"id": f"{name}-{i}", "text": f"example {i} about {label} matters", "label": label}) + "\n")
        tasks.append({"name": name, "dataset": data.name, "target": "label", "system": system,
                      "prompt": "Message: {{text}}\nLabel:", "scorer": "exact",
                      "candidates": [{**c, "cache_prompt": cache} for c in CANDIDATES]})
    suite = folder / ("batch_cached.yaml" if cache else "sync_uncached.yaml")
    suite.write_text(yaml.safe_dump({"suite": "bench", "seed": 1, "tasks": tasks}, sort_keys=False))
    return suite


def answer(provider: str, model: str, body: dict) -> str:
    words = last_user_text(body).split()
    return words[4] if len(words) > 4 else "none"  # "Message: example <i> about <label> matters"


def run_harness(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, seconds until every API request was answered, and max RSS in MB of one `harness ...`."""
    start, answered = time.perf_counter(), float("nan")
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe: a full stderr pipe would block harness
        proc = subprocess.Popen([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=errors, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:  # harness prints "  N/N answered, ..." when the last answer is in the journal
            done = re.search(r"(\d+)/(\d+) answered", line)
            if done and done.group(1) == done.group(2):
                answered = time.perf_counter() - start
        _, status, usage = os.wait4(proc.pid, 0)
        errors.seek(0)
        stderr = errors.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"harness {' '.join(args)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return wall, answered, usage.ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeProviders(Script(answer=answer)) as fake:
        folder = Path(tmp)
        env = {**os.environ, **fake.env(), "HARNESS_POLL_SECONDS": "0.2", "INSPECT_DISPLAY": "none",
               "XDG_DATA_HOME": str(folder / "xdg"), "NO_COLOR": "1"}
        runs, once = {}, []
        for label, cache, extra in (("batch + cache", True, []), ("sync, no cache", False, ["--no-batch"])):
            suite = write_suite(folder, args.samples, cache=cache)
            reports = folder / label.replace(" ", "").replace(",", "").replace("+", "_")
            before = dict(fake.counters.items)
            wall, answered, rss = run_harness(["run", str(suite), "--reports", str(reports), "--full", "--display",
                                               "none", *extra], env)
            once.append(all(n - before.get(k, 0) <= 1 for k, n in fake.counters.items.items()))
            df = pd.read_parquet(reports / "results.parquet")
            runs[label] = (wall, answered, rss, df)
        n = len(TASKS) * len(CANDIDATES) * args.samples
        print(f"{len(TASKS)} tasks × {len(CANDIDATES)} API candidates × {args.samples} samples = {n} requests per run; "
              f"shared system prompt of {len(system_prompt().split())} tokens (fake server: 1 word = 1 token)\n")
        batch_df, sync_df = runs["batch + cache"][3], runs["sync, no cache"][3]
        print(f"{'candidate':<10} {'batch + cache':>14} {'sync, no cache':>15} {'ratio':>7}")
        for c in CANDIDATES:
            b = batch_df[batch_df["candidate"] == c["id"]]["cost_usd"].sum()
            s = sync_df[sync_df["candidate"] == c["id"]]["cost_usd"].sum()
            print(f"{c['id']:<10} {'$%.4f' % b:>14} {'$%.4f' % s:>15} {b / s:>7.3f}")
        paid_batch, paid_sync = batch_df["cost_usd"].sum(), sync_df["cost_usd"].sum()
        ratio = paid_batch / paid_sync
        print(f"{'total':<10} {'$%.4f' % paid_batch:>14} {'$%.4f' % paid_sync:>15} {ratio:>7.3f}   (bar: ≤ 0.35)\n")
        for label, (wall, answered, rss, df) in runs.items():
            errors = int(df["error"].notna().sum())
            print(f"{label:<15} wall {wall:6.1f} s (all answered after {answered:5.1f} s; the rest is scoring "
                  f"from the journal, logs, results, select, report)   harness max RSS {rss:4d} MB   rows {len(df)}   errors {errors}   "
                  f"mean score {df['score'].mean():.3f}")
        print(f"\nfake server received: {dict(sorted(fake.counters.endpoints.items()))}")
        print(f"every request body received at most once per run: {all(once)}")
        return 0 if ratio <= 0.35 else 1


if __name__ == "__main__":
    sys.exit(main())
