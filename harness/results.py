"""The tidy results table: one row per task × candidate × sample × epoch.

Built from inspect logs, saved as Parquet and CSV, and loadable from files
that other tools wrote (at least task, candidate, sample_id, score): results
from elsewhere are first-class input to selection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import InputError, Problem
from .pricing import DEFAULT_LOCAL_HOURLY_USD, PriceNotFound, Usage, costs_for_call

if TYPE_CHECKING:  # run and inspect-ai load inspect's whole stack: reading a results file needs neither
    from inspect_ai.log import EvalLog, EvalSample

    from .run import Cell, RunOutcome

COLUMNS = ["suite", "task", "candidate", "model", "config", "sample_id", "epoch", "cluster", "score",
           "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd",
           "prod_cost_usd", "latency_s", "batch", "error", "round", "planned_samples"]
# round / planned_samples: set by `harness run --sequential` (the round a sample was evaluated in, and the
# samples per candidate planned had nothing stopped early); empty for fixed-size runs.
TEXT_COLUMNS = ["input", "output", "target"]  # for reports: what was asked, answered and expected
REQUIRED = ["task", "candidate", "sample_id", "score"]
COST_COLUMNS = ["prod_cost_usd", "cost_usd"]


def from_run(outcome: RunOutcome) -> pd.DataFrame:
    rows = [row for cell in outcome.plan.cells for row in _cell_rows(cell, outcome.logs[cell.key])]
    return _typed(pd.DataFrame(rows, columns=COLUMNS + TEXT_COLUMNS))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    for col in ("round", "planned_samples"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    return df


def _cell_rows(cell: Cell, log: EvalLog) -> list[dict[str, Any]]:
    c, suite = cell.candidate, cell.suite
    config = json.dumps(c.model_dump(exclude_none=True, exclude={"id", "model"}), sort_keys=True)
    return [_sample_row(cell, s, config, suite.prices, suite.local_hourly_usd or DEFAULT_LOCAL_HOURLY_USD)
            for s in log.samples or []]


def _sample_row(cell: Cell, s: EvalSample, config: str, prices: dict, hourly: float) -> dict[str, Any]:
    c = cell.candidate
    out = s.output
    usage = out.usage if out and out.usage else None
    tokens = {"input_tokens": usage.input_tokens if usage else 0, "output_tokens": usage.output_tokens if usage else 0,
              "cache_read_tokens": (usage.input_tokens_cache_read or 0) if usage else 0,
              "cache_write_tokens": (usage.input_tokens_cache_write or 0) if usage else 0}
    # inspect overwrites output.time with the wall time of its generate() (queueing included);
    # our providers put the model's own compute time in metadata.
    meta = (out.metadata or {}) if out else {}
    latency = meta.get("compute_s") or (out.time if out and out.time is not None else s.working_time) or 0.0
    if "latency_s" in meta:  # API answers (providers/_journal.py): a batch has no per-call latency
        latency = float("nan") if meta["latency_s"] is None else meta["latency_s"]
    batch = bool(meta.get("batch", False))
    score = _score_value(s)
    if s.error is not None and score != score:
        # A sample whose request failed for good counts as a wrong answer (the candidate did not deliver
        # one), so every candidate keeps the same samples and comparisons stay paired; `error` says why.
        score = 0.0
    try:
        costs = costs_for_call(c.model, Usage(**tokens, compute_seconds=0.0 if latency != latency else latency),
                               batch=batch,
                               cache_prompt=c.cache_prompt, explicit=prices, local_hourly_usd=hourly)
        eval_cost, prod_cost = costs.eval_usd, costs.prod_usd
    except PriceNotFound:
        eval_cost = prod_cost = float("nan")
    return {"suite": cell.suite.name, "task": cell.task.name, "candidate": c.label(), "model": c.model,
            "config": config, "sample_id": str(s.id), "epoch": s.epoch, "cluster": (s.metadata or {}).get("cluster"),
            "score": score, **tokens, "cost_usd": eval_cost, "prod_cost_usd": prod_cost, "latency_s": latency,
            "batch": batch, "error": s.error.message if s.error else None,
            "round": cell.round, "planned_samples": cell.planned,
            "input": _last_user_text(s), "output": out.completion if out else "",
            "target": s.target if isinstance(s.target, str) else json.dumps(s.target)}


def _score_value(s: EvalSample) -> float:
    from inspect_ai.scorer import value_to_float

    if not s.scores:
        return float("nan")
    value = next(iter(s.scores.values())).value
    return float(value_to_float()(value)) if not isinstance(value, (int, float)) else float(value)


def _last_user_text(s: EvalSample) -> str:
    if isinstance(s.input, str):
        return s.input
    users = [m for m in s.input if m.role == "user"]
    return users[-1].text if users else ""


def per_sample(df: pd.DataFrame, by: tuple[str, ...] = ("candidate",), **extra: tuple[str, str]) -> pd.DataFrame:
    """One row per (*by, sample_id): the sample's score averaged over its epochs, and its cluster.

    Epochs of one sample are repeated measurements of the same item, not new samples: counting
    them as independent would shrink the standard error by up to sqrt(epochs) for no new
    information, so every comparison averages them first and treats the sample as the unit
    (Miller 2024, "resampling"). Averages of 0/1 scores over several epochs are fractions, which
    the t methods of harness.stats handle. Rows keep the order in which samples first appear.
    `extra` adds named aggregations in pandas' `agg` form, e.g. `round=("round", "min")`.

    Raises InputError when the epochs of one sample carry different clusters."""
    if "cluster" not in df.columns:
        df = df.assign(cluster=None)
    groups = df.groupby([*by, "sample_id"], sort=False)
    out = groups.agg(score=("score", "mean"), cluster=("cluster", "first"), **extra)
    if len(out) < len(df) and df["cluster"].notna().any():
        split = groups["cluster"].nunique() > 1
        if split.any():
            where = ", ".join(str(k[-1] if isinstance(k, tuple) else k) for k in split[split].index[:5])
            raise InputError([Problem("results", f"the epochs of sample(s) {where} carry different clusters",
                                      field="cluster", hint="a sample belongs to one cluster: give all its rows "
                                                            "the same cluster id")], title="invalid results")
    return out


def save(df: pd.DataFrame, reports: Path) -> tuple[Path, Path]:
    reports.mkdir(parents=True, exist_ok=True)
    parquet, csv = reports / "results.parquet", reports / "results.csv"
    df.to_parquet(parquet, index=False)
    df.to_csv(csv, index=False)
    return parquet, csv


def load(path: Path | str) -> pd.DataFrame:
    """Read a results table (harness's own or another tool's) and check it can be selected on.

    Needs at least task, candidate, sample_id, score and one cost column
    (prod_cost_usd or cost_usd); every problem is reported at once.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), "results file not found", hint="run `harness run` or check the path")])
    try:
        df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for unreadable files
        raise InputError([Problem(str(path), f"cannot read as {path.suffix or 'CSV'}: {exc}",
                                  hint="give a CSV or Parquet file")]) from None
    return validate(df, str(path))


