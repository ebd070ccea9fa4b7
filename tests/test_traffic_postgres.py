"""The same table of calls on SQLite and on a real PostgreSQL server gives the same suite, byte for byte.

The server is started by the test (tests/_postgres.py, Debian's `postgresql` package), as for the
shared journal: skipped when PostgreSQL is not installed, failed instead under HARNESS_REQUIRE_POSTGRES.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, Text, create_engine, insert

from _postgres import postgres_server
from _traffic_logs import KEY, LABELS, ROUTE_SYSTEM
from harness.cli import main


@pytest.fixture(scope="module")
def database():
    yield from postgres_server()


def calls_table(metadata: MetaData) -> Table:
    return Table("calls", metadata, Column("id", Integer, primary_key=True), Column("feature", String(40)),
                 Column("model", String(80)), Column("input_tokens", Integer), Column("output_tokens", Integer),
                 Column("cost_usd", Float), Column("ts", DateTime(timezone=True)), Column("request", Text),
                 Column("response", Text), Column("conversation_id", String(40)))


def rows() -> list[dict]:
    """A dashboard's rows: route calls as JSON bodies, summaries as plain text, a key and a tool call among them."""
    start = datetime(2025, 3, 1, 8, tzinfo=UTC)
    out = []
    for i in range(30):
        label = LABELS[i % 4]
        request = {"model": "gpt-4o-mini", "max_tokens": 5, "temperature": 0,
                   "messages": [{"role": "system", "content": ROUTE_SYSTEM},
                                {"role": "user", "content": f"Ticket {i}: my {label} issue" + (
                                    f" (my key {KEY})" if i == 7 else "")}]}
        if i == 11:
            request["tools"] = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
        response = {"id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1740816000 + i, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": label, "refusal": None},
                                 "logprobs": None, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 30 + i, "completion_tokens": 1, "total_tokens": 31 + i}}
        out.append({"id": 2 * i + 1, "feature": "route", "model": "gpt-4o-mini", "input_tokens": 30 + i,
                    "output_tokens": 1, "cost_usd": 0.00001 * (30 + i), "ts": start + timedelta(hours=7 * i),
                    "request": json.dumps(request), "response": json.dumps(response),
                    "conversation_id": f"conv-{i // 3}"})
        out.append({"id": 2 * i + 2, "feature": "summarize", "model": "claude-sonnet-4-5", "input_tokens": 200 + i,
                    "output_tokens": 40 + i % 5, "cost_usd": 0.001, "ts": start + timedelta(hours=7 * i, minutes=5),
                    "request": f"Please summarise ticket {i} about a lost parcel number {i}.",
                    "response": f"The customer lost parcel {i} and wants it found or refunded.",
                    "conversation_id": None})
    return out


def fill(url: str) -> None:
    engine = create_engine(url)
    metadata = MetaData()
    table = calls_table(metadata)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as db:
        db.execute(insert(table), rows())
    engine.dispose()


def imported(source: str, out: Path, capsys) -> tuple[dict[str, str], dict, str]:
    assert main(["traffic", "import", source, "--out", str(out), "--sample", "20", "--seed", "5",
                 "--scorer", "summarize=f1"]) == 0
    printed = capsys.readouterr().out
    files = {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}
    return files, json.loads(files.pop("traffic.json")), printed


def test_the_same_table_on_sqlite_and_postgresql_gives_the_same_suite(database, tmp_path, capsys):
    sqlite_file = tmp_path / "calls.sqlite"
    fill(f"sqlite:///{sqlite_file}")
    fill(database.replace("postgresql://", "postgresql+psycopg://"))
    lite, lite_summary, lite_out = imported(str(sqlite_file), tmp_path / "a" / "traffic", capsys)
    # trust authentication ignores the password: it is here to show that it is never written or printed
    with_password = database.replace("postgres@", "postgres:pg-s3cret-pw@")
    pg, pg_summary, pg_out = imported(with_password, tmp_path / "b" / "traffic", capsys)
    assert lite == pg  # suite, datasets and schema copy, byte for byte
    assert lite_summary["features"] == pg_summary["features"] and lite_summary["counts"] == pg_summary["counts"]
    assert lite_summary["counts"] == {"calls": 59, "invalid": 0, "refused": 1, "unmatched": 0, "secret": 1}
    suite = lite["traffic.yaml"]
    assert "name: route" in suite and "name: summarize" in suite and "model: anthropic/claude-sonnet-4-5" in suite
    route = lite_summary["features"]["route"]
    assert route["samples"] == 20 and route["traffic_per_month"] == round(28 / (29 * 7 / 24) * 365.25 / 12)
    assert route["input_tokens"]["median"] == 45 and route["logged_cost_usd"] == pytest.approx(
        sum(0.00001 * (30 + i) for i in range(30) if i != 11))
    for printed in (lite_out, pg_out):
        assert "credential found and stripped: an OpenAI-style API key (sk-...) in request" in printed
        assert "a tool-calling call" in printed and KEY not in printed
    assert KEY not in "".join(lite.values())
    assert "pg-s3cret-pw" not in pg_out + json.dumps(pg_summary) and "postgres:***@" in json.dumps(pg_summary)
