"""OpenAI Chat Completions + Batch, as the fake server speaks them.

Wire formats: ../shared/reference/provider-batch-wire-formats.md, section 2.
A batch is `validating` in the create response; the first read validates it
(`failed`, or `in_progress`), and once `Script.batch_processing_seconds` have
passed since creation a read processes every line at once and writes the
output file (successes) and the error file (per-request failures).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ._openai_files import cursor_page, find_file, store_file
from ._bounds import Bounded
from ._calls import Item, Usage
from ._state import Route, State, route
from ._wire import ApiError, Request, Response, int_param, json_response, jsonl, openai_error_body, request_id, unix

_ENDPOINT = "/v1/chat/completions"
_TERMINAL = {"failed", "completed", "expired", "cancelled"}
_EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."
_CANCELLED_MESSAGE = "This request was cancelled before it was executed."
_NON_HTTP = {"expired": ("batch_expired", _EXPIRED_MESSAGE), "canceled": ("batch_cancelled", _CANCELLED_MESSAGE)}


# --- Chat Completions --------------------------------------------------------


def chat_problem(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    return None


def create_chat_completion(state: State, request: Request, match: re.Match[str]) -> Response:
    body = request.json_object()
    if body.get("stream"):
        raise ApiError(400, "the fake server does not stream; send stream=false", param="stream")
    problem = chat_problem(body)
    if problem:
        raise ApiError(400, problem, param="messages" if "messages" in problem else "model")
    item = Item("openai", body)
    delay = state.script.latency_for(item)
    if delay > 0:
        time.sleep(delay)
    state.counters.record_generation("openai", body)
    with state.lock:
        answer, usage = state.generate(item)
        return json_response(200, _completion(state, body, answer, usage))


# A stop sequence is a "stop" to OpenAI, and which one matched is not reported.
_FINISH_REASONS = {"end": "stop", "limit": "length", "stop_sequence": "stop"}


def _completion(state: State, body: dict[str, Any], answer: Bounded, usage: Usage) -> dict[str, Any]:
    choices = int(body.get("n") or 1)
    return {
        "id": state.ids.next("chatcmpl-"),
        "object": "chat.completion",
        "created": unix(state.now()),
        "model": body["model"],
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": answer.text, "refusal": None},
                "logprobs": _logprobs(state, body, answer.text),
                "finish_reason": _FINISH_REASONS[answer.reason],
            }
            for i in range(choices)
        ],
        "usage": openai_usage(usage),
        "system_fingerprint": "fp_fake",
    }


def _logprobs(state: State, body: dict[str, Any], text: str) -> dict[str, Any] | None:
    """Chat Completions' `choices[].logprobs` when the request asks for it: one entry per (word) token."""
    if not body.get("logprobs"):
        return None
    value = state.script.logprob_for(body, text)
    return {"content": [{"token": w, "logprob": value, "bytes": list(w.encode()), "top_logprobs": []}
                        for w in text.split()], "refusal": None}


