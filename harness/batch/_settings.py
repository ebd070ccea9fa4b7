"""Knobs of the batch machinery, from the environment (tests and benchmarks turn them down).

Defaults suit real providers: batches take minutes to hours, so polling every
30 s costs nothing; tests set HARNESS_POLL_SECONDS=0.05 against the fake.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


@dataclass(frozen=True)
class BatchSettings:
    poll_seconds: float = 30.0  # between two polls of the live batches
    max_attempts: int = 3  # a request is sent at most this often before its error is final
    max_requests: int = 10_000  # per batch (provider limits: Anthropic 100k, OpenAI 50k)
    max_bytes: int = 100_000_000  # per batch body / input file (limits: 256 MB / 200 MB)
    sdk_max_retries: int = 4  # HTTP retries the SDKs make for 408/409/429/5xx/529 (idempotent calls)
    create_attempts: int = 4  # our own retries of a batch create, each after a reconciliation
    backoff_seconds: float = 0.5  # first wait of our create retries (doubles, capped at 8 s)
    sync_concurrency: int = 8  # --no-batch: calls in flight at once
    reconcile_grace_seconds: float = 120.0  # an intent of a live process is left alone this long
    owner: str = field(default_factory=lambda: f"{os.uname().nodename}:{os.getpid()}")

    @classmethod
    def from_env(cls) -> BatchSettings:
        base = cls()
        return cls(
            poll_seconds=_env("HARNESS_POLL_SECONDS", base.poll_seconds),
            max_attempts=int(_env("HARNESS_BATCH_MAX_ATTEMPTS", base.max_attempts)),
            max_requests=int(_env("HARNESS_BATCH_MAX_REQUESTS", base.max_requests)),
            max_bytes=int(_env("HARNESS_BATCH_MAX_BYTES", base.max_bytes)),
            sdk_max_retries=int(_env("HARNESS_SDK_MAX_RETRIES", base.sdk_max_retries)),
            create_attempts=int(_env("HARNESS_CREATE_ATTEMPTS", base.create_attempts)),
            backoff_seconds=_env("HARNESS_BACKOFF_SECONDS", base.backoff_seconds),
            sync_concurrency=int(_env("HARNESS_SYNC_CONCURRENCY", base.sync_concurrency)),
            reconcile_grace_seconds=_env("HARNESS_RECONCILE_GRACE_SECONDS", base.reconcile_grace_seconds),
        )
