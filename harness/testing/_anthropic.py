"""Anthropic Messages + Message Batches, as the fake server speaks them.

Wire formats: ../shared/reference/provider-batch-wire-formats.md, section 1.
A batch is processed lazily: each read asks the clock whether
`Script.batch_processing_seconds` have passed since creation, and if so
computes every result at once (answers, usage, faults).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ._bounds import Bounded
from ._calls import Item, Usage
from ._state import Route, State, route
from ._usage import anthropic_blocks
from ._wire import (
    ApiError,
    Request,
    Response,
    anthropic_error_body,
    int_param,
    json_response,
    jsonl,
    rfc3339,
)

_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_RESULT_TYPES = ("succeeded", "errored", "canceled", "expired")


# --- Messages ----------------------------------------------------------------


def params_problem(body: dict[str, Any]) -> str | None:
    """Why a Messages body is invalid, or None. Unknown keys are ignored."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return "max_tokens: must be an integer >= 1"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if not all(isinstance(m, dict) and "role" in m and "content" in m for m in messages):
        return "messages: each message needs a role and content"
    return None


def create_message(state: State, request: Request, match: re.Match[str]) -> Response:
    body = request.json_object()
    if body.get("stream"):
        raise ApiError(400, "stream: the fake server does not stream; send stream=false")
    problem = params_problem(body)
    if problem:
        raise ApiError(400, problem)
    item = Item("anthropic", body)
    delay = state.script.latency_for(item)
    if delay > 0:
        time.sleep(delay)
    state.counters.record_generation("anthropic", body)
    with state.lock:
        answer, usage = state.generate(item)
        return json_response(200, _message(state, body, answer, usage, "standard"))


def count_tokens(state: State, request: Request, match: re.Match[str]) -> Response:
    body = request.json_object()
    return json_response(200, {"input_tokens": sum(b.tokens for b in anthropic_blocks(body))})


_STOP_REASONS = {"end": "end_turn", "limit": "max_tokens", "stop_sequence": "stop_sequence"}


def _message(state: State, body: dict[str, Any], answer: Bounded, usage: Usage, tier: str) -> dict[str, Any]:
    return {
        "id": state.ids.next("msg_"),
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": [{"type": "text", "text": answer.text}],
        "stop_reason": _STOP_REASONS[answer.reason],
        "stop_sequence": answer.stop_sequence,
        "usage": anthropic_usage(usage, tier),
    }


def anthropic_usage(usage: Usage, tier: str) -> dict[str, Any]:
    """Anthropic's `input_tokens` EXCLUDES cache reads and writes."""
    read, written = usage.cache_read_tokens, usage.cache_write_tokens
    return {
        "input_tokens": max(0, usage.prompt_tokens - read - written),
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": written if usage.cache_write_ttl == "5m" else 0,
            "ephemeral_1h_input_tokens": written if usage.cache_write_ttl == "1h" else 0,
        },
        "service_tier": tier,
    }


# --- Message Batches ---------------------------------------------------------


@dataclass
class _Batch:
    id: str
    created_at: float
    items: list[Item]
    invalid: dict[str, str]  # custom_id -> why its params are invalid
    failed: bool  # Script.fail_batch_when selected it
    ended_at: float | None = None
    cancel_initiated_at: float | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def create_batch(state: State, request: Request, match: re.Match[str]) -> Response:
    body = request.json_object()
    requests = body.get("requests")
    if not isinstance(requests, list) or not 1 <= len(requests) <= 100_000:
        raise ApiError(400, "requests: must be a list of 1 to 100000 items")
    items, invalid = _batch_items(requests)
    for item in items:
        state.counters.record_generation("anthropic", item.body, item.custom_id)
    failed = bool(state.script.fail_batch_when and state.script.fail_batch_when(items))
    with state.lock:
        batch = _Batch(state.ids.next("msgbatch_"), state.now(), items, invalid, failed)
        state.anthropic_batches[batch.id] = batch
        return json_response(200, _batch_json(state, batch))


def _batch_items(requests: list[Any]) -> tuple[list[Item], dict[str, str]]:
    """Items and their (asynchronous) params problems; bad custom_ids fail the create."""
    items: list[Item] = []
    invalid: dict[str, str] = {}
    seen: set[str] = set()
    for index, entry in enumerate(requests):
        custom_id = entry.get("custom_id") if isinstance(entry, dict) else None
        if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
            raise ApiError(400, f"requests.{index}.custom_id: must match ^[a-zA-Z0-9_-]{{1,64}}$")
        if custom_id in seen:
            raise ApiError(400, f"requests.{index}.custom_id: duplicate custom_id {custom_id!r}")
        seen.add(custom_id)
        params = entry.get("params")
        if not isinstance(params, dict):
            raise ApiError(400, f"requests.{index}.params: Field required")
        problem = "stream: not supported in batches" if params.get("stream") else params_problem(params)
        if problem:
            invalid[custom_id] = problem
        items.append(Item("anthropic", params, custom_id))
    return items, invalid


def _find(state: State, match: re.Match[str]) -> _Batch:
    batch = state.anthropic_batches.get(match["id"])
    if batch is None:
        raise ApiError(404, f"message batch {match['id']!r} not found")
    _advance(state, batch)
    return batch


