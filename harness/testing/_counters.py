"""Counters of everything the fake server received (thread-safe).

- `endpoints`: every HTTP request by endpoint name ("anthropic.messages",
  "openai.batches.create", ...; "unknown" for unrouted paths), faults and
  auth failures included.
- `models`: generation requests by (provider, model): one per sync call
  served and one per batch item accepted.
- `items`: the same generation requests by `body_key(body)` (sha256 of the
  canonical JSON body; for a batch item, its `params` / `body`).
- `custom_ids`: batch items by (provider, custom_id).
- `requests`: a log of `Received` records (endpoint, method, path, headers,
  status), e.g. to read `x-stainless-retry-count`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any


def body_key(body: dict[str, Any]) -> str:
    """sha256 of a request body's canonical JSON: stable across key order."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Received:
    endpoint: str
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    status: int

    @property
    def retry_count(self) -> int | None:
        value = self.headers.get("x-stainless-retry-count")
        return int(value) if value is not None and value.isdigit() else None


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.endpoints: Counter[str] = Counter()
        self.models: Counter[tuple[str, str]] = Counter()
        self.items: Counter[str] = Counter()
        self.custom_ids: Counter[tuple[str, str]] = Counter()
        self.requests: list[Received] = []

    def record_request(self, received: Received) -> None:
        with self._lock:
            self.endpoints[received.endpoint] += 1
            self.requests.append(received)

    def record_generation(
        self, provider: str, body: dict[str, Any], custom_id: str | None = None
    ) -> None:
        with self._lock:
            self.models[(provider, str(body.get("model", "")))] += 1
            self.items[body_key(body)] += 1
            if custom_id is not None:
                self.custom_ids[(provider, custom_id)] += 1

    def received(self, endpoint: str) -> list[Received]:
        """The logged requests of one endpoint, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def each_item_once(self) -> bool:
        """True when no generation request body arrived more than once."""
        with self._lock:
            return all(n == 1 for n in self.items.values())
