"""The tidy results table of a run: one row per task × candidate × sample × epoch, from inspect logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..pricing import DEFAULT_LOCAL_HOURLY_USD, PriceNotFound, Usage, costs_for_call, lookup_price

if TYPE_CHECKING:  # run and inspect-ai load inspect's whole stack: reading a results file needs neither
    from inspect_ai.log import EvalLog, EvalSample
    from inspect_ai.model import ModelUsage

    from ..run import Cell, Replayed, RunOutcome

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
    """The table of a run: cells scored from the journal from their columns, the others from their logs."""
    if not outcome.replayed:
        rows = [row for cell in outcome.plan.cells for row in _cell_rows(cell, outcome.logs[cell.key])]
        return typed(pd.DataFrame(rows, columns=COLUMNS + TEXT_COLUMNS))
    parts: list[pd.DataFrame] = []
    for cell in outcome.plan.cells:
        if cell.key in outcome.replayed:
            parts.append(_replayed_rows(cell, outcome.replayed[cell.key]))
        else:
            parts.append(pd.DataFrame(_cell_rows(cell, outcome.logs[cell.key]), columns=COLUMNS + TEXT_COLUMNS))
    parts = [p for p in parts if len(p)] or parts[:1]
    return typed(parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True))


def _replayed_rows(cell: Cell, replayed: Replayed) -> pd.DataFrame:
    """Rows of a cell scored from the journal (run/_journaled.py): its columns, priced as `measures` prices."""
    c, suite, cols = cell.candidate, cell.suite, replayed.columns
    n = len(replayed)
    costs = _Costs(c.model, c.cache_prompt, suite.prices, suite.local_hourly_usd or DEFAULT_LOCAL_HOURLY_USD)
    priced = [costs(*usage) for usage in zip(cols["input_tokens"], cols["output_tokens"], cols["cache_read_tokens"],
                                             cols["cache_write_tokens"], cols["latency_s"], cols["batch"])]
    nan = float("nan")
    # a request that failed for good scores 0, as in _sample_row
    score = [0.0 if e is not None and s != s else s for s, e in zip(cols["score"], cols["error"])]
    config = json.dumps(c.model_dump(exclude_none=True, exclude={"id", "model"}), sort_keys=True)
    data = {"suite": [suite.name] * n, "task": [cell.task.name] * n, "candidate": [c.label()] * n,
            "model": [c.model] * n, "config": [config] * n, "score": score,
            "cost_usd": [p[0] for p in priced], "prod_cost_usd": [p[1] for p in priced],
            "round": [cell.round] * n, "planned_samples": [cell.planned] * n,
            "judge_verdict": [None] * n, "judge_reason": [None] * n, "judge_consistent": [nan] * n,
            "judge_unparsed": [nan] * n, "judge_cost_usd": [nan] * n,
            **{k: cols[k] for k in ("sample_id", "epoch", "cluster", "input_tokens", "output_tokens",
                                    "cache_read_tokens", "cache_write_tokens", "latency_s", "batch", "error",
                                    "confidence", "input", "output", "target")}}
    return pd.DataFrame(data, columns=COLUMNS + TEXT_COLUMNS)


class _Costs:
    """costs_for_call for one candidate, once per distinct usage: 300,000 calls of a task have a few
    hundred distinct token counts, and each call priced alone cost a price lookup and Decimal sums."""

    def __init__(self, model: str, cache_prompt: bool, prices: dict, hourly: float) -> None:
        self.model, self.cache_prompt, self.prices, self.hourly = model, cache_prompt, prices, hourly
        try:
            self.timed = lookup_price(model, prices, local_hourly_usd=hourly).hourly_usd is not None
        except PriceNotFound:
            self.timed = False
        self._seen: dict[tuple, tuple[float, float]] = {}

    def __call__(self, inp: int, out: int, read: int, write: int, latency: float, batch: bool) -> tuple[float, float]:
        busy = 0.0 if latency != latency else latency  # as `measures`: a batch answer has no latency
        key = (inp, out, read, write, busy if self.timed else 0.0, batch)
        if key not in self._seen:
            try:
                got = costs_for_call(self.model, Usage(inp, out, read, write, compute_seconds=key[4]), batch=batch,
                                     cache_prompt=self.cache_prompt, explicit=self.prices,
                                     local_hourly_usd=self.hourly)
                self._seen[key] = (got.eval_usd, got.prod_usd)
            except PriceNotFound:
                self._seen[key] = (float("nan"), float("nan"))
        return self._seen[key]


def typed(df: pd.DataFrame) -> pd.DataFrame:
    # A column that already has its type is left as it is: converting it again gives the same values,
    # and on 10 million rows cost a copy of each (a second of select's time).
    for col in ("round", "planned_samples"):
        if not isinstance(df[col].dtype, pd.Int64Dtype):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    for col in ("confidence", *JUDGE_NUMBERS):
        if col in df.columns and df[col].dtype != np.dtype("float64"):
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
