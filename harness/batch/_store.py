"""The batch state machine, kept in the journal (SQLite) so that any harness process can pick it up.

A request moves pending -> claimed -> submitted -> answered | retry | error:
- pending: known, never sent (or released after its batch was never created);
- claimed: inside a batch *intent*: written before the provider is asked to create the batch;
- submitted: inside a batch the provider accepted (its remote id is recorded);
- retry: the last attempt failed in a way worth another try (429, 5xx, expired, missing...);
- answered / error: final. An answered request is never sent again.
Claims happen in one IMMEDIATE transaction, so two harness commands never claim the same request.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from ..journal import Answer, Journal

LIVE = ("claimed", "submitted")
FINAL = ("answered", "error")
_CHUNK = 500  # keys per IN (...) query: SQLite's variable limit is 999 on old builds


@dataclass(frozen=True)
class BatchRow:
    id: str  # ours
    provider: str
    base_url: str
    model: str
    status: str  # intent | submitted | ended | failed | abandoned | sync | closed
    n_requests: int
    created_at: float
    remote_id: str | None
    owner: str | None
    bound_usd: float
    price: dict[str, Any] | None
    counts: dict[str, Any] | None
    updated_at: float | None = None  # the owner's last heartbeat (or the last change)


_BATCH_COLUMNS = "id, provider, base_url, model, status, n_requests, created_at, remote_id, owner, bound_usd, price, counts"
_READ_COLUMNS = _BATCH_COLUMNS + ", updated_at"


def _batch(row: tuple[Any, ...]) -> BatchRow:
    values = list(row)
    values[9] = values[9] or 0.0
    values[10] = json.loads(values[10]) if values[10] else None
    values[11] = json.loads(values[11]) if values[11] else None
    return BatchRow(*values)


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(keys), _CHUNK):
        yield keys[i:i + _CHUNK]


def add_requests(j: Journal, requests: Iterable[Any], bounds: dict[str, float]) -> None:
    """Make every request known (pending) with its upper-bound cost; existing rows keep their state."""
    # A generator, not a list: thousands of serialised bodies (each with the shared system prompt) would
    # otherwise sit in memory at once.
    rows = ((r.key, r.provider, r.base_url, r.model_id, json.dumps(r.body, sort_keys=True), bounds.get(r.key),
             time.time()) for r in requests)
    with j.transaction() as db:
        db.executemany(
            "INSERT INTO requests(key, provider, base_url, model, body, status, bound_usd, created_at)"
            " VALUES (?,?,?,?,?,'pending',?,?) ON CONFLICT(key) DO UPDATE SET bound_usd=excluded.bound_usd", rows)


def states(j: Journal, keys: list[str]) -> dict[str, tuple[str, int]]:
    """key -> (status, attempts) for the keys the journal knows."""
    out: dict[str, tuple[str, int]] = {}
    for chunk in _chunks(keys):
        marks = ",".join("?" * len(chunk))
        for key, status, attempts in j.query(f"SELECT key, status, attempts FROM requests WHERE key IN ({marks})",
                                             tuple(chunk)):
            out[key] = (status, attempts)
    return out


def money(j: Journal, keys: list[str]) -> tuple[float, float]:
    """(USD recorded as spent, USD upper bound still in flight) over these keys."""
    spent = inflight = 0.0
    for chunk in _chunks(keys):
        marks = ",".join("?" * len(chunk))
        row = j.query(f"SELECT SUM(CASE WHEN status='answered' THEN cost_usd END),"
                      f" SUM(CASE WHEN status IN ('claimed','submitted') THEN bound_usd END)"
                      f" FROM requests WHERE key IN ({marks})", tuple(chunk))[0]
        spent, inflight = spent + (row[0] or 0.0), inflight + (row[1] or 0.0)
    return spent, inflight


def claim(j: Journal, provider: str, base_url: str, model: str, keys: list[str], *, kind: str, owner: str,
          price: dict[str, Any] | None, bounds: dict[str, float]) -> tuple[str, list[str]]:
    """Write a batch intent (kind 'intent') or a sync session ('sync') and claim the keys that are still
    claimable. Returns our batch id and the claimed keys, in the order given."""
    local_id = f"hb{uuid.uuid4().hex[:20]}"
    claimed = []
    with j.transaction() as db:
        for key in keys:
            cur = db.execute("UPDATE requests SET status='claimed', batch_id=?, custom_id=?, attempts=attempts+1"
                             " WHERE key=? AND status IN ('pending','retry')", (local_id, key, key))
            if cur.rowcount:
                claimed.append(key)
        db.execute(f"INSERT INTO batches({_BATCH_COLUMNS}, updated_at) VALUES (?,?,?,?,?,?,?,NULL,?,?,?,NULL,?)",
                   (local_id, provider, base_url, model, kind, len(claimed), time.time(), owner,
                    sum(bounds.get(k, 0.0) for k in claimed), json.dumps(price) if price else None, time.time()))
    return local_id, claimed


def confirm(j: Journal, local_id: str, remote_id: str, input_file_id: str | None = None) -> None:
    """The provider accepted the batch: from now on its requests are in flight, not to be sent again."""
    with j.transaction() as db:
        db.execute("UPDATE batches SET status='submitted', remote_id=?, input_file_id=?, updated_at=? WHERE id=?",
                   (remote_id, input_file_id, time.time(), local_id))
        db.execute("UPDATE requests SET status='submitted', sent_count=sent_count+1"
                   " WHERE batch_id=? AND status='claimed'", (local_id,))


def release(j: Journal, local_id: str, status: str, reason: str, *, attempt_spent: bool, max_attempts: int) -> None:
    """The batch was never created (or failed as a whole): its requests go back to be sent again, or
    fail for good once `max_attempts` were spent. `attempt_spent` False gives the attempt back
    (nothing reached the provider)."""
    undo = "" if attempt_spent else ", attempts=attempts-1"
    with j.transaction() as db:
        db.execute("UPDATE batches SET status=?, detail=?, updated_at=?, ended_at=? WHERE id=?",
                   (status, reason, time.time(), time.time(), local_id))
        db.execute(f"UPDATE requests SET status=CASE WHEN ?=1 AND attempts>=? THEN 'error' ELSE 'retry' END,"
                   f" error=?{undo} WHERE batch_id=? AND status IN ('claimed','submitted')",
                   (int(attempt_spent), max_attempts, reason, local_id))


def record_answer(j: Journal, key: str, answer: Answer) -> None:
    """Keep the first answer: a late duplicate (e.g. from a reconciled batch) never overwrites it."""
    j.execute("UPDATE requests SET status='answered', response=?, input_tokens=?, output_tokens=?,"
              " cache_read_tokens=?, cache_write_tokens=?, cost_usd=?, via_batch=?, latency_s=?, answered_at=?,"
              " error=NULL WHERE key=? AND status!='answered'",
              (json.dumps(answer.response), answer.input_tokens, answer.output_tokens, answer.cache_read_tokens,
               answer.cache_write_tokens, answer.cost_usd, int(answer.batch), answer.latency_s, time.time(), key))


def record_failure(j: Journal, key: str, local_id: str, message: str, *, retryable: bool, max_attempts: int) -> str:
    """Retryable failures go back to 'retry' until `max_attempts` attempts were spent; then (or when not
    retryable) the error is final and becomes the sample's error. Returns the new status."""
    with j.transaction() as db:
        row = db.execute("SELECT status, attempts, batch_id FROM requests WHERE key=?", (key,)).fetchone()
        if row is None or row[0] in FINAL or row[2] != local_id:
            return row[0] if row else "unknown"  # answered meanwhile, or already moved on to another batch
        final = not retryable or row[1] >= max_attempts
        text = f"{message} (gave up after {row[1]} attempt(s))" if final and retryable else message
        status = "error" if final else "retry"
        db.execute("UPDATE requests SET status=?, error=? WHERE key=?", (status, text, key))
    return status


