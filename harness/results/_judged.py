"""What a judged task's judge did, per task: its order consistency, its unreadable verdicts, its cost.

Printed by `harness run` under the scores (the console is where a run's numbers are read first; the
same columns are in the results table for anything else).
"""

from __future__ import annotations

import pandas as pd


def judge_notes(df: pd.DataFrame, listed: int = 10) -> list[str]:
    """One paragraph per judged task: order-consistent verdict pairs among the samples judged in both orders,
    the verdicts that could not be read (each counted as a tie; their samples listed), and the judge's spend."""
    if "judge_verdict" not in df.columns or df["judge_verdict"].isna().all():
        return []
    lines: list[str] = []
    for task, g in df[df["judge_verdict"].notna()].groupby("task", sort=False):
        both = g["judge_consistent"].dropna()
        head = f"{task}: judge"
        if len(both):
            head += (f" order-consistent on {int(both.sum())} of {len(both)} samples judged in both orders "
                     f"({both.mean():.0%})")
        unread = g[g["judge_unparsed"].fillna(0) > 0]
        if len(unread):
            where = ", ".join(f"{r.candidate}:{r.sample_id}" for r in unread.head(listed).itertuples())
            more = f" and {len(unread) - listed} more" if len(unread) > listed else ""
            head += (f"; {int(unread['judge_unparsed'].sum())} verdict(s) could not be read, counted as ties "
                     f"({where}{more})")
        cost = g["judge_cost_usd"].sum(min_count=1)
        if g["judge_cost_usd"].isna().any():
            head += "; the judge's model has no price, so its calls are not in the eval cost (add it under `prices:`)"
        elif cost == cost:
            head += f"; judge calls ${cost:.4f} (eval cost, not production cost)"
        lines.append(head)
    grades = df["error"].fillna("").astype(str).str.contains("the judge's answer has no grade")
    for task, g in df[grades].groupby("task", sort=False):
        where = ", ".join(f"{r.candidate}:{r.sample_id}" for r in g.head(listed).itertuples())
        lines.append(f"{task}: {len(g)} rubric grade(s) could not be read (sample errors, scored 0): {where}")
    return lines
