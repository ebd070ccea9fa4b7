"""Harness's overhead per sample against calling inspect-ai's eval() directly.

    python benchmarks/overhead.py [--samples 200] [--repeats 5]

Both sides run the same task with an instant in-process model (mockllm with
ready-made outputs), so what remains is bookkeeping: harness's suite
loading, cell planning, log scanning, results table and summary versus bare
inspect. Medians over repeats, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from inspect_ai import Task
from inspect_ai import eval as inspect_eval

from harness import results, select
from harness.run import execute, plan_run
from harness.scorers import harness_scorer
from harness.suite import load_suite
from harness.run import build_messages

SUITE = """\
suite: overhead
prices:
  mockllm/model: {{input: 1.0, output: 1.0}}
tasks:
  - name: echo
    dataset: {data}
    target: label
    system: Reply with one word.
    prompt: "Ticket: {{{{text}}}}"
    scorer: exact
    candidates: [{{id: instant, model: mockllm/model}}]
"""


def run_harness(suite_path: Path, limit: int) -> float:
    start = time.perf_counter()
    suite = load_suite(suite_path)
    with tempfile.TemporaryDirectory() as tmp:
        outcome = execute(plan_run([suite], limit=limit), Path(tmp), display="none")
        df = results.from_run(outcome)
        select.format_table(select.per_candidate(df))
        results.save(df, Path(tmp))
    return time.perf_counter() - start


def run_inspect(suite_path: Path, limit: int, **settings) -> float:
    from harness.providers import instant_outputs
    from inspect_ai.dataset import Sample
    from inspect_ai.model import get_model

    start = time.perf_counter()
    task = load_suite(suite_path).tasks[0]
    variant = task.variants[None]
    samples = [Sample(id=r["id"], input=build_messages(variant, r, "label"), target=r["label"],
                      metadata={"target": r["label"]}) for r in task.records[:limit]]
    model = get_model("mockllm/model", custom_outputs=instant_outputs())
    with tempfile.TemporaryDirectory() as tmp:
        inspect_eval(Task(dataset=samples, scorer=harness_scorer("exact")), model=model, log_dir=tmp,
                     display="none", score_display=False, **settings)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    data = Path(__file__).resolve().parents[1] / "evalsets" / "data" / "tickets.jsonl"
    with tempfile.TemporaryDirectory() as tmp:
        suite_path = Path(tmp) / "suite.yaml"
        suite_path.write_text(SUITE.format(data=data))
        run_inspect(suite_path, 5)  # warm imports and registries once for both
        h = [run_harness(suite_path, args.samples) for _ in range(args.repeats)]
        i = [run_inspect(suite_path, args.samples) for _ in range(args.repeats)]
        # harness turns off inspect's realtime event buffer for cells that are not local models;
        # the same setting on the direct call isolates harness's own bookkeeping.
        j = [run_inspect(suite_path, args.samples, log_realtime=False) for _ in range(args.repeats)]
    mh, mi, mj = statistics.median(h), statistics.median(i), statistics.median(j)
    n = args.samples
    print(f"samples per run                  : {n} (instant model; medians of {args.repeats} repeats)")
    print(f"inspect eval(), defaults         : {mi:6.2f} s  ({mi / n * 1000:6.2f} ms/sample)")
    print(f"inspect eval(), log_realtime=off : {mj:6.2f} s  ({mj / n * 1000:6.2f} ms/sample)")
    print(f"harness run pipeline             : {mh:6.2f} s  ({mh / n * 1000:6.2f} ms/sample)")
    print(f"harness vs inspect defaults      : {(mh - mi) / n * 1000:+6.2f} ms/sample, ratio {mh / mi:.2f}")
    print(f"harness vs same inspect settings : {(mh - mj) / n * 1000:+6.2f} ms/sample, ratio {mh / mj:.2f}")


if __name__ == "__main__":
    main()