def heartbeat(j: Journal, local_ids: Iterable[str]) -> None:
    """Say that this process still works on its intents and synchronous sessions: another runner that
    shares the journal (another host, where it cannot see our pid) treats a claim whose heartbeat is
    older than the grace period as left by a dead runner, and releases it."""
    ids = list(local_ids)
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        j.execute(f"UPDATE batches SET updated_at=? WHERE id IN ({marks}) AND status IN ('intent', 'sync')",
                  (time.time(), *chunk))


def batch_keys(j: Journal, local_id: str) -> list[str]:
    """Requests of a batch still waiting for its result."""
    return [k for (k,) in j.query("SELECT key FROM requests WHERE batch_id=? AND status IN ('claimed','submitted')",
                                  (local_id,))]


def finish(j: Journal, local_id: str, status: str, counts: dict[str, Any] | None, detail: str | None = None) -> None:
    j.execute("UPDATE batches SET status=?, counts=?, detail=?, ended_at=?, updated_at=? WHERE id=?",
              (status, json.dumps(counts) if counts else None, detail, time.time(), time.time(), local_id))


def update_counts(j: Journal, local_id: str, remote_status: str, counts: dict[str, Any] | None) -> None:
    j.execute("UPDATE batches SET detail=?, counts=?, updated_at=? WHERE id=?",
              (remote_status, json.dumps(counts) if counts else None, time.time(), local_id))


def batches(j: Journal, *statuses: str) -> list[BatchRow]:
    marks = ",".join("?" * len(statuses))
    rows = j.query(f"SELECT {_READ_COLUMNS} FROM batches WHERE status IN ({marks}) ORDER BY created_at", statuses)
    return [_batch(r) for r in rows]


def known_remote_ids(j: Journal, provider: str) -> dict[str, float]:
    """Remote batch id -> when we created it, for every batch the journal knows."""
    rows = j.query("SELECT remote_id, created_at FROM batches WHERE provider=? AND remote_id IS NOT NULL", (provider,))
    return dict(rows)
