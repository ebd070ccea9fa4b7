"""Anthropic Message Batches (and Messages, for --no-batch) through the official SDK."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import anthropic

from ._outcomes import RETRYABLE_STATUS, Failure, Outcome, anthropic_message, anthropic_result, parse_jsonl
from ._settings import BatchSettings
from ._protocol import Collected, CreateFailed, RemoteState, missing_key

_SCAN_LIMIT = 1000  # batches listed at most when looking for a lost create


class AnthropicTransport:
    provider = "anthropic"

    def __init__(self, settings: BatchSettings) -> None:
        self.settings = settings
        self._client: anthropic.Anthropic | None = None

    @property
    def client(self) -> anthropic.Anthropic:
        if self._client is None:
            if not (os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")):
                raise missing_key("anthropic")
            try:
                # base_url None lets the SDK use its default; the key is read by the SDK from the environment.
                self._client = anthropic.Anthropic(base_url=os.environ.get("ANTHROPIC_BASE_URL") or None,
                                                   max_retries=self.settings.sdk_max_retries)
            except anthropic.AnthropicError as exc:
                raise missing_key("anthropic", exc) from None
        return self._client

    def create(self, local_id: str, items: list[tuple[str, dict[str, Any]]]) -> tuple[str, str | None]:
        requests = [{"custom_id": custom_id, "params": body} for custom_id, body in items]
        try:
            # No SDK retries here: a create that reached the provider but whose answer was lost would be
            # created twice (no idempotency key). The driver retries after looking for it first.
            batch = self.client.with_options(max_retries=0).messages.batches.create(requests=requests)  # type: ignore[arg-type]
        except anthropic.APIStatusError as exc:
            raise CreateFailed(f"HTTP {exc.status_code}: {exc.message}", exc.status_code in RETRYABLE_STATUS) from None
        except anthropic.APIConnectionError as exc:
            raise CreateFailed(f"connection error: {exc}", retryable=True) from None
        return batch.id, None

    def find(self, local_id: str, n_requests: int, known: dict[str, float], since: float) -> str | None:
        # The create call carries no metadata, so a lost create is recognised by being a batch we do not
        # know, newer than the last batch we knew before the intent, with the intent's number of requests.
        # The results are checked again by custom_id (our request keys) when they arrive.
        for i, batch in enumerate(self.client.messages.batches.list(limit=100)):
            if i >= _SCAN_LIMIT:
                break
            if batch.id in known:
                if known[batch.id] < since:
                    break  # listed newest first: everything further down predates the intent
                continue
            c = batch.request_counts
            if c.processing + c.succeeded + c.errored + c.canceled + c.expired == n_requests:
                return batch.id
        return None

    def poll(self, remote_id: str) -> RemoteState:
        batch = self.client.messages.batches.retrieve(remote_id)
        return RemoteState(batch.processing_status == "ended", batch.processing_status,
                           batch.request_counts.model_dump())

    def results(self, remote_id: str) -> Collected:
        # Streamed and parsed line by line by us: the SDK's decoder stops at the first unreadable line.
        with self.client.messages.batches.with_streaming_response.results(remote_id) as response:
            rows, bad = parse_jsonl("\n".join(response.iter_lines()))
        outcomes = []
        for row in rows:
            try:
                outcomes.append(anthropic_result(row))
            except (KeyError, TypeError, AttributeError):
                bad += 1
        return Collected(outcomes, bad)

    def call(self, body: dict[str, Any]) -> Outcome:
        start = time.perf_counter()
        try:
            message = self.client.messages.create(**body)
        except anthropic.APIStatusError as exc:
            return Failure(f"HTTP {exc.status_code}: {exc.message}", exc.status_code in RETRYABLE_STATUS)
        except anthropic.APIConnectionError as exc:
            return Failure(f"connection error: {exc}", retryable=True)
        return anthropic_message(json.loads(message.model_dump_json()), time.perf_counter() - start)
