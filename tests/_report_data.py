"""Synthetic results + routing table for the report tests: hostile text everywhere text can go.

HOSTILE would, if it ever ran, change the page title and add an element with id "pwned";
the browser test looks for both in the rendered DOM.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from harness import results, routing
from harness.select import Criteria, select

HOSTILE = ("<script>document.title='PWNED'</script>"
           "<img src=x onerror=\"document.body.appendChild(document.createElement('div')).id='pwned'\">")
ESCAPED = "&lt;script&gt;document.title="  # how both Jinja2 and matplotlib write its start

SWITCH = f"routing {HOSTILE}"  # a task whose cheap candidate passes and is chosen
CHEAP = f"cheap {HOSTILE}"
NOTHING = "nothing_passes"  # min_score only, nothing reaches it: no route
KEEP = "keep_reference"  # every cheaper candidate is proven worse
UNDECIDED = "no_criteria"  # not in the routing table at all

N = 200
_rng = np.random.default_rng(5)
REF = (_rng.random(N) < 0.8).astype(float)


def flip(base: np.ndarray, down: float, up: float, seed: int) -> np.ndarray:
    r = np.random.default_rng(seed).random(base.size)
    out = base.copy()
    out[(base == 1) & (r < down)] = 0
    out[(base == 0) & (r < up)] = 1
    return out


def _rows(task: str, cands: dict[str, tuple[str, dict, float, np.ndarray]], suite: str = "synthetic",
          texts: bool = True) -> list[dict]:
    out = []
    for cand, (model, config, cost, scores) in cands.items():
        for i, s in enumerate(scores):
            row = {"suite": suite, "task": task, "candidate": cand, "model": model, "config": json.dumps(config),
                   "sample_id": f"s{i}", "epoch": 1, "cluster": None, "score": float(s), "input_tokens": 100,
                   "output_tokens": 5, "cache_read_tokens": 0, "cache_write_tokens": 0, "cost_usd": cost / 2,
                   "prod_cost_usd": cost, "latency_s": 0.1, "batch": True, "error": None}
            if texts:
                row.update(input=f"Ticket {i}: {HOSTILE}", output=f"answer of {cand}: {HOSTILE}" if s < 1 else "ok",
                           target=f"billing {HOSTILE}")
            out.append(row)
    return out


def frame() -> pd.DataFrame:
    # The cheap candidate loses 4 samples the reference wins and wins 4 it loses: not worse.
    cheap = REF.copy()
    wins, losses = np.flatnonzero(REF == 0)[:4], np.flatnonzero(REF == 1)[:4]
    cheap[wins], cheap[losses] = 1, 0
    rows = _rows(SWITCH, {
        "big": ("anthropic/claude-big", {"max_tokens": 16, "temperature": 0}, 1e-3, REF),
        CHEAP: (f"openai/{HOSTILE}", {"max_tokens": 16, "prompt": HOSTILE}, 1e-4, cheap),
        "bad": ("openai/bad", {"max_tokens": 16}, 5e-5, flip(REF, 0.5, 0.0, 1)),
        "meh": ("openai/meh", {"max_tokens": 16}, 2e-4, flip(REF, 0.08, 0.0, 2)[:N])}, suite=HOSTILE)
    low = (_rng.random(60) < 0.3).astype(float)
    rows += _rows(NOTHING, {"a": ("openai/a", {}, 1e-4, low), "b": ("openai/b", {}, 2e-4, flip(low, 0.1, 0.1, 3))})
    rows += _rows(KEEP, {"ref": ("openai/ref", {}, 1e-3, REF), "worse": ("openai/worse", {}, 1e-4, flip(REF, 0.6, 0, 4))})
    rows += _rows(UNDECIDED, {"x": ("openai/x", {}, 1e-4, REF[:50]), "y": ("openai/y", {}, 3e-4, REF[50:100])})
    return results.validate(pd.DataFrame(rows), "synthetic")


CRITERIA = {SWITCH: Criteria(max_drop=0.05, reference="big"), NOTHING: Criteria(min_score=0.9),
            KEEP: Criteria(max_drop=0.05, reference="ref")}
TRAFFIC = {SWITCH: 1_000_000, KEEP: 200_000}


def routing_table(df: pd.DataFrame, path: Path) -> routing.RoutingTable:
    decided = df[df["task"].isin(list(CRITERIA))]
    table = routing.build_table(select(decided, CRITERIA, TRAFFIC), source={"results": "synthetic"})
    routing.write(table, path)
    return routing.load(path)


# --- a run in rounds (harness run --sequential) ---------------------------------------------------

ROUND, PLANNED, ROUNDS = 20, 200, 5
SEQ_COSTS = {"ref": 1e-3, "bad": 1e-5, "good": 1e-4, "pricey": 5e-4}


def sequential_frame(task: str = "seq", planned: int | None = PLANNED, scale: float = 1.0):
    """A run in rounds of ROUND as `harness run --sequential` leaves it: bad (all wrong) got round 1 only,
    good (all right) and pricey (2 wrong a round) ran to round ROUNDS, and so did the reference."""
    right, pricey = np.ones(ROUND), np.r_[np.zeros(2), np.ones(ROUND - 2)]
    rounds = {"ref": [right] * ROUNDS, "bad": [np.zeros(ROUND)], "good": [right] * ROUNDS, "pricey": [pricey] * ROUNDS}
    rows = []
    for cand, scores_by_round in rounds.items():
        cost = SEQ_COSTS[cand] * scale
        for r, scores in enumerate(scores_by_round, 1):
            for j, s in enumerate(scores):
                rows.append({"suite": "seq", "task": task, "candidate": cand, "model": f"openai/{cand}", "config": "{}",
                             "sample_id": f"s{(r - 1) * ROUND + j}", "epoch": 1, "cluster": None, "score": float(s),
                             "input_tokens": 100, "output_tokens": 5, "cache_read_tokens": 0, "cache_write_tokens": 0,
                             "cost_usd": cost / 2, "prod_cost_usd": cost, "latency_s": 0.1, "batch": True,
                             "error": None, "round": r, "planned_samples": planned})
    return results.validate(pd.DataFrame(rows), "sequential")


def sequential_table(df: pd.DataFrame, path: Path) -> routing.RoutingTable:
    criteria = {task: Criteria(max_drop=0.2, reference="ref") for task in df["task"].unique()}
    routing.write(routing.build_table(select(df, criteria, {t: 1_000_000 for t in criteria}),
                                      source={"results": "sequential"}), path)
    return routing.load(path)
