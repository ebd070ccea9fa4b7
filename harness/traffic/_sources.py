"""The sources of an import: which format each file is in, and batch files joined on their custom_id.

A JSONL line is recognised by its shape (docs/traffic.md): `{request, response, metadata}` pairs
(OpenAI or Anthropic, told apart by the bodies), OpenAI Batch input (`custom_id`, `body`) and output
(`custom_id`, `response`) lines, Anthropic Message Batches requests (`custom_id`, `params`) and
results (`custom_id`, `result`). `--format` restricts what a file may hold. A batch request and its
result may come from different files: they are joined once every file has been read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _anthropic, _openai
from ._call import SECRET, UNMATCHED, Bad, Call, Issue, Request, Response, combine
from ._fields import Keys, finish, merged_meta
from ._lines import read_jsonl
from ._sql import SqlOptions, is_sql, read_table, safe_url

FORMATS = ("auto", "openai", "openai-batch", "anthropic", "anthropic-batch", "sql")
_ALLOWED = {"openai": {"openai-pair"}, "anthropic": {"anthropic-pair"},
            "openai-batch": {"openai-input", "openai-output"},
            "anthropic-batch": {"anthropic-request", "anthropic-result"}}
_DESCRIBED = {"openai": "an OpenAI request/response pair", "anthropic": "an Anthropic request/response pair",
              "openai-batch": "an OpenAI Batch input or output line",
              "anthropic-batch": "an Anthropic Message Batches request or result line"}
_READERS = {"openai": _openai, "anthropic": _anthropic}


@dataclass
class Read:
    """Everything the sources held: the calls, the issues, and what each source was read as."""

    calls: list[Call] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    kinds: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> {line kind: count}


@dataclass(frozen=True)
class _Half:
    """One side of a batch call, waiting for the other: where it is, and what it says."""

    file: str
    line: int
    provider: str
    value: Any  # a request body, or a read Response / Bad
    meta: dict[str, Any] = field(default_factory=dict)


def read_sources(sources: list[str], fmt: str, keys: Keys, sql: SqlOptions) -> Read:
    read = Read()
    requests: dict[str, _Half] = {}
    results: dict[str, _Half] = {}
    for source in sources:
        counts = read.kinds.setdefault(safe_url(source) if "://" in source else source, {})  # no password
        for item in _read_source(source, fmt, keys, sql, counts, requests, results, read.issues):
            (read.issues if isinstance(item, Issue) else read.calls).append(item)
    _join(requests, results, keys, read)
    return read


def _read_source(source: str, fmt: str, keys: Keys, sql: SqlOptions, counts: dict[str, int],
                 requests: dict[str, _Half], results: dict[str, _Half], issues: list[Issue]) -> Iterator[Call | Issue]:
    if fmt == "sql" or (fmt == "auto" and is_sql(source)):
        for item in read_table(source, keys, sql):
            if isinstance(item, Call) or (item.line is not None and item.kind != SECRET):
                counts["table rows"] = counts.get("table rows", 0) + 1
            yield item
        return
    path = Path(source)
    if not path.exists():
        yield Issue(source, None, "file not found", "check the path")
        return
    if path.is_dir():
        yield Issue(source, None, "is a folder, not a log file", "pass the JSONL files (or a database)")
        return
    for item in read_jsonl(path, source):
        if isinstance(item, Issue):
            yield item
            continue
        n, obj = item
        kind = _kind(obj)
        if kind and kind.endswith("-pair") and fmt in _READERS:
            kind = f"{fmt}-pair"  # the user said which provider's bodies these are: no guessing from their shape
        if kind is None or (fmt in _ALLOWED and kind not in _ALLOWED[fmt]):
            want = _DESCRIBED.get(fmt, "a call: {request, response}, or a batch line with custom_id")
            yield Issue(source, n, f"not {want}", "docs/traffic.md lists the shapes each format reads")
            continue
        counts[kind] = counts.get(kind, 0) + 1
        if kind.endswith("-pair"):
            yield _pair(obj, kind.removesuffix("-pair"), source, n, keys)
        else:
            _stash(obj, kind, source, n, requests, results, issues)


def _kind(obj: dict[str, Any]) -> str | None:
    if "request" in obj or ("response" in obj and "custom_id" not in obj):
        return "anthropic-pair" if _anthropic_shaped(obj) else "openai-pair"
    if "custom_id" in obj:
        if "params" in obj:
            return "anthropic-request"
        if "result" in obj:
            return "anthropic-result"
        if isinstance(obj.get("body"), dict):
            return "openai-input"
        if "response" in obj or "error" in obj:
            return "openai-output"
    return None


def _anthropic_shaped(obj: dict[str, Any]) -> bool:
    """Anthropic's bodies: a response of type "message" (or with `stop_reason`), a request with
    top-level `system` or `stop_sequences`; otherwise OpenAI's."""
    response = unwrap_response(obj.get("response"))
    if isinstance(response, dict):
        if "choices" in response or response.get("object") == "chat.completion":
            return False
        if response.get("type") == "message" or "stop_reason" in response:
            return True
    request = unwrap_request(obj.get("request"))
    return isinstance(request, dict) and ("system" in request or "stop_sequences" in request)


