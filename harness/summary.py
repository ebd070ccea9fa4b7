"""The per-task table `harness run` prints: score with its interval, tokens and compute per call."""

from __future__ import annotations

import pandas as pd

from .stats import mean_interval


def per_candidate(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (task, cand), g in df.groupby(["task", "candidate"], sort=False):
        # Epochs of one sample are averaged first: the sample is the unit of evidence.
        per_sample = g.groupby("sample_id").agg(score=("score", "mean"), cluster=("cluster", "first"))
        clusters = per_sample["cluster"].to_numpy() if per_sample["cluster"].notna().all() else None
        ci = mean_interval(per_sample["score"].to_numpy(dtype=float), clusters=clusters)
        rows.append({"task": task, "candidate": cand, "n": len(per_sample), "mean": ci.estimate, "low": ci.low,
                     "high": ci.high, "in_tok": g["input_tokens"].mean(), "out_tok": g["output_tokens"].mean(),
                     "compute_s": g["latency_s"].mean(), "errors": int(g["error"].notna().sum())})
    return pd.DataFrame(rows)


def format_table(summary: pd.DataFrame) -> str:
    lines = []
    for task, g in summary.groupby("task", sort=False):
        lines.append(f"\n{task}")
        width = max(len("candidate"), *(len(c) for c in g["candidate"]))
        lines.append(f"  {'candidate':<{width}}  {'n':>4}  {'score [95% CI]':<21}  {'in tok':>6}  {'out tok':>7}  {'s/call':>6}")
        for r in g.itertuples():
            ci = f"{r.mean:.3f} [{r.low:.3f}, {r.high:.3f}]"
            err = f"  ({r.errors} errors)" if r.errors else ""
            lines.append(f"  {r.candidate:<{width}}  {r.n:>4}  {ci:<21}  {r.in_tok:>6.0f}  {r.out_tok:>7.1f}  "
                         f"{r.compute_s:>6.2f}{err}")
    return "\n".join(lines)


def format_decisions(decisions: list) -> str:
    """Per task: each candidate's verdict, then the choice and its projected monthly cost against the reference."""
    lines, total_ref, total_new, complete = [], 0.0, 0.0, True
    for d in decisions:
        lines.append(f"\n{d.task}: {d.summary}")
        if d.sequential is not None:
            lines.append(f"  note: {d.sequential.text()}")
        for note in d.notes:
            lines.append(f"  note: {note}")
        width = max(len(v.candidate) for v in d.verdicts)
        for v in d.verdicts:
            mark = "*" if v.candidate == d.chosen else " "
            lines.append(f" {mark}{v.candidate:<{width}}  {v.status:<12}  ${v.cost_per_call * 1e6:>9.2f}/M calls  {v.reason}")
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
