"""A table of calls, as a cost dashboard keeps them, read through SQLAlchemy (SQLite file or PostgreSQL URL).

Columns (each renamed with `--sql-column KEY=COLUMN`): model, request, response, and optionally
input_tokens, output_tokens, cost_usd, ts and id; the feature and the cluster are the columns the
user names with --feature-key and --cluster-key. A request or response cell holds either plain
text or the provider's JSON body; the JSON is read like the JSONL logs, settings included.
Rows come ordered by id (else by ts), so the same table gives the same suite on any database.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError

from . import _anthropic, _openai
from ._call import INVALID, Call, Issue, Request, Response, Settings, combine
from ._fields import Keys, as_count, as_number, finish, harness_model
from ._lines import secret_issue
from ._secrets import Found, strip_tree

COLUMN_KEYS = ("model", "request", "response", "input_tokens", "output_tokens", "cost_usd", "ts", "id")
_REQUIRED = ("model", "request", "response")
SQLITE_MAGIC = b"SQLite format 3\x00"
NOTE = "note"  # an Issue kind: something the user should know about a source, not a lost call


@dataclass(frozen=True)
class SqlOptions:
    table: str = "calls"
    columns: dict[str, str] = field(default_factory=dict)  # key -> the table's column name


def is_sql(source: str) -> bool:
    """A database URL, or a file that starts as SQLite files do."""
    if "://" in source:
        return True
    path = Path(source)
    try:
        with path.open("rb") as f:
            return f.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def read_table(source: str, keys: Keys, options: SqlOptions) -> Iterator[Call | Issue]:
    opened = _engine(source)
    if isinstance(opened, Issue):
        yield opened
        return
    engine, shown = opened
    where = f"{shown} (table {options.table})"
    try:
        with engine.connect() as db:
            table = Table(options.table, MetaData(), autoload_with=db)
            columns = _columns(table, options)
            if isinstance(columns, Issue):
                yield Issue(where, None, columns.message, columns.hint)
                return
            if keys.feature not in table.c:
                yield Issue(where, None, f"no column {keys.feature!r}: every call is one feature", "name the "
                            "feature's column with --feature-key", kind=NOTE)
            order = [table.c[columns[k]] for k in ("id", "ts") if columns.get(k)] or list(table.c)[:1]
            for n, row in enumerate(db.execute(select(table).order_by(*order)).mappings(), start=1):
                yield from _row(dict(row), columns, where, n, keys)
    except NoSuchTableError:
        names = inspect(engine).get_table_names()
        yield Issue(shown, None, f"no table {options.table!r} (tables: {', '.join(names) or 'none'})",
                    "name the table of calls with --sql-table")
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        yield Issue(shown, None, f"cannot read the database: {first}", "check the URL or the file")
    finally:
        engine.dispose()


def _engine(source: str) -> tuple[Engine, str] | Issue:
    if "://" not in source:
        path = Path(source).resolve()
        uri = f"{path.as_uri()}?mode=ro"  # read-only: an import never writes to the user's database
        return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True)), source
    try:
        url = make_url(source)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")  # psycopg 3: the driver harness installs
        shown = url.render_as_string(hide_password=True)
        return create_engine(url), shown
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError, ValueError) as exc:
        hint = ("install the PostgreSQL driver: pip install 'harness[postgres]'" if "psycopg" in str(exc)
                else "write a SQLAlchemy URL: sqlite:///calls.db or postgresql://user@host/db")
        return Issue(safe_url(source), None, f"cannot open the database URL: {type(exc).__name__}", hint)


def safe_url(source: str) -> str:
    try:
        return make_url(source).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return source.split("://", 1)[0] + "://..."


def _columns(table: Table, options: SqlOptions) -> dict[str, str | None] | Issue:
    have = set(table.c.keys())
    unknown = sorted(set(options.columns) - set(COLUMN_KEYS))
    if unknown:
        return Issue("", None, f"unknown --sql-column key(s): {', '.join(unknown)}", f"use {', '.join(COLUMN_KEYS)}")
    named = {k: options.columns.get(k, k) for k in COLUMN_KEYS}
    missing = [f"{k} (column {named[k]!r})" for k in _REQUIRED if named[k] not in have]
    if missing:
        return Issue("", None, f"the table lacks {', '.join(missing)}; its columns are: {', '.join(sorted(have))}",
                     "map them with --sql-column KEY=COLUMN, e.g. --sql-column request=prompt_text")
    return {k: c if c in have else None for k, c in named.items()}


def _row(raw: dict[str, Any], columns: dict[str, str | None], where: str, n: int, keys: Keys) -> Iterator[Call | Issue]:
    found = Found()
    row = strip_tree(raw, found)  # a column named like a credential (api_key, password) is stripped whole
    if found.items:
        yield secret_issue(where, n, found)

    def get(key: str) -> Any:
        column = columns.get(key)
        return row.get(column) if column else None

    model = get("model") if isinstance(get("model"), str) else None
    provider = "anthropic" if (harness_model(model) or "").startswith("anthropic/") else "openai"
    request, response = _request(get("request"), provider), _response(get("response"), provider)
    for part in (request, response):
        if not isinstance(part, (Request, Response)):
            yield part.at(where, n)
            return
    assert isinstance(request, Request) and isinstance(response, Response)
    # Every other column is metadata: the feature and cluster columns are found there by name.
    meta = {k: v for k, v in row.items() if k not in (columns["request"], columns["response"])}
    parts = combine(provider, request, response, meta)
    in_tokens, out_tokens = as_count(get("input_tokens")), as_count(get("output_tokens"))
    parts = replace(parts, model=model or parts.model, cost_usd=as_number(get("cost_usd")),
                    input_tokens=parts.input_tokens if in_tokens is None else in_tokens,
                    output_tokens=parts.output_tokens if out_tokens is None else out_tokens)
    yield finish(parts, where, n, keys, meta_ts=get("ts"))


def _json_object(text: Any) -> dict[str, Any] | None:
    if isinstance(text, dict):  # a JSON / JSONB column: the driver has parsed it already
        return text
    if not isinstance(text, str) or not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _request(cell: Any, provider: str) -> Request | Any:
    body = _json_object(cell)
    if body is not None and "messages" in body:
        return (_anthropic if provider == "anthropic" else _openai).read_request(body)
    if not isinstance(cell, str):
        return _Missing("request")
    return Request(model=None, system=None, turns=(("user", cell),), settings=Settings(), not_carried=(), meta={})


def _response(cell: Any, provider: str) -> Response | Any:
    body = _json_object(cell)
    if body is not None and ("choices" in body or "content" in body or "error" in body):
        return (_anthropic if provider == "anthropic" else _openai).read_response(body)
    if not isinstance(cell, str):
        return _Missing("response")
    return Response(answer=cell)


@dataclass(frozen=True)
class _Missing:
    what: str

    def at(self, file: str, line: int) -> Issue:
        hint = "log the answer with the call" if self.what == "response" else "log the prompt with the call"
        return Issue(file, line, f"no {self.what}: the {self.what} cell is empty", hint, INVALID)
