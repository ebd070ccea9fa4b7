"""The journal: a durable record of every request harness sends (SQLite, or PostgreSQL when shared).

Why: a killed run must not pay for an answer twice, and (for the batch APIs)
a submitted batch must be found again after a crash. Every request is keyed
by provider, base URL, model and a hash of its full body; an answered key is
replayed from here and never sent again. The schema evolves through numbered
migrations (`_migrations`) so old journals keep loading.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ._backends import Connection, connect, is_database_url

# A shared journal for every run in this environment (a PostgreSQL URL, or a file path): CI runners
# that evaluate the same suites point here, and each request is sent once across all of them.
JOURNAL_ENV = "HARNESS_JOURNAL"


def journal_location(reports: Path) -> str:
    """Where the journal of a run that writes to `reports` lives: $HARNESS_JOURNAL, else reports/journal.sqlite."""
    return os.environ.get(JOURNAL_ENV) or str(reports / "journal.sqlite")


def journal_exists(location: str) -> bool:
    return is_database_url(location) or Path(location).exists()

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
    """Thread-safe access to one journal (one connection, serialised)."""

    def __init__(self, location: Path | str):
        self.location = str(location)
        self._lock = threading.Lock()
        self._db = connect(self.location)
        self.where = self._db.where

    def answered(self, key: str) -> Answer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT response, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, compute_s, cost_usd,"
                " via_batch, latency_s FROM requests WHERE key=? AND status='answered'", (key,)).fetchone()
        if row is None:
            return None
        return Answer(json.loads(row[0]), row[1] or 0, row[2] or 0, row[3] or 0, row[4] or 0, row[5], row[6],
                      bool(row[7]), row[8])

    def final(self, keys: list[str], chunk: int = 900) -> dict[str, Answer | str]:
        """The final state of each key that has one: its Answer, or its error text ("" when none was recorded).
        One query per `chunk` keys (SQLite's and PostgreSQL's bound-parameter limits), not one per key."""
        out: dict[str, Answer | str] = {}
        for i in range(0, len(keys), chunk):
            part = keys[i:i + chunk]
            with self._lock:
                rows = self._db.execute(
                    "SELECT key, status, response, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,"
                    " compute_s, cost_usd, via_batch, latency_s, error FROM requests"
                    f" WHERE status IN ('answered', 'error') AND key IN ({','.join('?' * len(part))})",
                    tuple(part)).fetchall()
            for key, status, *row, error in rows:
                out[key] = (Answer(json.loads(row[0]), row[1] or 0, row[2] or 0, row[3] or 0, row[4] or 0, row[5],
                                   row[6], bool(row[7]), row[8]) if status == "answered" else error or "")
        return out

    def mark_sent(self, key: str, provider: str, base_url: str | None, model: str, body: dict[str, Any],
                  batch_id: str | None = None) -> None:
        """Record that the request is leaving now (before it is paid for), counting resends."""
        with self._lock:
            self._db.execute(
                "INSERT INTO requests(key, provider, base_url, model, body, status, batch_id, sent_count, created_at)"
                " VALUES (?,?,?,?,?,'submitted',?,1,?)"
                " ON CONFLICT(key) DO UPDATE SET sent_count=requests.sent_count+1, status='submitted', batch_id=excluded.batch_id",
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
    def transaction(self) -> Iterator[Connection]:
        """A transaction whose reads and writes are atomic even against other processes, which is what
        makes claiming requests for a batch safe when two harness commands (or runners) overlap."""
        with self._lock, self._db.transaction() as db:
            yield db

    def get_setting(self, key: str) -> Any:
        rows = self.query("SELECT value FROM settings WHERE key=?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def set_setting(self, key: str, value: Any) -> None:
        self.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                     (key, json.dumps(value)))

    def close(self) -> None:
        with self._lock:
            self._db.close()


_open: dict[str, Journal] = {}
_open_lock = threading.Lock()


def open_journal(location: Path | str) -> Journal:
    """One Journal per file (or database) per process, shared by every model instance that writes to it."""
    text = str(location)
    key = text if is_database_url(text) else str(Path(text).resolve())
    with _open_lock:
        if key not in _open:
            _open[key] = Journal(key)
        return _open[key]
