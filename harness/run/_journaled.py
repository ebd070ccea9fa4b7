"""API cells scored straight from the journal, without inspect-ai's sample loop.

Once every request of an API cell of a dataset task is final in the journal (harness/batch sent them),
inspect has nothing left to do for it but bookkeeping: the answers are in the journal and the scorer
is a pure function of an answer's text. inspect's eval() spent about 10 ms a sample on that
bookkeeping (a task per sample, spans, events, state copies, a zip member with a fresh zstd thread
pool each; docs/performance.md); here the same scores, the same results and the cell's inspect log
(written in one pass, `_eval_log`) cost a fraction of a millisecond.

Cells that need inspect keep it: local, classifier and endpoint candidates (inspect runs their model),
inspect tasks (their solver makes the requests) and judged tasks (their scorer calls a model). A cell
with a request not final yet goes to inspect too, which reports it as it always did.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4
from typing import Any

from inspect_ai.log import EvalConfig, EvalSpec
from inspect_ai.model import GenerateConfig

from ..batch import (API_PROVIDERS, BodySettings, RequestFailed, make_request, response_confidence,
                     response_text)
from ..journal import Answer, Journal
from ..scorers import SCORERS
from ..suite import as_text, chat_turns
from ..version import __version__
from ._cells import Cell
from ._eval_log import EvalLogWriter, dataset, plan

SCORER = "harness_score"  # the name harness_scorer registers in inspect (scorers/_inspect.py)


def journaled(cell: Cell) -> bool:
    """A cell this module can score: an API candidate on a dataset task with a scorer that reads text."""
    t = cell.task
    return (cell.candidate.provider in API_PROVIDERS and t.inspect_task is None
            and not SCORERS[t.scorer].judged)


@dataclass
class Replayed:
    """A cell's samples × epochs, scored from the journal, in the order inspect's log reader gives them.

    Columns of equal length (results turns them into rows); the costs are left to results, which
    prices every call the one way."""

    columns: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns.get("sample_id", []))


_COLUMNS = ["sample_id", "epoch", "cluster", "score", "input_tokens", "output_tokens", "cache_read_tokens",
            "cache_write_tokens", "latency_s", "batch", "error", "confidence", "input", "output", "target"]


def replay(cell: Cell, journal: Journal, log: Path | None = None, run_id: str = "") -> Replayed | None:
    """Score `cell` from the journal (and write its inspect log to `log`, if given); None when a request of
    the cell has no final state in the journal yet."""
    t, c = cell.task, cell.candidate
    provider, model_id = c.model.split("/", 1)
    settings, variant, wanted = BodySettings.from_candidate(c), t.variants[c.prompt], set(cell.sample_ids)
    planned = []  # (record, turns, request) per sample × epoch, in dataset order
    for r in t.records:
        if r["id"] in wanted:
            turns = chat_turns(variant, r, t.target_field)
            planned += [(r, turns, make_request(provider, model_id, turns, settings, e)) for e in range(1, t.epochs + 1)]
    final = journal.final([req.key for _, _, req in planned])
    if len(final) < len({req.key for _, _, req in planned}):
        return None
    # inspect's reader sorts a log's samples by (epoch, id), numeric ids zero-filled (log/_log.sort_samples)
    planned.sort(key=lambda p: (p[2].epoch, p[0]["id"] if isinstance(p[0]["id"], str) else str(p[0]["id"]).zfill(20)))
    ids = [r["id"] for r in t.records if r["id"] in wanted]
    writer = _writer(cell, log, journal.location, run_id, ids) if log else None
    started = _now()
    kind = SCORERS[t.scorer]
    options = kind.options(**t.scorer_options).model_dump()
    out = Replayed({name: [] for name in _COLUMNS})
    try:
        for r, turns, req in planned:
            sample = _score(cell, r, turns, req, final[req.key], kind.fn, options, provider, model_id)
            _append(out.columns, r, turns, req, sample, t.cluster_field)
            if writer:
                writer.add(sample)
        if writer:
            writer.finish(started, _now(), {"kind": t.scorer, "options": t.scorer_options})
    except BaseException:
        if writer:
            writer.abandon()
        raise
    return out


def _score(cell: Cell, r: dict[str, Any], turns: list[tuple[str, str]], req: Any, final: Answer | str,
           fn: Any, options: dict[str, Any], provider: str, model_id: str) -> dict[str, Any]:
    """One sample × epoch as inspect's EvalSample JSON: what the journal provider and harness_scorer make."""
    t = cell.task
    raw = r[t.target_field]
    inputs = [{"role": role, "content": text} for role, text in turns]
    sample: dict[str, Any] = {
        "id": r["id"], "epoch": req.epoch, "input": inputs, "target": as_text(raw),
        "metadata": {"target": raw, "cluster": None if t.cluster_field is None else str(r[t.cluster_field])},
        "store": {}, "events": []}
    messages = [{**m, "source": "input"} for m in inputs]
    if isinstance(final, str):  # failed for good: the sample's error, as inspect records the provider's raise
        error = repr(RequestFailed(f"{provider} request failed: {final or 'no error text recorded'}"))
        sample.update(messages=messages, scores={}, output={"model": f"journal/{cell.candidate.model}",
                                                            "choices": [], "completion": ""},
                      error={"message": error, "traceback": "", "traceback_ansi": ""})
        return sample
    text, stop = response_text(provider, final.response)
    reply = {"content": text, "source": "generate", "role": "assistant", "model": model_id}
    usage = {"input_tokens": final.input_tokens, "output_tokens": final.output_tokens,
             "total_tokens": final.input_tokens + final.output_tokens + final.cache_read_tokens
             + final.cache_write_tokens,
             "input_tokens_cache_write": final.cache_write_tokens, "input_tokens_cache_read": final.cache_read_tokens}
    sample.update(
        messages=[*messages, reply],
        output={"model": model_id, "choices": [{"message": reply, "stop_reason": stop}], "completion": text,
                "usage": usage,
                "metadata": {"batch": final.batch, "latency_s": final.latency_s, "cost_usd": final.cost_usd,
                             "replayed": True, "journal_key": req.key,
                             "confidence": response_confidence(provider, final.response)}},
        model_usage={f"journal/{cell.candidate.model}": usage})
    try:
        value = fn(text, raw, **options)
    except Exception as ex:  # a scorer that raises: the sample's error, as in inspect
        sample.update(scores={}, error={"message": repr(ex), "traceback": "", "traceback_ansi": ""})
        return sample
    sample["scores"] = {SCORER: {"value": value, "answer": text,
                                 "explanation": f"{t.scorer} vs {json.dumps(raw, default=str)}"}}
    return sample


