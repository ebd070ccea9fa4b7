"""Concurrency bound and busy-time accounting of the self-hosted servers this process calls.

A server priced by the hour costs its busy time, and calls in flight together share it: each call is
credited, for every moment, 1/(calls in flight then) of that moment. The credits of all calls add up to
the time the server had work, however many ran at once, so pricing a call by its credit bills the hour
once (pricing it by its latency would bill overlapping calls several times).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class EndpointStats:
    """What this process sent to one server (base URL): for tests, benchmarks and people."""

    base_url: str
    calls: int  # requests that reached the server (journal replays are not calls)
    max_in_flight: int  # the most requests in flight at once
    busy_s: float  # time with at least one request in flight


class Server:
    """One server's slots (its max_concurrency) and its busy-time ledger; thread-safe."""

    def __init__(self, base_url: str, max_concurrency: int):
        self.base_url, self.max_concurrency = base_url, max_concurrency
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._lock = threading.Lock()
        self._credit: dict[int, float] = {}  # call in flight -> busy seconds credited to it so far
        self._ids = itertools.count()
        self._last = 0.0
        self.calls = self.max_in_flight = 0
        self.busy_s = 0.0

    def _advance(self, now: float) -> None:
        if self._credit:
            share = (now - self._last) / len(self._credit)
            for call in self._credit:
                self._credit[call] += share
            self.busy_s += now - self._last
        self._last = now

    @contextmanager
    def call(self) -> Iterator[list[float]]:
        """Hold a slot for one request; yields a list that holds its busy-time credit once it has ended."""
        credit: list[float] = []
        with self._slots:
            with self._lock:
                self._advance(time.perf_counter())
                me = next(self._ids)
                self._credit[me] = 0.0
                self.calls += 1
                self.max_in_flight = max(self.max_in_flight, len(self._credit))
            try:
                yield credit
            finally:
                with self._lock:
                    self._advance(time.perf_counter())
                    credit.append(self._credit.pop(me))

    def reset(self) -> None:
        with self._lock:
            self._advance(time.perf_counter())
            self.calls, self.max_in_flight, self.busy_s = 0, len(self._credit), 0.0

    def stats(self) -> EndpointStats:
        with self._lock:
            return EndpointStats(self.base_url, self.calls, self.max_in_flight, self.busy_s)


_servers: dict[str, Server] = {}
_servers_lock = threading.Lock()


def server(base_url: str, max_concurrency: int) -> Server:
    """The process-wide ledger of `base_url`: every candidate on one server shares its bound and its busy time
    (the suite loader refuses two bounds for one base URL; the first one given holds)."""
    with _servers_lock:
        if base_url not in _servers:
            _servers[base_url] = Server(base_url, max_concurrency)
        return _servers[base_url]


def endpoint_stats() -> dict[str, EndpointStats]:
    """Per base URL, the calls this process sent, the most in flight at once and the busy time."""
    with _servers_lock:
        servers = list(_servers.values())
    return {s.base_url: s.stats() for s in servers}


def reset_endpoint_stats() -> None:
    """Start the counts again (between measurements); bounds and calls in flight are kept, since model
    instances that inspect memoises hold on to their server."""
    with _servers_lock:
        servers = list(_servers.values())
    for s in servers:
        s.reset()
