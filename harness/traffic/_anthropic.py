"""Anthropic Messages bodies: a request and its response read into a call (docs/traffic.md, "Anthropic").

The request is a POST /v1/messages body (also a Message Batches request's `params`), the response
a `message` object (also a batch result's `result.message`).
"""

from __future__ import annotations

from typing import Any

from ._call import REFUSED, TOOL_USE, Bad, Request, Response, Settings, Turn
from ._fields import as_count, as_number, content_text

PROVIDER = "anthropic"
_KNOWN = {"model", "messages", "system", "max_tokens", "temperature", "top_p", "stop_sequences", "metadata",
          "stream", "cache_control", "service_tier", "container", "inference_geo", "diagnostics"}
_TOOL_BLOCKS = {"tool_use", "tool_result", "server_tool_use", "web_search_tool_result", "mcp_tool_use",
                "mcp_tool_result"}


def read_request(body: Any) -> Request | Bad:
    if not isinstance(body, dict):
        return Bad("the request is not a JSON object (a Messages request body)")
    if body.get("tools") or body.get("tool_choice"):
        return Bad(TOOL_USE, kind=REFUSED)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return Bad("the request has no `messages`", "log the Messages request body as sent")
    cached = body.get("cache_control") is not None
    system = _text(body.get("system"))
    if isinstance(system, Bad):
        return system
    cached = cached or _has_cache_control(body.get("system"))
    turns: list[Turn] = []
    for m in messages:
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            return Bad("a message of the request is not a user or assistant turn")
        text = _text(m.get("content"))
        if isinstance(text, Bad):
            return text
        cached = cached or _has_cache_control(m.get("content"))
        turns.append((m["role"], text))
    if turns[-1][0] != "user":
        return Bad("the request ends with an assistant turn (a prefill): not supported yet", kind=REFUSED)
    meta = dict(body["metadata"]) if isinstance(body.get("metadata"), dict) else {}
    stops = body.get("stop_sequences")
    temperature, top_p = as_number(body.get("temperature")), as_number(body.get("top_p"))
    settings = Settings(max_tokens=as_count(body.get("max_tokens")) or None,
                        temperature=temperature if temperature is not None and 0 <= temperature <= 2 else None,
                        top_p=top_p if top_p is not None and 0 < top_p <= 1 else None,
                        stop=tuple(s for s in stops if isinstance(s, str)) or None if isinstance(stops, list) else None,
                        cache_prompt=cached)
    return Request(model=body.get("model") if isinstance(body.get("model"), str) else None,
                   system=system or None, turns=tuple(turns), settings=settings,
                   not_carried=tuple(sorted(k for k, v in body.items() if k not in _KNOWN and v is not None)),
                   meta=meta)


def _text(content: Any) -> str | Bad:
    """A string, or the text blocks of a list of content blocks (thinking blocks are left out)."""
    return content_text(content, _block_text, "\n\n", "content")


def _block_text(block: Any) -> str | Bad | None:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text":
        return str(block.get("text") or "")
    if kind in _TOOL_BLOCKS:
        return Bad(TOOL_USE, kind=REFUSED)
    if kind in ("thinking", "redacted_thinking"):
        return None
    return Bad(f"a {kind or 'non-text'} block in a message: only text is supported yet", kind=REFUSED)


def _has_cache_control(content: Any) -> bool:
    return isinstance(content, list) and any(isinstance(b, dict) and b.get("cache_control") for b in content)


def read_response(body: Any) -> Response | Bad:
    if not isinstance(body, dict):
        return Bad("the response is not a JSON object (a Messages `message`)")
    if body.get("type") == "error" or isinstance(body.get("error"), dict):
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        return Bad(f"the call failed ({error.get('type') or 'error'}): there is no answer to keep",
                   "the call is skipped")
    content = body.get("content")
    if not isinstance(content, list):
        return Bad("the response has no `content`", "log the message object the API returned")
    if body.get("stop_reason") == "tool_use":
        return Bad(TOOL_USE, kind=REFUSED)
    text = _text(content)
    if isinstance(text, Bad):
        return text
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    parts = [as_count(usage.get(k)) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")]
    # Anthropic's input_tokens leaves out the cached part: the call's whole input is the sum.
    total = None if parts[0] is None else sum(p or 0 for p in parts)
    return Response(answer=text, input_tokens=total, output_tokens=as_count(usage.get("output_tokens")),
                    model=body.get("model") if isinstance(body.get("model"), str) else None)


def read_result(result: Any) -> Response | Bad:
    """A Message Batches result (`result` of a results line): a succeeded one's message, else why not."""
    if not isinstance(result, dict):
        return Bad("the batch result has no `result` object")
    kind = result.get("type")
    if kind == "succeeded":
        return read_response(result.get("message"))
    if kind == "errored":
        inner = result.get("error", {}).get("error", {}) if isinstance(result.get("error"), dict) else {}
        return Bad(f"the batch request errored ({inner.get('type') or 'error'}): there is no answer to keep",
                   "the call is skipped")
    if kind in ("canceled", "expired"):
        return Bad(f"the batch request was {kind} before it ran: there is no answer to keep", "the call is skipped")
    return Bad(f"a batch result of unknown type {kind!r}", "results are succeeded, errored, canceled or expired")