def _append(cols: dict[str, list[Any]], r: dict[str, Any], turns: list[tuple[str, str]], req: Any,
            sample: dict[str, Any], cluster_field: str | None) -> None:
    out = sample["output"]
    usage, meta = out.get("usage") or {}, out.get("metadata") or {}
    scores = sample.get("scores")
    users = [text for role, text in turns if role == "user"]
    latency = meta.get("latency_s")
    for name, value in (
            ("sample_id", str(r["id"])), ("epoch", req.epoch), ("cluster", sample["metadata"]["cluster"]),
            ("score", float(scores[SCORER]["value"]) if scores else float("nan")),
            ("input_tokens", usage.get("input_tokens", 0)), ("output_tokens", usage.get("output_tokens", 0)),
            ("cache_read_tokens", usage.get("input_tokens_cache_read", 0)),
            ("cache_write_tokens", usage.get("input_tokens_cache_write", 0)),
            ("latency_s", float("nan") if latency is None else latency), ("batch", bool(meta.get("batch", False))),
            ("error", sample["error"]["message"] if sample.get("error") else None),
            ("confidence", meta.get("confidence")), ("input", users[-1] if users else ""),
            ("output", out.get("completion", "")), ("target", sample["target"])):
        cols[name].append(value)


def _writer(cell: Cell, log: Path, journal: str, run_id: str, sample_ids: list[Any]) -> EvalLogWriter:
    """The log's header: what inspect's eval() records for the same cell (build_task's model and metadata)."""
    t, c = cell.task, cell.candidate
    price = cell.suite.prices.get(c.model)
    spec = EvalSpec(
        eval_id=_uid(), run_id=run_id or _uid(), created=_now(), task=cell.name,
        task_id=_uid(), task_version=0, task_display_name=cell.name, dataset=dataset(sample_ids),
        model=f"journal/{c.model}", model_generate_config=GenerateConfig(**c.generate_config()),
        model_args={**c.model_args, "journal": journal, "settings": BodySettings.from_candidate(c).to_args(),
                    "price": price.model_dump() if price else None, "live": False},
        config=EvalConfig(epochs=t.epochs, fail_on_error=False, retry_on_error=1, log_samples=True,
                          log_realtime=False, score_display=False),
        packages={"inspect_ai": _inspect_version(), "harness": __version__},
        metadata={"harness_cell": cell.key, "suite": t.suite, "task": t.name, "candidate": c.label(),
                  "config": c.model_dump(exclude_none=True), "harness_scored": "journal"},
        scorers=[{"name": SCORER, "options": {"kind": t.scorer, "options": t.scorer_options},
                  "metrics": [{"name": "inspect_ai/mean", "options": {}}, {"name": "inspect_ai/stderr", "options": {}}],
                  "metadata": {}}])
    return EvalLogWriter(log, spec, plan(), SCORER)


def log_path(log_dir: Path, cell: Cell) -> Path:
    """A log file name in inspect's pattern: <created>_<task>_<id>.eval."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%S-00-00")
    name = re.sub(r"[^A-Za-z0-9.-]", "-", cell.name)
    return log_dir / f"{stamp}_{name}_{_uid()}.eval"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _inspect_version() -> str:
    from importlib.metadata import version

    return version("inspect_ai")


def _uid() -> str:
    return uuid4().hex[:22]
