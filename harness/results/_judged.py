"""What a judged task's judge did, per task: its order consistency, its unreadable verdicts, its cost, and its
agreement with human labels when the suite names them.

Printed by `harness run` under the scores (the console is where a run's numbers are read first; the
same columns are in the results table for anything else, `human_label` among them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from ..scorers import PAIRWISE_LABELS, is_unlabelled, judged_candidates, labels_of
from ..stats import KAPPA_THRESHOLD, MIN_LABELS, SPEARMAN_THRESHOLD, Agreement, grade_agreement, verdict_agreement

if TYPE_CHECKING:
    from ..suite import TaskDef


def judge_notes(df: pd.DataFrame, listed: int = 10) -> list[str]:
    """One paragraph per judged task: order-consistent verdict pairs among the samples judged in both orders,
    the verdicts that could not be read (each counted as a tie; their samples listed), and the judge's spend;
    under it, the judge's agreement with the human labels, when the results have them (`human_label`)."""
    if "judge_verdict" not in df.columns or df["judge_verdict"].isna().all():
        return []
    lines: list[str] = []
    agreements = judge_agreements(df)
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
        if head.startswith(f"{task}: judge; "):  # nothing judged in both orders (a rubric): no empty clause
            head = f"{task}: " + head[len(f"{task}: judge; "):]
        lines.append(head)
        if task in agreements:
            lines.append(agreement_line(str(task), agreements[task]))
    grades = df["error"].fillna("").astype(str).str.contains("the judge's answer has no grade")
    for task, g in df[grades].groupby("task", sort=False):
        where = ", ".join(f"{r.candidate}:{r.sample_id}" for r in g.head(listed).itertuples())
        lines.append(f"{task}: {len(g)} rubric grade(s) could not be read (sample errors, scored 0): {where}")
    return lines


# --- agreement with human labels ------------------------------------------------------------------

LABEL_COLUMN = "human_label"
_FOLDED = {1.0: "better", 0.5: "same", 0.0: "worse"}
_GRADE = re.compile(r"^(\d+)/\d+$")


def with_human_labels(df: pd.DataFrame, tasks: Iterable[TaskDef]) -> pd.DataFrame:
    """`df` with a `human_label` column (the label of each row's answer, as text), when a judged task's suite
    names a `human_label:` field; unchanged otherwise. The labels were checked when the suite was loaded."""
    labels: dict[tuple[str, str, str], str] = {}
    for t in tasks:
        name = t.scorer_options.get("human_label") if t.scorer == "judge" else None
        if not name:
            continue
        mode, scale = t.scorer_options.get("mode", "pairwise"), t.scorer_options.get("scale", "1-5")
        judged = judged_candidates(mode, [c.label() for c in t.candidates], t.criteria.reference)
        for r in t.records:
            if not is_unlabelled(r.get(name)):
                for cid, label in labels_of(r[name], mode, scale, judged).items():
                    labels[(t.name, cid, str(r["id"]))] = str(label)
    if not labels:
        return df
    keys = zip(df["task"], df["candidate"], df["sample_id"].astype(str))
    return df.assign(**{LABEL_COLUMN: [labels.get(k) for k in keys]})


def judge_agreements(df: pd.DataFrame) -> dict[str, Agreement]:
    """Per task with human labels: the judge's agreement with them, on the labelled rows the judge scored
    (sample errors and the pairwise reference, which no judge sees, left out). Pairwise: the judge's folded
    verdict (the score: better, same or worse) against the label, Cohen's kappa; rubric: its grade, Spearman."""
    if LABEL_COLUMN not in df.columns:
        return {}
    rows = df[df[LABEL_COLUMN].notna() & df["judge_verdict"].notna() & (df["judge_verdict"] != "reference")]
    rows = rows[rows["error"].isna()] if "error" in rows.columns else rows
    out = {}
    for task, g in rows.groupby("task", sort=False):
        human = g[LABEL_COLUMN].astype(str).tolist()
        if all(h in PAIRWISE_LABELS for h in human):
            out[str(task)] = verdict_agreement([_FOLDED.get(float(s), "same") for s in g["score"]], human)
        else:
            grades = [_GRADE.match(str(v)) for v in g["judge_verdict"]]
            keep = [i for i, m in enumerate(grades) if m]
            out[str(task)] = grade_agreement([float(grades[i].group(1)) for i in keep],  # type: ignore[union-attr]
                                             [float(human[i]) for i in keep])
    return out


def agreement_line(task: str, a: Agreement) -> str:
    """The console line under the order consistency: the number, its reading, and a warning when it is weak."""
    value = f"{a.name} {a.statistic:.2f}" if a.statistic == a.statistic else f"{a.name} undefined"
    if a.level:
        value += f" ({a.level} agreement, Landis & Koch)"
    where = f"on {a.n} labelled answer(s), {a.matches} with the same {'verdict' if a.method == 'cohen_kappa' else 'grade'}"
    if not a.weak:
        return f"{task}: judge agreement with the human labels: {value} {where}"
    return f"{task}: WARNING: the judge agrees too weakly with the human labels to trust its verdicts: {value} " \
           f"{where}; {_why_weak(a)}: sharpen the rubric, or choose another judge (docs/judge.md)"


def agreement_warnings(df: pd.DataFrame, task: str) -> list[str]:
    """The decision's note when its judge agrees weakly with the human labels (routing.json, the report)."""
    a = judge_agreements(df).get(task)
    if a is None or not a.weak:
        return []
    value = f"{a.name} {a.statistic:.2f}" if a.statistic == a.statistic else f"{a.name} undefined"
    return [f"the judge agrees weakly with the human labels ({value} on {a.n} answers; {_why_weak(a)}): this "
            "decision rests on verdicts people do not share"]


def _why_weak(a: Agreement) -> str:
    if a.n < MIN_LABELS:
        return f"fewer than {MIN_LABELS} labelled answers cannot show agreement"
    if a.statistic != a.statistic:
        return "the judge or the labels gave one value throughout, so agreement cannot be measured"
    if a.method == "cohen_kappa":
        return f"a kappa of {KAPPA_THRESHOLD:.2f} or less is fair agreement at best"
    return f"a rho below {SPEARMAN_THRESHOLD:.2f} ranks answers unlike people"