def openai_usage(usage: Usage) -> dict[str, Any]:
    """OpenAI's `prompt_tokens` INCLUDES `cached_tokens`."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.prompt_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


# --- Batch -------------------------------------------------------------------


@dataclass
class _Batch:
    id: str
    input_file_id: str
    metadata: Any
    created_at: float
    items: list[Item]
    line_errors: list[dict[str, Any]]  # validation errors of the input file
    scripted_failure: bool
    status: str = "validating"
    at: dict[str, float] = field(default_factory=dict)  # "in_progress" -> in_progress_at ...
    counts: Counter[str] = field(default_factory=Counter)
    usage: Counter[str] = field(default_factory=Counter)
    output_file_id: str | None = None
    error_file_id: str | None = None


def create_batch(state: State, request: Request, match: re.Match[str]) -> Response:
    body = request.json_object()
    if body.get("endpoint") != _ENDPOINT:
        raise ApiError(400, f"the fake server supports only endpoint {_ENDPOINT!r}", param="endpoint")
    if body.get("completion_window") != "24h":
        raise ApiError(400, "completion_window must be '24h'", param="completion_window")
    file_id = body.get("input_file_id")
    with state.lock:
        if not isinstance(file_id, str) or file_id not in state.openai_files:
            raise ApiError(400, f"Invalid 'input_file_id': {file_id!r}", param="input_file_id")
        items, line_errors = _parse_input(find_file(state, file_id).data)
    for item in items:
        state.counters.record_generation("openai", item.body, item.custom_id)
    failed = bool(state.script.fail_batch_when and state.script.fail_batch_when(items))
    with state.lock:
        batch_id, metadata = state.ids.next("batch_"), body.get("metadata")
        batch = _Batch(batch_id, file_id, metadata, state.now(), items, line_errors, failed)
        state.openai_batches[batch.id] = batch
        return json_response(200, _batch_json(batch))


def _parse_input(data: bytes) -> tuple[list[Item], list[dict[str, Any]]]:
    """Items of a batch input file, and one error per invalid line (1-based)."""
    items: list[Item] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    models: set[str] = set()
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        problem, line = _line_problem(raw, seen)
        if problem:
            errors.append({"code": problem[0], "message": problem[1], "param": None, "line": number})
            continue
        seen.add(line["custom_id"])
        models.add(line["body"]["model"])
        items.append(Item("openai", line["body"], line["custom_id"]))
    if not items and not errors:
        errors.append({"code": "empty_file", "message": "The input file is empty.", "param": None, "line": None})
    if len(models) > 1:
        message = f"All requests in a batch must use the same model; found {sorted(models)}."
        errors.append({"code": "mismatched_model", "message": message, "param": None, "line": None})
    return items, errors


def _line_problem(raw: bytes, seen: set[str]) -> tuple[tuple[str, str] | None, dict[str, Any]]:
    try:
        line = json.loads(raw)
    except ValueError:
        return ("invalid_json_line", "This line is not parseable as valid JSON."), {}
    if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
        return ("missing_required_parameter", "custom_id is required."), {}
    if line["custom_id"] in seen:
        return ("duplicate_custom_id", f"custom_id {line['custom_id']!r} is not unique."), {}
    if line.get("method") != "POST" or line.get("url") != _ENDPOINT:
        return ("invalid_url", f"Each line needs method 'POST' and url {_ENDPOINT!r}."), {}
    body = line.get("body")
    problem = chat_problem(body) if isinstance(body, dict) else "body must be an object"
    if problem:
        return ("invalid_request", problem), {}
    return None, line


def _find(state: State, match: re.Match[str]) -> _Batch:
    batch = state.openai_batches.get(match["id"])
    if batch is None:
        raise ApiError(404, f"No batch found with id '{match['id']}'.", param="batch_id")
    _advance(state, batch)
    return batch


def _advance(state: State, batch: _Batch) -> None:
    now = state.now()
    if batch.status == "cancelling":
        _finish(state, batch, now, cancelled=True)
    if batch.status == "validating":
        if batch.line_errors or batch.scripted_failure:
            batch.status, batch.at["failed"] = "failed", now
            return
        batch.status, batch.at["in_progress"] = "in_progress", now
    if batch.status == "in_progress" and now >= batch.created_at + state.script.batch_processing_seconds:
        _finish(state, batch, now, cancelled=False)


def _finish(state: State, batch: _Batch, now: float, cancelled: bool) -> None:
    output: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    expired = False
    for item in batch.items:
        fault = None if cancelled else state.script.item_fault(item)
        kind = "canceled" if cancelled else (fault.kind if fault else "ok")
        if kind == "ok":
            answer, usage = state.generate(item)
            output.append(_line(state, item, 200, _completion(state, item.body, answer, usage)))
            _add_usage(batch.usage, usage)
        elif kind == "missing":  # counted as completed; no line anywhere
            batch.counts["completed"] += 1
        elif kind == "error":
            assert fault is not None
            message = fault.message or f"scripted error {fault.status}"
            errors.append(_line(state, item, fault.status, openai_error_body(fault.status, message)))
        else:  # expired / canceled: a non-HTTP failure, `response` is null
            expired = expired or kind == "expired"
            code, message = _NON_HTTP[kind]
            errors.append(_line(state, item, None, None, {"code": code, "message": message}))
    batch.counts["completed"] += len(output)
    batch.counts["failed"] += len(errors)
    batch.output_file_id = _result_file(state, batch, "output", output)
    batch.error_file_id = _result_file(state, batch, "error", errors)
    batch.status = "cancelled" if cancelled else ("expired" if expired else "completed")
    batch.at["finalizing"] = batch.at[batch.status] = now


def _line(
    state: State, item: Item, status: int | None, body: Any, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = None if status is None else {"status_code": status, "request_id": request_id(), "body": body}
    return {"id": state.ids.next("batch_req_"), "custom_id": item.custom_id, "response": response, "error": error}


def _result_file(state: State, batch: _Batch, kind: str, lines: list[dict[str, Any]]) -> str | None:
    if not lines:
        return None
    return store_file(state, f"{batch.id}_{kind}.jsonl", "batch_output", jsonl(lines)).id


def _add_usage(total: Counter[str], usage: Usage) -> None:
    total["input_tokens"] += usage.prompt_tokens
    total["cached_tokens"] += usage.cache_read_tokens
    total["output_tokens"] += usage.output_tokens


def _batch_json(batch: _Batch) -> dict[str, Any]:
    if batch.status in ("validating", "failed"):
        counts = {"total": 0, "completed": 0, "failed": 0}
    else:
        counts = {"total": len(batch.items), "completed": batch.counts["completed"], "failed": batch.counts["failed"]}
    errors = None
    if batch.status == "failed":
        errors = {"object": "list", "data": _failure_errors(batch)}
    usage = batch.usage
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": _ENDPOINT,
        "model": batch.items[0].model if batch.items else None,
        "errors": errors,
        "input_file_id": batch.input_file_id,
        "completion_window": "24h",
        "status": batch.status,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
        "created_at": unix(batch.created_at),
        "expires_at": unix(batch.created_at + 86_400),
        **{f"{name}_at": unix(batch.at.get(name)) for name in _TIMESTAMPS},
        "request_counts": counts,
        "metadata": batch.metadata,
        "usage": {
            "input_tokens": usage["input_tokens"],
            "input_tokens_details": {"cached_tokens": usage["cached_tokens"]},
            "output_tokens": usage["output_tokens"],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": usage["input_tokens"] + usage["output_tokens"],
        },
    }


_TIMESTAMPS = ("in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled")


def _failure_errors(batch: _Batch) -> list[dict[str, Any]]:
    if batch.line_errors:
        return batch.line_errors
    # Scripted failure: one error per line, so a client can map them to requests.
    message = "batch failed as a whole (scripted by fail_batch_when)"
    lines = range(1, len(batch.items) + 1)
    return [{"code": "batch_failed", "message": message, "param": None, "line": n} for n in lines]


def retrieve_batch(state: State, request: Request, match: re.Match[str]) -> Response:
    with state.lock:
        return json_response(200, _batch_json(_find(state, match)))


def cancel_batch(state: State, request: Request, match: re.Match[str]) -> Response:
    with state.lock:
        batch = _find(state, match)
        if batch.status in _TERMINAL:
            raise ApiError(400, f"Cannot cancel a batch with status '{batch.status}'.")
        if batch.status != "cancelling":
            batch.status, batch.at["cancelling"] = "cancelling", state.now()
        return json_response(200, _batch_json(batch))


def list_batches(state: State, request: Request, match: re.Match[str]) -> Response:
    limit = int_param(request.query, "limit", 20, 1, 100)
    with state.lock:
        batches = list(reversed(state.openai_batches.values()))
        for batch in batches:
            _advance(state, batch)
        page = cursor_page([_batch_json(b) for b in batches], request.query.get("after"), limit)
        return json_response(200, page)


ROUTES: list[Route] = [
    route("POST", "/v1/chat/completions", "openai.chat.completions", create_chat_completion),
    route("POST", "/v1/batches", "openai.batches.create", create_batch),
    route("GET", "/v1/batches", "openai.batches.list", list_batches),
    route("GET", "/v1/batches/{id}", "openai.batches.retrieve", retrieve_batch),
    route("POST", "/v1/batches/{id}/cancel", "openai.batches.cancel", cancel_batch),
]