def validate(df: pd.DataFrame, source: str) -> pd.DataFrame:
    problems = []
    if df.empty:
        problems.append(Problem(source, "the results file has no rows", hint="run the eval first"))
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        problems.append(Problem(source, f"missing column(s): {', '.join(missing)}",
                                hint=f"a results file needs at least {', '.join(REQUIRED)} and a cost column"))
    if not any(c in df.columns for c in COST_COLUMNS):
        problems.append(Problem(source, "no cost column", field="prod_cost_usd",
                                hint="add prod_cost_usd (or cost_usd): the cost of one call in USD"))
    if "score" in df.columns and not df.empty:
        scores = pd.to_numeric(df["score"], errors="coerce")
        bad = df.index[scores.isna() & df["score"].notna()]
        if len(bad):
            rows = ", ".join(str(i + 2) for i in bad[:5])
            problems.append(Problem(source, f"non-numeric score on line(s) {rows}", field="score",
                                    hint="scores must be numbers in [0, 1]"))
        out_of_range = df.index[(scores < 0) | (scores > 1)]
        if len(out_of_range):
            rows = ", ".join(str(i + 2) for i in out_of_range[:5])
            problems.append(Problem(source, f"score outside [0, 1] on line(s) {rows}", field="score",
                                    hint="rescale scores to [0, 1]"))
    if problems:
        raise InputError(problems, title="invalid results")
    df = df.copy()
    df["score"] = pd.to_numeric(df["score"]).astype(float)
    df["sample_id"] = df["sample_id"].astype(str)
    for col in COLUMNS:
        if col not in df.columns:
            df[col] = _default(col, df)
    return _typed(df)


def _default(col: str, df: pd.DataFrame) -> Any:
    if col == "prod_cost_usd":
        return df["cost_usd"]
    if col == "cost_usd":
        return df["prod_cost_usd"]
    if col == "epoch":
        return 1
    if col == "batch":
        return False
    if col in ("round", "planned_samples"):
        return pd.array([pd.NA] * len(df), dtype="Int64")
    if col.endswith("_tokens") or col == "latency_s":
        return np.nan
    return None
