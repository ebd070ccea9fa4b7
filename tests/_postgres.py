"""A real PostgreSQL server for the tests that need one, started in a temporary folder on 127.0.0.1.

`make test` installs Debian's `postgresql` package when it runs as root (as CI does) and sets
HARNESS_REQUIRE_POSTGRES=1: then a missing server fails the tests instead of skipping them.
initdb refuses to run as root, so as root the server runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def postgres_server() -> Iterator[str]:
    """Start a throwaway server; yields the URL of an empty database `harness`."""
    bindir = _bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (`make test` installs it as root: apt-get install postgresql)"
        if os.environ.get("HARNESS_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's tmp folder: that is root's and closed (0700), and the server runs as postgres.
    tmp = Path(tempfile.mkdtemp(prefix="harness-pg-"))
    data, sock = tmp / "pgdata", tmp / "pgsock"
    for d in (data, sock):
        d.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(d, "postgres", "postgres")
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                    "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
    port = _free_port()
    log = tmp / "postgres.log"
    subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                                    "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]),
                   check=True, capture_output=True)
    try:
        url = f"postgresql://postgres@127.0.0.1:{port}"
        _wait(url)
        subprocess.run(["psql", f"{url}/postgres", "-q", "-c", "CREATE DATABASE harness"], check=True,
                       capture_output=True)
        yield f"{url}/harness"
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _wait(url: str) -> None:
    for _ in range(100):
        if subprocess.run(["psql", f"{url}/postgres", "-q", "-c", "SELECT 1"], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not start")
