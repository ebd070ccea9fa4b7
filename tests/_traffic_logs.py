"""Logged traffic in the providers' real wire formats, made by sending calls to the fake server with the real SDKs.

Each helper returns the lines an application (or the provider's batch files) would hold: the
request body as passed to the SDK, and the response body exactly as the server sent it (raw JSON,
not the SDK's parsed objects). Batch files are the fake's own input and output files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai

from harness.testing import FakeProviders, Script, last_user_text

KEY = "sk-traffic-test-key-0123456789abcdef"
LABELS = ["billing", "technical", "account", "shipping"]
ROUTE_SYSTEM = "You route customer support tickets. Reply with one word: billing, technical, account or shipping."
SUMMARY_SYSTEM = "Summarise the customer's message in one or two sentences for the support agent."


def answer(provider: str, model: str, body: dict[str, Any]) -> str:
    """The fake's answers: the label a ticket names, or a sentence for anything else."""
    text = last_user_text(body)
    for label in LABELS:
        if label in text:
            return label
    return f"The customer writes about {' '.join(text.split()[:6])} and asks for help with it."


def script(**kw: Any) -> Script:
    return Script(answer=answer, api_key=KEY, **kw)


def ticket(i: int) -> str:
    return f"Ticket {i}: my {LABELS[i % 4]} problem is still not solved after {i + 2} days, order {1000 + i}"


def story(i: int) -> str:
    return (f"Message {i}: I moved house last month and the parcel number {i} went to my old address; "
            "the courier says it was delivered but nobody there has seen it, what can you do?")


def day(i: int) -> str:
    return f"2025-03-{1 + i % 28:02d}T{8 + i % 10:02d}:00:00Z"


def openai_request(feature: str, i: int) -> dict[str, Any]:
    if feature == "route":
        return {"model": "gpt-4o-mini", "max_tokens": 5, "temperature": 0, "stop": ["\n"],
                "messages": [{"role": "system", "content": ROUTE_SYSTEM}, {"role": "user", "content": ticket(i)}]}
    return {"model": "gpt-4o", "max_completion_tokens": 120, "temperature": 0.3,
            "messages": [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": story(i)}]}


def anthropic_request(feature: str, i: int) -> dict[str, Any]:
    if feature == "route":
        return {"model": "claude-3-5-haiku-20241022", "max_tokens": 5, "stop_sequences": ["\n"],
                "system": [{"type": "text", "text": ROUTE_SYSTEM, "cache_control": {"type": "ephemeral"}}],
                "messages": [{"role": "user", "content": ticket(i)}]}
    return {"model": "claude-sonnet-4-5", "max_tokens": 200, "system": SUMMARY_SYSTEM,
            "messages": [{"role": "user", "content": [{"type": "text", "text": story(i)}]}]}


def traffic(route: int = 24, summarize: int = 10) -> list[tuple[str, int, dict[str, Any]]]:
    """(feature, index, metadata) of each call: route tickets share conversations in pairs."""
    calls = [("route", i, {"feature": "route", "ts": day(i), "conversation_id": f"conv-{i // 2}"}) for i in range(route)]
    calls += [("summarize", i, {"feature": "summarize", "ts": day(i), "user": f"user-{i}"}) for i in range(summarize)]
    return calls


def openai_pairs(fake: FakeProviders, calls: Iterable[tuple[str, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    client = openai.OpenAI(base_url=fake.openai_base_url, api_key=KEY, max_retries=0)
    lines = []
    for feature, i, meta in calls:
        request = openai_request(feature, i)
        raw = client.chat.completions.with_raw_response.create(**request)
        lines.append({"request": request, "response": json.loads(raw.text), "metadata": meta})
    return lines


def anthropic_pairs(fake: FakeProviders, calls: Iterable[tuple[str, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    client = anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key=KEY, max_retries=0)
    lines = []
    for feature, i, meta in calls:
        request = anthropic_request(feature, i)
        raw = client.messages.with_raw_response.create(**request)
        lines.append({"request": request, "response": json.loads(raw.text()), "metadata": meta})
    return lines


def openai_batch(fake: FakeProviders, calls: Iterable[tuple[str, int, dict[str, Any]]]) -> tuple[str, str, str]:
    """(input file, output file, error file) of one real batch run on the fake."""
    client = openai.OpenAI(base_url=fake.openai_base_url, api_key=KEY, max_retries=0)
    lines = []
    for feature, i, meta in calls:
        body = {**openai_request(feature, i), "metadata": {"feature": feature, "conversation_id": meta.get(
            "conversation_id", f"solo-{feature}-{i}")}}
        lines.append({"custom_id": f"{feature}-{i}", "method": "POST", "url": "/v1/chat/completions", "body": body})
    text = "".join(json.dumps(x) + "\n" for x in lines)
    uploaded = client.files.create(file=("batch.jsonl", text.encode()), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h")
    for _ in range(10):
        batch = client.batches.retrieve(batch.id)
        if batch.status == "completed":
            break
    assert batch.status == "completed", batch.status
    output = client.files.content(batch.output_file_id).text if batch.output_file_id else ""
    errors = client.files.content(batch.error_file_id).text if batch.error_file_id else ""
    return text, output, errors


def anthropic_batch(fake: FakeProviders, calls: Iterable[tuple[str, int, dict[str, Any]]]) -> tuple[str, str]:
    """(requests file, results file) of one real Message Batches run on the fake."""
    client = anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key=KEY, max_retries=0)
    requests = [{"custom_id": f"{feature}-{i}", "params": {**anthropic_request(feature, i), "metadata": {
        "user_id": meta.get("conversation_id", f"solo-{i}")}}} for feature, i, meta in calls]
    batch = client.messages.batches.create(requests=requests)
    for _ in range(10):
        batch = client.messages.batches.retrieve(batch.id)
        if batch.processing_status == "ended":
            break
    assert batch.results_url
    results = httpx.get(batch.results_url, headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"}).text
    return "".join(json.dumps(r) + "\n" for r in requests), results


def write_jsonl(path: Path, lines: Iterable[dict[str, Any] | str | bytes]) -> Path:
    data = b"".join(x if isinstance(x, bytes) else ((x if isinstance(x, str) else json.dumps(x)) + "\n").encode()
                    for x in lines)
    path.write_bytes(data)
    return path
