"""Upper-bound costs before anything is sent (`harness estimate`, `--max-cost`).

Input tokens are counted offline: tiktoken's encodings download from the network and Anthropic
publishes no local tokenizer, so harness bounds tokens by characters / 3 (+8 per message for role
markers). English prose runs at about 4 characters per token, so this over-counts it by ~30%;
dense code, digits or non-Latin scripts can exceed 1 token per 3 characters, and there the
"upper bound" may fall short (docs/batch.md). Output is bounded by max_tokens. For a cached prompt
the bound charges every prefix token at the cache *write* price (batch cache hits are best effort);
the "with cache hits" figure assumes the first request of a cell writes and the others read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..candidates import CLASSIFIER_PROVIDER, ENDPOINT_MAX_TOKENS, ENDPOINT_PROVIDER
from ..pricing import ModelPrice, PriceNotFound, lookup_price
from ..suite import chat_turns
from ..text import table
from ._judge import api_judge, judge_samples
from ._requests import DEFAULT_MAX_TOKENS, ApiRequest, CellLike, cell_requests, is_batchable, uses_api

CHARS_PER_TOKEN = 3
MESSAGE_OVERHEAD = 8


def approx_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or [] if isinstance(b, dict))


def prompt_tokens(body: dict[str, Any]) -> tuple[int, int]:
    """(all input tokens, tokens of the stable prefix: everything before the last message)."""
    system = body.get("system")
    parts = [_text(system)] if system else []
    parts += [_text(m.get("content")) for m in body.get("messages") or []]
    sizes = [approx_tokens(p) + MESSAGE_OVERHEAD for p in parts]
    return sum(sizes), sum(sizes[:-1])


def _caches(body: dict[str, Any]) -> bool:
    return "cache_control" in str(body.get("system")) or "cache_control" in str(body.get("messages"))


def _max_output(body: dict[str, Any]) -> int:
    return int(body.get("max_tokens") or body.get("max_completion_tokens") or 0)


def request_bound(r: ApiRequest, price: ModelPrice, batch: bool) -> float:
    """USD upper bound of one attempt of `r`."""
    total, _ = prompt_tokens(r.body)
    in_rate = max(price.input, price.cache_write_rate) if _caches(r.body) else price.input
    usd = (total * in_rate + _max_output(r.body) * price.output) / 1e6
    return usd * (1 - (price.batch_discount or 0)) if batch else usd


def _cached_usd(reqs: list[ApiRequest], price: ModelPrice, batch: bool) -> float:
    usd = 0.0
    for i, r in enumerate(reqs):
        total, prefix = prompt_tokens(r.body)
        prefix_rate = price.cache_write_rate if i == 0 else price.cache_read_rate
        usd += ((total - prefix) * price.input + prefix * prefix_rate + _max_output(r.body) * price.output) / 1e6
    return usd * (1 - (price.batch_discount or 0)) if batch else usd


@dataclass
class CellEstimate:
    task: str
    candidate: str
    model: str
    mode: str  # batch | sync | local | endpoint | free
    requests: int
    input_tokens: int | None
    output_tokens: int | None
    upper_usd: float | None  # None: not bounded (see note)
    cached_usd: float | None = None
    note: str = ""


def price_for(cell: CellLike) -> ModelPrice | None:
    try:
        return lookup_price(cell.candidate.model, cell.suite.prices)
    except PriceNotFound:
        return None


def estimate_cell(cell: CellLike, batch: bool) -> tuple[CellEstimate, list[ApiRequest], dict[str, float]]:
    """The cell's estimate, its requests (API dataset cells only) and their per-request bounds."""
    c, t = cell.candidate, cell.task
    n = len(cell.sample_ids) * t.epochs
    if c.provider == ENDPOINT_PROVIDER:
        return _endpoint_estimate(cell, n), [], {}
    if not uses_api(c):
        mode = "free" if c.provider == "mockllm" else "local"
        note = "" if mode == "free" else "priced by compute time after the run"
        if c.provider == CLASSIFIER_PROVIDER:
            note = "a classifier, trained on the task's `train:` records: priced by compute time after the run"
        return CellEstimate(t.name, c.label(), c.model, mode, n, None, None, 0.0 if mode == "free" else None,
                            note=note), [], {}
    mode = "batch" if batch else "sync"
    if not is_batchable(cell):
        return CellEstimate(t.name, c.label(), c.model, "sync", n, None, None, None,
                            note="inspect task: its solver builds the requests, harness cannot bound them"), [], {}
    reqs, price = cell_requests(cell), price_for(cell)
    tokens = sum(prompt_tokens(r.body)[0] for r in reqs)
    out = sum(_max_output(r.body) for r in reqs)
    if price is None:
        return CellEstimate(t.name, c.label(), c.model, mode, len(reqs), tokens, out, None,
                            note="no price: add a `prices:` entry"), reqs, {}
    bounds = {r.key: request_bound(r, price, batch) for r in reqs}
    cached = _cached_usd(reqs, price, batch) if c.cache_prompt else None
    return CellEstimate(t.name, c.label(), c.model, mode, len(reqs), tokens, out, sum(bounds.values()),
                        cached), reqs, bounds


