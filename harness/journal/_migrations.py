"""The journal's schema, as numbered migrations (as simonw/llm evolves its log), so old journals keep loading.

Written once for both backends: SQLite runs them as they are; PostgreSQL reads REAL as DOUBLE
PRECISION (its REAL is 4 bytes, which would round a unix timestamp to the minute).
"""

from __future__ import annotations

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


def for_postgres(sql: str) -> str:
    return sql.replace(" REAL", " DOUBLE PRECISION")