def _pair(obj: dict[str, Any], provider: str, file: str, n: int, keys: Keys) -> Call | Issue:
    reader = _READERS[provider]
    request = reader.read_request(unwrap_request(obj.get("request")))
    if isinstance(request, Bad):
        return request.at(file, n)
    body = unwrap_response(obj.get("response"))
    response = body if isinstance(body, Bad) else reader.read_response(body)
    if isinstance(response, Bad):
        return response.at(file, n)
    flat = {k: v for k, v in obj.items() if k not in ("request", "response", "metadata")}
    return finish(combine(provider, request, response, merged_meta(obj.get("metadata"), flat)), file, n, keys)


def unwrap_request(value: Any) -> Any:
    """A request as logged: the body itself, or a batch-style `{custom_id, body}` / `{custom_id, params}` object."""
    if isinstance(value, dict) and "messages" not in value:
        for key in ("body", "params"):
            if isinstance(value.get(key), dict):
                return value[key]
    return value


def unwrap_response(value: Any) -> Any:
    """A response as logged: the body itself, or a batch-style `{status_code, body}` envelope; a Bad for none."""
    if value is None:
        return Bad("no response: the line has a request but no answer", "log the response with the request")
    if isinstance(value, dict) and "body" in value and "choices" not in value and "content" not in value:
        status = value.get("status_code")
        if isinstance(status, int) and status >= 400:
            body = value.get("body")
            error = body.get("error") if isinstance(body, dict) else None
            return _openai.failed(error if isinstance(error, dict) else {"type": f"HTTP {status}"})
        return value["body"]
    return value


def _stash(obj: dict[str, Any], kind: str, file: str, n: int, requests: dict[str, _Half],
           results: dict[str, _Half], issues: list[Issue]) -> None:
    custom_id = str(obj["custom_id"])
    provider = kind.split("-")[0]
    if kind in ("openai-input", "anthropic-request"):
        body = obj.get("body") if kind == "openai-input" else obj.get("params")
        # A kept copy of a batch file may carry a line-level `metadata` object (Anthropic's params take only a
        # user_id): it is read like a pair line's.
        half, into = _Half(file, n, provider, body, merged_meta(obj.get("metadata"), {"custom_id": custom_id})), requests
    else:
        value: Any
        if kind == "anthropic-result":
            value = _anthropic.read_result(obj.get("result"))
        elif obj.get("error"):
            error = obj["error"] if isinstance(obj["error"], dict) else {}
            value = Bad(f"the batch request failed ({error.get('code') or 'error'}): there is no answer to keep",
                        "the call is skipped")
        else:
            body = unwrap_response(obj.get("response"))
            value = body if isinstance(body, Bad) else _openai.read_response(body)
        half, into = _Half(file, n, provider, value), results
    key = f"{provider}:{custom_id}"
    if key in into:
        first = into[key]
        issues.append(Issue(file, n, f"a custom_id already read on {first.file}:{first.line}: this line is skipped",
                            "pass the files of one batch at a time, or give every request its own custom_id",
                            UNMATCHED))
        return
    into[key] = half


def _join(requests: dict[str, _Half], results: dict[str, _Half], keys: Keys, read: Read) -> None:
    for key, req in requests.items():
        res = results.pop(key, None)
        if res is None:
            read.issues.append(Issue(req.file, req.line, "a batch request without its result in the files given",
                                     "pass the batch's output (and error) file too", UNMATCHED))
            continue
        request = _READERS[req.provider].read_request(req.value)
        if isinstance(request, Bad):
            read.issues.append(request.at(req.file, req.line))
        elif isinstance(res.value, Bad):
            read.issues.append(res.value.at(res.file, res.line))
        else:
            assert isinstance(request, Request) and isinstance(res.value, Response)
            item = finish(combine(req.provider, request, res.value, req.meta), req.file, req.line, keys)
            (read.issues if isinstance(item, Issue) else read.calls).append(item)
    for res in results.values():
        read.issues.append(Issue(res.file, res.line, "a batch result without its request in the files given",
                                 "pass the batch's input file too (the request is what a candidate is sent)",
                                 UNMATCHED))