def _endpoint_estimate(cell: CellLike, n: int) -> CellEstimate:
    """A self-hosted endpoint: tokens × its per-token price, or no bound when it is priced by busy time."""
    c, t = cell.candidate, cell.task
    row = CellEstimate(t.name, c.label(), c.model, "endpoint", n, None, None, None)
    if t.inspect_task is not None:
        row.note = "inspect task: its solver builds the requests, harness cannot bound them"
        return row
    wanted, variant = set(cell.sample_ids), t.variants[c.prompt]
    turns = [chat_turns(variant, r, t.target_field) for r in t.records if r["id"] in wanted]
    row.input_tokens = t.epochs * sum(prompt_tokens({"messages": [{"content": text} for _, text in ts]})[0]
                                      for ts in turns)
    row.output_tokens = n * (c.max_tokens or ENDPOINT_MAX_TOKENS)
    price = price_for(cell)
    if price is None:
        row.note = "no price: add `hourly_usd` to its endpoint or a `prices:` entry"
    elif price.hourly_usd is not None:
        row.note = f"priced by busy time after the run (${price.hourly_usd:g}/h)"
    else:
        row.upper_usd = (row.input_tokens * price.input + row.output_tokens * price.output) / 1e6
    return row


def estimate(cells: Iterable[CellLike], batch: bool = True) -> list[CellEstimate]:
    rows = []
    for cell in cells:
        rows.append(estimate_cell(cell, batch)[0])
        judged = judge_estimate(cell, batch)
        if judged is not None:
            rows.append(judged)
    return rows


def judge_bounds(cell: CellLike, batch: bool) -> tuple[list[dict[str, Any]], float | None]:
    """An API judge's request bodies for the cell (each sample's answer as long as the candidate's max_tokens
    allows) and the upper bound of one sample × epoch's calls (None: no price for the judge)."""
    answer = "x" * (CHARS_PER_TOKEN * (cell.candidate.max_tokens or DEFAULT_MAX_TOKENS))
    samples = judge_samples(cell, lambda turns, epoch: answer)
    bodies = [r.body for _, _, reqs in samples for r in reqs or []]
    model = str(cell.task.scorer_options["model"])
    try:
        price = lookup_price(model, cell.suite.prices)
    except PriceNotFound:
        return bodies, None
    per = [sum(request_bound(r, price, batch and is_batchable(cell)) for r in reqs or []) for _, _, reqs in samples]
    return bodies, max(per, default=0.0)


def judge_estimate(cell: CellLike, batch: bool) -> CellEstimate | None:
    """The upper-bound cost of an API judge's calls on the cell's answers (None: no API judge calls): the
    request, the reference answer and an answer of the candidate's max_tokens, shown once per order."""
    model = api_judge(cell)
    if model is None:
        return None
    bodies, per_sample = judge_bounds(cell, batch)
    mode = "batch" if batch and is_batchable(cell) else "sync"
    row = CellEstimate(cell.task.name, f"{cell.candidate.label()} (judged by)", model, mode, len(bodies),
                       sum(prompt_tokens(b)[0] for b in bodies), sum(_max_output(b) for b in bodies), None)
    if per_sample is None:
        row.note = "no price for the judge: add a `prices:` entry"
        return row
    provider, model_id = model.split("/", 1)
    try:
        price = lookup_price(model, cell.suite.prices)
    except PriceNotFound:  # pragma: no cover - judge_bounds found it
        return row
    row.upper_usd = sum(request_bound(ApiRequest("", provider, "", model_id, b, 1), price, mode == "batch")
                        for b in bodies)
    return row


def format_estimate(rows: list[CellEstimate], still_to_send: float | None = None) -> str:
    head = ["task", "candidate", "mode", "requests", "input tok", "max out tok", "upper bound", "with cache hits"]
    cells = [[r.task, r.candidate, r.mode, f"{r.requests:,}",
              "-" if r.input_tokens is None else f"{r.input_tokens:,}",
              "-" if r.output_tokens is None else f"{r.output_tokens:,}",
              "-" if r.upper_usd is None else f"${r.upper_usd:,.4f}",
              "-" if r.cached_usd is None else f"${r.cached_usd:,.4f}"] for r in rows]
    lines = [table(head, cells, right=range(3, len(head)))]
    notes = sorted({f"{r.candidate} ({r.model}): {r.note}" for r in rows if r.note})
    bounded = [r.upper_usd for r in rows if r.upper_usd is not None]
    lines.append(f"total upper bound: ${sum(bounded):,.4f}" + (" (cells marked - are not included)"
                                                               if len(bounded) < len(rows) else ""))
    if still_to_send is not None:
        lines.append(f"not yet answered or in flight (the journal has the rest): ${still_to_send:,.4f}")
    lines += [f"  note: {n}" for n in notes]
    lines.append("input tokens ≈ characters / 3 (offline, no tokenizer download); output = max_tokens; batch "
                 "price = half; cached prefixes bounded at the cache-write price")
    return "\n".join(lines)
