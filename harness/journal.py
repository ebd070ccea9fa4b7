"""The journal: a durable SQLite record of every request harness sends.

Why: a killed run must not pay for an answer twice, and (for the batch APIs)
a submitted batch must be found again after a crash. Every request is keyed
by provider, base URL, model and a hash of its full body; an answered key is
replayed from here and never sent again. The schema evolves through numbered
migrations (as simonw/llm does for its log) so old journals keep loading.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

MIGRATIONS: list[str] = [
    # 1: requests and their answers
    """
    CREATE TABLE requests (
        key TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        base_url TEXT,
        model TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        batch_id TEXT,
        response TEXT,
        error TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_write_tokens INTEGER,
        compute_s REAL,
        cost_usd REAL,
        sent_count INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        answered_at REAL
    );
    CREATE INDEX requests_batch ON requests(batch_id);
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        base_url TEXT,
        model TEXT NOT NULL,
        status TEXT NOT NULL,
        n_requests INTEGER NOT NULL,
        created_at REAL NOT NULL,
        ended_at REAL,
        detail TEXT
    );
    """,
    # 2: provider batch APIs (harness/batch). A batch row is written as an *intent* (status 'intent',
    # our own id) before the provider is asked to create it; `remote_id` is filled in once the provider
    # has accepted it, so a crash in between can be reconciled (docs/batch.md). Requests gain their
    # custom_id, the attempts spent on them, an upper-bound cost (for --max-cost) and whether they
    # were answered through a batch (half price).
    """
    ALTER TABLE requests ADD COLUMN custom_id TEXT;
    ALTER TABLE requests ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE requests ADD COLUMN bound_usd REAL;
    ALTER TABLE requests ADD COLUMN via_batch INTEGER;
    ALTER TABLE requests ADD COLUMN latency_s REAL;
    CREATE INDEX requests_status ON requests(status);
    ALTER TABLE batches ADD COLUMN remote_id TEXT;
    ALTER TABLE batches ADD COLUMN owner TEXT;
    ALTER TABLE batches ADD COLUMN bound_usd REAL;
    ALTER TABLE batches ADD COLUMN price TEXT;
    ALTER TABLE batches ADD COLUMN counts TEXT;
    ALTER TABLE batches ADD COLUMN input_file_id TEXT;
    ALTER TABLE batches ADD COLUMN updated_at REAL;
    CREATE INDEX batches_status ON batches(status);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
]


def request_key(provider: str, base_url: str | None, model: str, body: dict[str, Any]) -> str:
    blob = json.dumps([provider, base_url or "", model, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Answer:
    response: dict[str, Any]
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    compute_s: float | None = None
    cost_usd: float | None = None
    batch: bool = False  # answered through a provider batch API (billed at the batch price)
    latency_s: float | None = None  # wall time of a synchronous API call; None for batches


class Journal:
    """Thread-safe access to one journal file (one connection, serialised)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise RuntimeError(f"journal {self.path} is from a newer harness (schema {version})")
            for n, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                self._db.executescript(f"BEGIN; {sql}; PRAGMA user_version={n}; COMMIT;")

    def answered(self, key: str) -> Answer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT response, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, compute_s, cost_usd,"
                " via_batch, latency_s FROM requests WHERE key=? AND status='answered'", (key,)).fetchone()
        if row is None:
            return None
        return Answer(json.loads(row[0]), row[1] or 0, row[2] or 0, row[3] or 0, row[4] or 0, row[5], row[6],
                      bool(row[7]), row[8])

    def mark_sent(self, key: str, provider: str, base_url: str | None, model: str, body: dict[str, Any],
                  batch_id: str | None = None) -> None:
        """Record that the request is leaving now (before it is paid for), counting resends."""
        with self._lock:
            self._db.execute(
                "INSERT INTO requests(key, provider, base_url, model, body, status, batch_id, sent_count, created_at)"
                " VALUES (?,?,?,?,?,'submitted',?,1,?)"
                " ON CONFLICT(key) DO UPDATE SET sent_count=sent_count+1, status='submitted', batch_id=excluded.batch_id",
                (key, provider, base_url, model, json.dumps(body, sort_keys=True, default=str), batch_id, time.time()))

    def record_answer(self, key: str, answer: Answer) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE requests SET status='answered', response=?, input_tokens=?, output_tokens=?,"
                " cache_read_tokens=?, cache_write_tokens=?, compute_s=?, cost_usd=?, answered_at=?, error=NULL,"
                " via_batch=?, latency_s=? WHERE key=?",
                (json.dumps(answer.response), answer.input_tokens, answer.output_tokens, answer.cache_read_tokens,
                 answer.cache_write_tokens, answer.compute_s, answer.cost_usd, time.time(), int(answer.batch),
                 answer.latency_s, key))

    def record_error(self, key: str, error: str) -> None:
        with self._lock:
            self._db.execute("UPDATE requests SET status='error', error=? WHERE key=?", (error, key))

    def stats(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*), SUM(sent_count) FROM requests GROUP BY status").fetchall()
        out = {status: n for status, n, _ in rows}
        out["sent"] = sum(s or 0 for _, _, s in rows)
        return out

    # --- generic access, for modules that keep their own tables here (harness/batch) -------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement (autocommit); returns the number of rows changed."""
        with self._lock:
            return self._db.execute(sql, params).rowcount

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: its reads and writes are atomic even against other processes,
        which is what makes claiming requests for a batch safe when two harness commands overlap."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get_setting(self, key: str) -> Any:
        rows = self.query("SELECT value FROM settings WHERE key=?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def set_setting(self, key: str, value: Any) -> None:
        self.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                     (key, json.dumps(value)))

    def close(self) -> None:
        with self._lock:
            self._db.close()


_open: dict[Path, Journal] = {}
_open_lock = threading.Lock()


def open_journal(path: Path | str) -> Journal:
    """One Journal per file per process, shared by every model instance that writes to it."""
    key = Path(path).resolve()
    with _open_lock:
        if key not in _open:
            _open[key] = Journal(key)
        return _open[key]
