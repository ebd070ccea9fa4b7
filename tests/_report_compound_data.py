"""Synthetic results with compound candidates for the report tests: a ticket classifier, two models.

30% of the tickets are hard (their text says so); the big model is right on 97% of all, the mini one
on 99% of the easy ones and 55% of the hard ones, and it is confident when it is right. So a cascade
on mini's confidence, and a router reading the text, can both match big for a fraction of its cost,
while mini alone is proven worse. `page` builds the decision, the routing table and the page from them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from harness import report, results, routing
from harness.compound import CascadeSpec, ConfidenceCheck, ParsesCheck, RouterSpec
from harness.select import Criteria, ScorerInfo, TaskCompounds, TaskDecision, select

LABELS = ["billing", "technical", "account", "shipping"]
WORDS = "order invoice refund login password parcel card screen app delay address email phone plan upgrade".split()
BIG_COST, MINI_COST, TRAFFIC, MAX_DROP = 0.01, 0.0006, 100_000, 0.02


def tickets(task: str = "tickets", cheap: str = "mini", ref: str = "big", n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        hard = rng.random() < 0.3
        truth = LABELS[i % 4]
        filler = " ".join(rng.choice(WORDS, 3))
        text = f"ticket {i}: {filler}, {'urgent complicated escalation' if hard else 'simple question'} about {truth}"
        big_ok = rng.random() < 0.97
        mini_ok = rng.random() < (0.55 if hard else 0.99)
        mini_out = truth if mini_ok else ("I am not sure" if rng.random() < 0.8 else LABELS[(i + 1) % 4])
        conf = rng.uniform(0.9, 1.0) if mini_ok else rng.uniform(0.3, 0.95)
        for cand, model, ok, out, cost, c in ((ref, "openai/gpt-4o", big_ok, truth if big_ok else "x", BIG_COST, 0.99),
                                              (cheap, "openai/gpt-4o-mini", mini_ok, mini_out, MINI_COST, conf)):
            rows.append({"suite": "support", "task": task, "candidate": cand, "model": model, "config": "{}",
                         "sample_id": f"s{i}", "epoch": 1, "score": float(ok), "prod_cost_usd": cost,
                         "cost_usd": cost, "input": text, "output": out, "target": truth, "confidence": c})
    return results.validate(pd.DataFrame(rows), "synthetic")


def specs(cheap: str = "mini", ref: str = "big", ids: tuple[str | None, str | None, str | None] = (None, "conf", None)
          ) -> list[CascadeSpec | RouterSpec]:
    """A cascade with nothing to tune, one tuned on mini's confidence, and a router."""
    return [CascadeSpec(kind="cascade", id=ids[0], steps=[cheap, ref], checks=[ParsesCheck(type="parses")]),
            CascadeSpec(kind="cascade", id=ids[1], steps=[cheap, ref], checks=[ConfidenceCheck(type="confidence")]),
            RouterSpec(kind="router", id=ids[2], cheap=cheap, fallback=ref)]


def compounds(task_specs: dict[str, list[CascadeSpec | RouterSpec]]) -> dict[str, TaskCompounds]:
    info = ScorerInfo("exact", {}, frozenset(LABELS))
    return {task: TaskCompounds(s, info, 3) for task, s in task_specs.items()}


def decide(df: pd.DataFrame, found: dict[str, TaskCompounds], ref: str = "big") -> list[TaskDecision]:
    tasks = list(dict.fromkeys(df["task"]))
    return select(df, {t: Criteria(reference=ref, max_drop=MAX_DROP) for t in tasks}, {t: TRAFFIC for t in tasks},
                  compounds=found)


def page(out: Path, df: pd.DataFrame, found: dict[str, TaskCompounds], ref: str = "big",
         give_specs: bool = True) -> tuple[str, list[TaskDecision]]:
    """The page as `harness run` writes it (specs from the suites), from a routing table read back."""
    decisions = decide(df, found, ref)
    routing.write(routing.build_table(decisions, source={"results": "synthetic"}), out / "routing.json")
    table = routing.load(out / "routing.json")
    path = report.write_report(df, table, out, results_path=out / "results.parquet", routing_path=out / "routing.json",
                               compounds=found if give_specs else None)
    return path.read_text(encoding="utf-8"), decisions
