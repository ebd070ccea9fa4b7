"""Where a journal lives: an SQLite file (the embedded default) or a PostgreSQL database (shared by runners).

Both speak the SQL harness writes (the `?` placeholders of sqlite3, `INSERT ... ON CONFLICT`), run
the same migrations, and give a transaction whose reads and writes are atomic against other
processes: SQLite by taking the write lock up front (BEGIN IMMEDIATE), PostgreSQL by row locks
(a claim is `UPDATE ... WHERE status IN ('pending','retry')`, and a second runner's UPDATE of the
same row waits for the first to commit, then sees it claimed).
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol

from ..errors import HarnessError
from ._migrations import MIGRATIONS, for_postgres


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> tuple[Any, ...] | None: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> Any: ...


class Backend(Protocol):
    where: str  # for messages: the file, or the database without its password

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Cursor: ...

    @contextmanager
    def transaction(self) -> Iterator[Connection]: ...

    def close(self) -> None: ...


def is_database_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def connect(location: str) -> Backend:
    backend: Backend = Postgres(location) if is_database_url(location) else SQLite(Path(location))
    return backend


class SQLite:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.where = str(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        _check_version(version, self.where)
        for n, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.executescript(f"BEGIN; {sql}; PRAGMA user_version={n}; COMMIT;")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Cursor:
        return self._db.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


_PLACEHOLDER = re.compile(r"\?")


class Postgres:
    """A psycopg 3 connection in autocommit mode; `?` placeholders become psycopg's `%s`."""

    def __init__(self, url: str):
        try:
            import psycopg  # only shared journals need the driver: `pip install 'harness[postgres]'`
        except ImportError:
            raise HarnessError("a PostgreSQL journal needs the psycopg driver: pip install 'harness[postgres]'") \
                from None
        self.where = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)  # never print a password
        try:
            self._db = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise HarnessError(f"cannot reach the journal database {self.where}: {str(exc).strip()}") from None
        self._psycopg = psycopg
        with self.transaction() as db:
            # One migrating runner at a time: the others wait here, then find the schema current.
            db.execute("SELECT pg_advisory_xact_lock(7210423)")
            db.execute("CREATE TABLE IF NOT EXISTS harness_schema (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM harness_schema").fetchone()
            version = row[0] if row else 0
            _check_version(version, self.where)
            for sql in MIGRATIONS[version:]:
                db.execute(for_postgres(sql))
            db.execute("DELETE FROM harness_schema")
            db.execute("INSERT INTO harness_schema(version) VALUES (?)", (len(MIGRATIONS),))

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Cursor:
        return _run(self._db, sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self._db.transaction():
            yield _Translating(self._db)

    def close(self) -> None:
        self._db.close()


class _Translating:
    """A connection inside a transaction that takes sqlite3's placeholders."""

    def __init__(self, db: Any):
        self._db = db

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Cursor:
        return _run(self._db, sql, params)

    def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> Any:
        cur = self._db.cursor()
        cur.executemany(_PLACEHOLDER.sub("%s", sql), rows)
        return cur


def _run(db: Any, sql: str, params: tuple[Any, ...]) -> Cursor:
    # No parameters: the simple query protocol, which also runs a migration's several statements.
    return db.execute(_PLACEHOLDER.sub("%s", sql), params) if params else db.execute(sql)


def _check_version(version: int, where: str) -> None:
    if version > len(MIGRATIONS):
        raise HarnessError(f"journal {where} is from a newer harness (schema {version}, this one knows "
                           f"{len(MIGRATIONS)}): upgrade harness")