def _advance(state: State, batch: _Batch) -> None:
    """End the batch if it is due: canceled at the next read, else after the processing time."""
    if batch.ended_at is not None:
        return
    now = state.now()
    if batch.cancel_initiated_at is not None:
        _finish(state, batch, now, canceled=True)
    elif now >= batch.created_at + state.script.batch_processing_seconds:
        _finish(state, batch, now, canceled=False)


def _finish(state: State, batch: _Batch, now: float, canceled: bool) -> None:
    for item in batch.items:
        result = {"type": "canceled"} if canceled else _result(state, batch, item)
        if result is None:  # "missing": counted as succeeded, no line written
            batch.counts["succeeded"] += 1
            continue
        batch.counts[result["type"]] += 1
        batch.results.append({"custom_id": item.custom_id, "result": result})
    batch.ended_at = now


def _result(state: State, batch: _Batch, item: Item) -> dict[str, Any] | None:
    assert item.custom_id is not None
    if batch.failed:
        return _errored(400, "batch failed as a whole (scripted by fail_batch_when)")
    if item.custom_id in batch.invalid:
        return _errored(400, batch.invalid[item.custom_id])
    fault = state.script.item_fault(item)
    if fault is None:
        answer, usage = state.generate(item)
        return {"type": "succeeded", "message": _message(state, item.body, answer, usage, "batch")}
    if fault.kind == "error":
        return _errored(fault.status, fault.message or f"scripted error {fault.status}")
    if fault.kind == "missing":
        return None
    return {"type": fault.kind}  # "expired" or "canceled"


def _errored(status: int, message: str) -> dict[str, Any]:
    # Nested twice: result.error is an ErrorResponse, result.error.error the ErrorObject.
    return {"type": "errored", "error": anthropic_error_body(status, message)}


def _batch_json(state: State, batch: _Batch) -> dict[str, Any]:
    ended = batch.ended_at is not None
    if ended:
        counts = {"processing": 0} | {k: batch.counts[k] for k in _RESULT_TYPES}
        status = "ended"
    else:
        counts = {"processing": len(batch.items)} | {k: 0 for k in _RESULT_TYPES}
        status = "canceling" if batch.cancel_initiated_at is not None else "in_progress"
    return {
        "id": batch.id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": counts,
        "created_at": rfc3339(batch.created_at),
        "expires_at": rfc3339(batch.created_at + 86_400),
        "ended_at": rfc3339(batch.ended_at),
        "cancel_initiated_at": rfc3339(batch.cancel_initiated_at),
        "archived_at": None,
        "results_url": f"{state.base_url}/v1/messages/batches/{batch.id}/results" if ended else None,
    }


def retrieve_batch(state: State, request: Request, match: re.Match[str]) -> Response:
    with state.lock:
        return json_response(200, _batch_json(state, _find(state, match)))


def cancel_batch(state: State, request: Request, match: re.Match[str]) -> Response:
    with state.lock:
        batch = _find(state, match)
        if batch.ended_at is not None:
            raise ApiError(400, f"message batch {batch.id} has already ended; it cannot be canceled")
        if batch.cancel_initiated_at is None:
            batch.cancel_initiated_at = state.now()
        return json_response(200, _batch_json(state, batch))


def delete_batch(state: State, request: Request, match: re.Match[str]) -> Response:
    with state.lock:
        batch = _find(state, match)
        if batch.ended_at is None:
            raise ApiError(400, f"message batch {batch.id} is still processing; cancel it first")
        del state.anthropic_batches[batch.id]
        return json_response(200, {"id": batch.id, "type": "message_batch_deleted"})


def batch_results(state: State, request: Request, match: re.Match[str]) -> Response:
    with state.lock:
        batch = _find(state, match)
        if batch.ended_at is None:
            raise ApiError(404, f"message batch {batch.id} has not ended; no results yet")
        return Response(200, jsonl(batch.results), {"content-type": "application/binary"})


def list_batches(state: State, request: Request, match: re.Match[str]) -> Response:
    limit = int_param(request.query, "limit", 20, 1, 1000)
    after, before = request.query.get("after_id"), request.query.get("before_id")
    with state.lock:
        newest_first = list(reversed(state.anthropic_batches.values()))
        ids = [b.id for b in newest_first]
        for cursor in (after, before):
            if cursor is not None and cursor not in ids:
                raise ApiError(400, f"unknown cursor {cursor!r}")
        if before is not None:
            end = ids.index(before)
            start = max(0, end - limit)
            has_more = start > 0
        else:
            start = ids.index(after) + 1 if after is not None else 0
            end = start + limit
            has_more = end < len(ids)
        page = newest_first[start:end]
        for batch in page:
            _advance(state, batch)
        return json_response(200, {
            "data": [_batch_json(state, b) for b in page],
            "has_more": has_more,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
        })


ROUTES: list[Route] = [
    route("POST", "/v1/messages", "anthropic.messages", create_message),
    route("POST", "/v1/messages/count_tokens", "anthropic.messages.count_tokens", count_tokens),
    route("POST", "/v1/messages/batches", "anthropic.batches.create", create_batch),
    route("GET", "/v1/messages/batches", "anthropic.batches.list", list_batches),
    route("GET", "/v1/messages/batches/{id}", "anthropic.batches.retrieve", retrieve_batch),
    route("POST", "/v1/messages/batches/{id}/cancel", "anthropic.batches.cancel", cancel_batch),
    route("DELETE", "/v1/messages/batches/{id}", "anthropic.batches.delete", delete_batch),
    route("GET", "/v1/messages/batches/{id}/results", "anthropic.batches.results", batch_results),
]
