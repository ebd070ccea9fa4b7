"""What `harness run` and `harness select` print: scores per candidate, then each task's decision."""

from __future__ import annotations

import math

import pandas as pd

from ..results import per_sample
from ..stats import mean_interval
from ..text import table
from ._decision import TaskDecision


def per_candidate(df: pd.DataFrame) -> pd.DataFrame:
    """Per task × candidate: samples, mean score with its 95% interval, tokens and compute per call."""
    calls = df.groupby(["task", "candidate"], sort=False).agg(
        in_tok=("input_tokens", "mean"), out_tok=("output_tokens", "mean"), compute_s=("latency_s", "mean"),
        errors=("error", "count"))
    rows = []
    for (task, cand), per in per_sample(df, by=("task", "candidate")).groupby(level=[0, 1], sort=False):
        clusters = per["cluster"].to_numpy() if per["cluster"].notna().all() else None
        ci = mean_interval(per["score"].to_numpy(dtype=float), clusters=clusters)
        c = calls.loc[(task, cand)]
        rows.append({"task": task, "candidate": cand, "n": len(per), "mean": ci.estimate, "low": ci.low,
                     "high": ci.high, "in_tok": c["in_tok"], "out_tok": c["out_tok"], "compute_s": c["compute_s"],
                     "errors": int(c["errors"])})
    return pd.DataFrame(rows)


def format_table(summary: pd.DataFrame) -> str:
    lines = []
    for task, g in summary.groupby("task", sort=False):
        rows = [[r.candidate, str(r.n), f"{r.mean:.3f} [{r.low:.3f}, {r.high:.3f}]", f"{r.in_tok:.0f}",
                 f"{r.out_tok:.1f}", f"{r.compute_s:.2f}" + (f"  ({r.errors} errors)" if r.errors else "")]
                for r in g.itertuples()]
        lines += [f"\n{task}", table(["candidate", "n", "score [95% CI]", "in tok", "out tok", "s/call"], rows,
                                     right=(1, 3, 4, 5), indent=2)]
    return "\n".join(lines)


def format_decisions(decisions: list[TaskDecision]) -> str:
    """Per task: each candidate's verdict, then the choice and its projected monthly cost against the reference."""
    lines, total_ref, total_new, complete = [], 0.0, 0.0, True
    for d in decisions:
        lines.append(f"\n{d.task}: {d.summary}")
        if d.sequential is not None:
            lines.append(f"  note: {d.sequential.text()}")
        for note in d.notes:
            lines.append(f"  note: {note}")
        rows = [[("*" if v.candidate == d.chosen else " ") + v.candidate, v.status, _per_million(v.cost_per_call),
                 v.reason] for v in d.verdicts]
        lines.append(table(None, rows, right=(2,), indent=1))
        ref_month, new_month = d.monthly(d.criteria.reference), d.monthly(d.chosen)
        if ref_month is None or new_month is None:
            complete = False
            continue
        total_ref, total_new = total_ref + ref_month, total_new + new_month
        lines.append(f"  monthly at {d.traffic_per_month:,.0f} calls: ${new_month:,.2f} (reference everywhere: "
                     f"${ref_month:,.2f})")
    if total_ref > 0:
        saving = 1 - total_new / total_ref
        lines.append(f"\nprojected monthly cost: ${total_new:,.2f} with these routes vs ${total_ref:,.2f} running the "
                     f"reference everywhere ({saving:+.0%} saving)"
                     + ("" if complete else "; tasks without traffic_per_month or reference are left out"))
    return "\n".join(lines)


def _per_million(cost_per_call: float) -> str:
    return f"${cost_per_call * 1e6:.2f}/M calls" if math.isfinite(cost_per_call) else "no price"
