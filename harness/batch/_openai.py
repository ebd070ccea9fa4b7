"""OpenAI Batch + Files (and Chat Completions, for --no-batch) through the official SDK."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import openai

from ._outcomes import RETRYABLE_STATUS, Failure, Outcome, openai_completion, openai_line, parse_jsonl
from ._settings import BatchSettings
from ._protocol import Collected, CreateFailed, RemoteState, missing_key

ENDPOINT = "/v1/chat/completions"
_DONE = ("completed", "expired", "cancelled", "failed")
_SCAN_LIMIT = 1000


class OpenAITransport:
    provider = "openai"

    def __init__(self, settings: BatchSettings) -> None:
        self.settings = settings
        self._client: openai.OpenAI | None = None

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            if not os.environ.get("OPENAI_API_KEY"):
                raise missing_key("openai")
            try:
                # base_url None: the SDK reads OPENAI_BASE_URL itself; the key likewise from OPENAI_API_KEY.
                self._client = openai.OpenAI(base_url=os.environ.get("OPENAI_BASE_URL") or None,
                                             max_retries=self.settings.sdk_max_retries)
            except openai.OpenAIError as exc:
                raise missing_key("openai", exc) from None
        return self._client

    def create(self, local_id: str, items: list[tuple[str, dict[str, Any]]]) -> tuple[str, str | None]:
        data = "".join(json.dumps({"custom_id": c, "method": "POST", "url": ENDPOINT, "body": b}) + "\n"
                       for c, b in items).encode()
        try:
            # An upload retried by the SDK at worst leaves an unused file (free); the batch create is not
            # retried by the SDK (see AnthropicTransport.create) and carries our id for reconciliation.
            file = self.client.files.create(file=(f"{local_id}.jsonl", data), purpose="batch")
            batch = self.client.with_options(max_retries=0).batches.create(
                input_file_id=file.id, endpoint=ENDPOINT, completion_window="24h",
                metadata={"harness_batch": local_id})
        except openai.APIStatusError as exc:
            raise CreateFailed(f"HTTP {exc.status_code}: {exc.message}", exc.status_code in RETRYABLE_STATUS) from None
        except openai.APIConnectionError as exc:
            raise CreateFailed(f"connection error: {exc}", retryable=True) from None
        return batch.id, file.id

    def find(self, local_id: str, n_requests: int, known: dict[str, float], since: float) -> str | None:
        for i, batch in enumerate(self.client.batches.list(limit=100)):
            if i >= _SCAN_LIMIT:
                break
            if (batch.metadata or {}).get("harness_batch") == local_id:
                return batch.id
            if batch.id in known and known[batch.id] < since:
                break
        return None

    def poll(self, remote_id: str) -> RemoteState:
        batch = self.client.batches.retrieve(remote_id)
        counts = batch.request_counts.model_dump() if batch.request_counts else {}
        return RemoteState(batch.status in _DONE, batch.status, counts)

    def results(self, remote_id: str) -> Collected:
        batch = self.client.batches.retrieve(remote_id)
        if batch.status == "failed":
            errors = batch.errors.data if batch.errors and batch.errors.data else []
            detail = "; ".join(f"{e.code}: {e.message}" for e in errors[:3]) or "no detail"
            return Collected([], 0, batch_error=f"batch {remote_id} failed: {detail}")
        outcomes, bad = [], 0
        # Output and error files are read by us, line by line: one per-request error line or one
        # expired line must not fail the others (inspect-ai 0.3.285 fails the whole batch there).
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            rows, unreadable = parse_jsonl(self.client.files.content(file_id).content)
            bad += unreadable
            for row in rows:
                try:
                    outcomes.append(openai_line(row))
                except (KeyError, TypeError, AttributeError):
                    bad += 1
        return Collected(outcomes, bad)

    def call(self, body: dict[str, Any]) -> Outcome:
        start = time.perf_counter()
        try:
            completion = self.client.chat.completions.create(**body)
        except openai.APIStatusError as exc:
            return Failure(f"HTTP {exc.status_code}: {exc.message}", exc.status_code in RETRYABLE_STATUS)
        except openai.APIConnectionError as exc:
            return Failure(f"connection error: {exc}", retryable=True)
        return openai_completion(json.loads(completion.model_dump_json()), time.perf_counter() - start)
