"""The tidy results table of a run: one row per task × candidate × sample × epoch, from inspect logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..pricing import DEFAULT_LOCAL_HOURLY_USD, PriceNotFound, Usage, costs_for_call

if TYPE_CHECKING:  # run and inspect-ai load inspect's whole stack: reading a results file needs neither
    from inspect_ai.log import EvalLog, EvalSample
    from inspect_ai.model import ModelUsage

    from ..run import Cell, RunOutcome

COLUMNS = ["suite", "task", "candidate", "model", "config", "sample_id", "epoch", "cluster", "score",
           "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd",
           "prod_cost_usd", "latency_s", "batch", "error", "round", "planned_samples", "confidence",
           "judge_verdict", "judge_reason", "judge_consistent", "judge_unparsed", "judge_cost_usd"]
# round / planned_samples: set by `harness run --sequential` (the round a sample was evaluated in, and the
# samples per candidate planned had nothing stopped early); empty for fixed-size runs. confidence: the
# answer's own probability, for candidates with `logprobs: true` (a cascade's confidence check).
# judge_*: judged tasks only (docs/judge.md), empty elsewhere. judge_verdict: pairwise "candidate-first/
# reference-first" verdicts from the candidate's side (better, same, worse, unparsed), "reference", or a
# rubric grade "g/HIGH"; judge_reason: the judge's text; judge_consistent: 1/0 when both orders were judged;
# judge_unparsed: verdicts that could not be read (each counted as a tie); judge_cost_usd: the judge's calls
# for this row, already included in cost_usd (eval cost) and never in prod_cost_usd.
JUDGE_NUMBERS = ["judge_consistent", "judge_unparsed", "judge_cost_usd"]
TEXT_COLUMNS = ["input", "output", "target"]  # for reports: what was asked, answered and expected
REQUIRED = ["task", "candidate", "sample_id", "score"]
COST_COLUMNS = ["prod_cost_usd", "cost_usd"]


def from_run(outcome: RunOutcome) -> pd.DataFrame:
    rows = [row for cell in outcome.plan.cells for row in _cell_rows(cell, outcome.logs[cell.key])]
    return typed(pd.DataFrame(rows, columns=COLUMNS + TEXT_COLUMNS))


def typed(df: pd.DataFrame) -> pd.DataFrame:
    for col in ("round", "planned_samples"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    for col in ("confidence", *JUDGE_NUMBERS):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


def _cell_rows(cell: Cell, log: EvalLog) -> list[dict[str, Any]]:
    c, suite = cell.candidate, cell.suite
    config = json.dumps(c.model_dump(exclude_none=True, exclude={"id", "model"}), sort_keys=True)
    return [_sample_row(cell, s, config, suite.prices, suite.local_hourly_usd or DEFAULT_LOCAL_HOURLY_USD)
            for s in log.samples or []]


def judge_columns(s: EvalSample, prices: dict, hourly: float) -> dict[str, Any]:
    """The judge_* columns of a sample a judge scored (its score's metadata); empty otherwise."""
    judge = next(((sc.metadata or {}).get("judge") for sc in (s.scores or {}).values()
                  if (sc.metadata or {}).get("judge")), None)
    if not judge:
        return {"judge_verdict": None, "judge_reason": None, "judge_consistent": float("nan"),
                "judge_unparsed": float("nan"), "judge_cost_usd": float("nan")}
    cost = 0.0
    for call in judge.get("calls") or []:
        tokens = {k: int(call.get(k) or 0) for k in ("input_tokens", "output_tokens", "cache_read_tokens",
                                                   "cache_write_tokens")}
        try:
            cost += costs_for_call(judge["model"], Usage(**tokens, compute_seconds=float(call.get("compute_s") or 0.0)),
                                   batch=bool(call.get("batch")), cache_prompt=False, explicit=prices,
                                   local_hourly_usd=hourly).eval_usd
        except PriceNotFound:
            cost = float("nan")
    agree = judge.get("consistent")
    return {"judge_verdict": judge.get("verdict"), "judge_reason": judge.get("reason"),
            "judge_consistent": float("nan") if agree is None else float(agree),
            "judge_unparsed": float(judge.get("unparsed") or 0), "judge_cost_usd": cost}


def _sample_row(cell: Cell, s: EvalSample, config: str, prices: dict, hourly: float) -> dict[str, Any]:
    c = cell.candidate
    out = s.output
    score = _score_value(s)
    judged = judge_columns(s, prices, hourly)
    costs = measures(s, c.model, cache_prompt=c.cache_prompt, prices=prices, hourly=hourly)
    if judged["judge_cost_usd"] == judged["judge_cost_usd"]:  # the judge's spend is eval cost, never production's
        costs["cost_usd"] += judged["judge_cost_usd"]
    if s.error is not None and score != score:
        # A sample whose request failed for good counts as a wrong answer (the candidate did not deliver
        # one), so every candidate keeps the same samples and comparisons stay paired; `error` says why.
        score = 0.0
    return {"suite": cell.suite.name, "task": cell.task.name, "candidate": c.label(), "model": c.model,
            "config": config, "sample_id": str(s.id), "epoch": s.epoch, "cluster": (s.metadata or {}).get("cluster"),
            "score": score, **costs,
            "error": s.error.message if s.error else None,
            "round": cell.round, "planned_samples": cell.planned,
            "confidence": ((out.metadata or {}).get("confidence") if out else None), **judged,
            "input": last_user_text(s), "output": out.completion if out else "",
            "target": s.target if isinstance(s.target, str) else json.dumps(s.target)}


def measures(s: EvalSample, model: str, *, cache_prompt: bool, prices: dict, hourly: float,
             usage: ModelUsage | None = None, batch: bool = False) -> dict[str, Any]:
    """A sample's tokens, latency, batch flag and costs, priced the one way (`usage`: else output.usage)."""
    out = s.output
    if usage is None:
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
    batch = bool(meta.get("batch", batch))
    # An endpoint priced by the hour charges a call its share of the server's busy time: calls in flight
    # together share the hour, so their latencies overlap and would bill it several times.
    busy = meta.get("busy_s", latency)
    try:
        costs = costs_for_call(model, Usage(**tokens, compute_seconds=0.0 if busy != busy else busy),
                               batch=batch, cache_prompt=cache_prompt, explicit=prices, local_hourly_usd=hourly)
        eval_cost, prod_cost = costs.eval_usd, costs.prod_usd
    except PriceNotFound:
        eval_cost = prod_cost = float("nan")
    return {**tokens, "cost_usd": eval_cost, "prod_cost_usd": prod_cost, "latency_s": latency, "batch": batch}


def _score_value(s: EvalSample) -> float:
    from inspect_ai.scorer import value_to_float

    if not s.scores:
        return float("nan")
    value = next(iter(s.scores.values())).value
    return float(value_to_float()(value)) if not isinstance(value, (int, float)) else float(value)


def last_user_text(s: EvalSample) -> str:
    if isinstance(s.input, str):
        return s.input
    users = [m for m in s.input if m.role == "user"]
    return users[-1].text if users else ""
