"""Per-request routes on real multi-model results: what cascades and routers save, and whether they stay safe.

Data: the public per-sample answers of 11-13 API models on GSM8K, CRUXEval and MATH level 5
(WildEval/ZeroEval, Apache-2.0; benchmarks/data/README.md), scored by our own parsers and priced with
genai-prices. Each task's full data is the population. Each replication draws half of it (seeded) as
what harness sees, selects the cheapest passing route there (gpt-4o is the reference), and judges the
choice on the population: its true saving and its true difference against gpt-4o; choosing a route
whose true difference is below -max_drop is a violation. Printed per task and margin, with and without
compound candidates (cascades that accept a cheap model's answer when a second cheap model agrees, and
TF-IDF routers).

    python benchmarks/routing.py [--reps 20] [--sample]   # --sample: the small committed sample (fast)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness.compound import parse_spec
from harness.criteria import Criteria
from harness.results import validate
from harness.select import ScorerInfo, TaskCompounds, select
from harness.select._compound import outcome, wide  # the benchmark measures the module's own policy
from harness.select._router import train_router

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
TASKS = ["gsm", "crux", "math-l5"]
REF = "gpt-4o-2024-08-06"
MARGINS = [0.01, 0.02, 0.05]
ALPHA = 0.05
MINI, HAIKU, FLASH = "gpt-4o-mini-2024-07-18", "claude-3-5-haiku-20241022", "gemini-1.5-flash"
LLAMA8, LLAMA70, DEEPSEEK = "Meta-Llama-3.1-8B-Instruct", "Meta-Llama-3.1-70B-Instruct", "deepseek-v2.5-0908"
COMPOUNDS = [
    f"cascade:{MINI}>{REF}@agree={FLASH}",
    f"cascade:{MINI}>{REF}@agree={HAIKU}",
    f"cascade:{MINI}>{REF}@agree={LLAMA70}",
    f"cascade:{FLASH}>{REF}@agree={MINI}",
    f"cascade:{LLAMA70}>{REF}@agree={MINI}",
    f"cascade:{DEEPSEEK}>{REF}@agree={MINI}",
    f"router:{MINI}|{REF}",
]


def load(task: str, sample: bool) -> pd.DataFrame:
    if sample:
        df = pd.read_parquet(DATA / "zeroeval_sample.parquet")
        df = df[df["task"] == task]
    else:
        path = DATA / "zeroeval" / f"{task}.parquet"
        if not path.exists():
            subprocess.run([sys.executable, str(DATA / "zeroeval.py"), "--out", str(path.parent)], check=True)
        df = pd.read_parquet(path)
    # the checks compare the answers the models gave (parsed), not the reasoning around them
    df = df.assign(output=df["answer"].fillna("").astype(str))
    return validate(df.reset_index(drop=True), task)


def truth(df: pd.DataFrame, decision, specs_info: ScorerInfo) -> tuple[float, float]:
    """(true mean difference against the reference, true cost per call) of the chosen route, on all of `df`."""
    w = wide(df)
    ref_score, ref_cost = w.score[REF].to_numpy(), w.cost[REF].to_numpy()
    v = decision.verdict(decision.chosen)
    if v.compound is None:
        return float((w.score[v.candidate] - ref_score).mean()), float(w.cost[v.candidate].mean())
    scores, costs = outcome(v.compound, w, specs_info, v.compound.points[v.compound.chosen])
    return float((scores - ref_score).mean()), float(np.mean(costs))


def run(reps: int, sample: bool) -> None:
    info = ScorerInfo()  # answers are compared as normalised text: they are already parsed
    header = (f"{'task':8} {'margin':>6}  {'saving, singles':>15}  {'saving, +compound':>17}  "
              f"{'violations':>10}  {'violations +c':>13}  {'compound chosen':>15}  most chosen")
    print(header)
    violations = {"single": [], "compound": []}
    timings: list[float] = []
    for task in TASKS:
        df = load(task, sample)
        names = set(df["candidate"])
        specs = [s for s in map(parse_spec, COMPOUNDS)
                 if set(s.steps if s.kind == "cascade" else [s.cheap, s.fallback]) |
                 {c.with_ for c in getattr(s, "checks", []) if getattr(c, "with_", None)} <= names]
        ids = np.array(sorted(df["sample_id"].unique()))
        ref_cost = df[df["candidate"] == REF]["prod_cost_usd"].mean()
        for margin in MARGINS:
            c = Criteria(reference=REF, max_drop=margin, alpha=ALPHA)
            rows = {"single": [], "compound": []}
            chosen_kinds: list[str] = []
            for rep in range(reps):
                rng = np.random.default_rng([rep, len(task), int(margin * 1000)])
                seen = set(rng.choice(ids, size=len(ids) // 2, replace=False))
                part = df[df["sample_id"].isin(seen)]
                for kind in ("single", "compound"):
                    start = time.perf_counter()
                    compounds = {task: TaskCompounds(specs, info, rep)} if kind == "compound" else None
                    (d,) = select(part, {task: c}, compounds=compounds)
                    if kind == "compound":
                        timings.append(time.perf_counter() - start)
                        chosen_kinds.append(d.chosen if d.verdict(d.chosen).compound is not None else "")
                    diff, cost = truth(df, d, info)
                    rows[kind].append((1 - cost / ref_cost, diff < -margin))
                    violations[kind].append(diff < -margin)
            single, comp = np.array(rows["single"]), np.array(rows["compound"])
            picked = [k for k in chosen_kinds if k]
            common = max(set(picked), key=picked.count) if picked else "-"
            print(f"{task:8} {margin:6.2f}  {single[:, 0].mean():15.1%}  {comp[:, 0].mean():17.1%}  "
                  f"{single[:, 1].mean():10.1%}  {comp[:, 1].mean():13.1%}  {len(picked) / reps:15.0%}  {common}")
    for kind, v in violations.items():
        print(f"violation rate over all tasks and margins ({kind}): {np.mean(v):.1%} of {len(v)} choices "
              f"(alpha {ALPHA:.0%})")
    print(f"selection with compound candidates: median {np.median(timings):.2f} s per task "
          f"(router training and {len(COMPOUNDS)} compounds included)")
    router_times(sample)


def router_times(sample: bool, reps: int = 5) -> None:
    """The router alone: fitting on half a task's questions, and scoring one request as an application does
    (TextRouter in plain Python, no scikit-learn), medians over `reps` seeded halves."""
    print("router (TF-IDF + logistic regression): training and prediction time")
    print(f"{'task':8} {'trained on':>10}  {'train (s)':>9}  {'predict per request (us)':>24}")
    for task in TASKS:
        df = load(task, sample)
        wide_df = df.pivot_table(index="sample_id", columns="candidate", values="score")
        inputs = df[df["candidate"] == REF].set_index("sample_id")["input"]
        ids = np.array(sorted(wide_df.index))
        fit, predict, n = [], [], 0
        for rep in range(reps):
            rng = np.random.default_rng([rep, 7])
            train = rng.choice(ids, size=len(ids) // 2, replace=False)
            test = np.setdiff1d(ids, train)
            good = (wide_df.loc[train, MINI] >= wide_df.loc[train, REF]).to_numpy()
            start = time.perf_counter()
            router = train_router([str(inputs[i]) for i in train], good)
            fit.append(time.perf_counter() - start)
            texts = [str(inputs[i]) for i in test]
            start = time.perf_counter()
            for t in texts:
                router.probability(t)
            predict.append((time.perf_counter() - start) / len(texts) * 1e6)
            n = len(train)
        print(f"{task:8} {n:10,}  {np.median(fit):9.3f}  {np.median(predict):24.0f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--sample", action="store_true", help="the committed 200-question sample, not the full data")
    args = p.parse_args()
    run(args.reps, args.sample)


if __name__ == "__main__":
    main()
