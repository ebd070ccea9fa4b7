"""OpenAI Chat Completions bodies: a request and its response read into a call (docs/traffic.md, "OpenAI").

The shapes are the API's own (a request body as sent to POST /v1/chat/completions, the
`chat.completion` object it returns), so a log written by wrapping the SDK call, a proxy's log and
the Batch API's files all read through these two functions.
"""

from __future__ import annotations

from typing import Any

from ._call import REFUSED, TOOL_USE, Bad, Request, Response, Settings, Turn
from ._fields import as_count, as_number, content_text

PROVIDER = "openai"
# Request keys that are the call itself, or are carried into the candidate, or do not change the answer.
_KNOWN = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "seed",
          "metadata", "user", "stream", "stream_options", "store", "prompt_cache_key", "service_tier",
          "logprobs", "top_logprobs", "safety_identifier", "prompt_cache_retention"}
_TOOL_KEYS = ("tools", "functions", "tool_choice", "function_call")


def read_request(body: Any) -> Request | Bad:
    if not isinstance(body, dict):
        return Bad("the request is not a JSON object (a Chat Completions request body)")
    if any(body.get(k) not in (None, [], "none") for k in _TOOL_KEYS):
        return Bad(TOOL_USE, kind=REFUSED)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return Bad("the request has no `messages`", "log the Chat Completions request body as sent")
    system: list[str] = []
    turns: list[Turn] = []
    for m in messages:
        if not isinstance(m, dict):
            return Bad("a message of the request is not an object")
        role = m.get("role")
        if role in ("tool", "function") or m.get("tool_calls") or m.get("function_call"):
            return Bad(TOOL_USE, kind=REFUSED)
        text = _text(m.get("content"))
        if isinstance(text, Bad):
            return text
        if role in ("system", "developer"):
            system.append(text)
        elif role in ("user", "assistant"):
            turns.append((role, text))
        else:
            return Bad(f"a message with role {role!r}", "the roles of Chat Completions are system, developer, "
                       "user and assistant")
    if not turns or turns[-1][0] != "user":
        return Bad("the request does not end with a user message (an assistant prefill?): not supported yet",
                   kind=REFUSED)
    meta = dict(body["metadata"]) if isinstance(body.get("metadata"), dict) else {}
    if isinstance(body.get("user"), str):
        meta.setdefault("user", body["user"])
    not_carried = {k for k, v in body.items() if k not in _KNOWN and v is not None}
    if body.get("n") == 1:
        not_carried.discard("n")  # n > 1 stays listed: the first choice is the answer kept
    return Request(model=body.get("model") if isinstance(body.get("model"), str) else None,
                   system="\n\n".join(system) if system else None, turns=tuple(turns), settings=_settings(body),
                   not_carried=tuple(sorted(not_carried)), meta=meta)


def _settings(body: dict[str, Any]) -> Settings:
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else [s for s in stop if isinstance(s, str)] if isinstance(stop, list) else []
    limit = as_count(body.get("max_completion_tokens")) or as_count(body.get("max_tokens"))
    temperature, top_p = as_number(body.get("temperature")), as_number(body.get("top_p"))
    return Settings(max_tokens=limit or None,
                    temperature=temperature if temperature is not None and 0 <= temperature <= 2 else None,
                    top_p=top_p if top_p is not None and 0 < top_p <= 1 else None,
                    stop=tuple(stops) or None, seed=as_count(body.get("seed")),
                    cache_prompt=bool(body.get("prompt_cache_key")))


def _text(content: Any) -> str | Bad:
    """A message's text: a string, or the text parts of a list of content parts."""
    return content_text(content, _part_text, "\n", "message content")


def _part_text(part: Any) -> str | Bad:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and part.get("type") in ("text", "input_text"):
        return str(part.get("text") or "")
    kind = part.get("type") if isinstance(part, dict) else type(part).__name__
    return Bad(f"a {kind} part in a message: only text is supported yet", kind=REFUSED)


def read_response(body: Any) -> Response | Bad:
    if not isinstance(body, dict):
        return Bad("the response is not a JSON object (a chat.completion)")
    if isinstance(body.get("error"), dict):
        return failed(body["error"])
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return Bad("the response has no `choices`", "log the chat.completion object the API returned")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    if message.get("tool_calls") or message.get("function_call") or choice.get("finish_reason") in (
            "tool_calls", "function_call"):
        return Bad(TOOL_USE, kind=REFUSED)
    text = _text(message.get("content"))
    if isinstance(text, Bad):
        return text
    if not text and isinstance(message.get("refusal"), str):
        text = message["refusal"]  # the model declined: that is what production answered
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    return Response(answer=text, input_tokens=as_count(usage.get("prompt_tokens")),  # includes cached tokens
                    output_tokens=as_count(usage.get("completion_tokens")), created=body.get("created"),
                    model=body.get("model") if isinstance(body.get("model"), str) else None)


def failed(error: dict[str, Any]) -> Bad:
    kind = error.get("type") or error.get("code") or "error"
    return Bad(f"the call failed ({kind}): there is no answer to keep", "the call is skipped")
