"""Clocks for the fake server: real time, or a clock the test moves by hand.

Batch progress is computed from the clock each time a batch is read, so a
test with a `ManualClock` decides exactly when a batch ends (no sleeping).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class RealClock:
    """Wall-clock time (`time.time()`)."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when the test calls `advance()`.

    Starts at 2025-01-01T00:00:00Z unless told otherwise, so timestamps in
    responses are stable across runs.
    """

    def __init__(self, start: float = 1_735_689_600.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward and return the new time."""
        if seconds < 0:
            raise ValueError("a ManualClock only moves forward")
        with self._lock:
            self._now += seconds
            return self._now
