"""A circuit breaker per upstream service, so a dead or hung service costs the gateway nothing.

What counts as a failure: only what says the service *process* is unreachable or hung — a
transport error (connection refused, DNS, reset, the connection dropped before an answer) or a
timeout (connect or total). Any HTTP answer the service gives, whatever its status, counts as a
success: a service answering 500/502/503/504 quickly is alive, its answer carries its own
problem details for the client, and a 503 from one endpoint (say, one whose own dependency is
down) must not black out every other endpoint of that service. Quick answers do not tie up the
gateway's connection pool either, which is what the breaker protects.

States: closed → open after ``failure_threshold`` consecutive failures; open for
``open_seconds`` (callers are refused at once); then half-open, letting one trial request
through; its success closes the circuit, its failure opens it again for ``open_seconds``. A
trial that never reports (its caller was cancelled) is given up after ``open_seconds`` so the
circuit cannot stay stuck half-open. Time comes from an injectable clock, so tests drive it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    __slots__ = ("failure_threshold", "open_seconds", "_clock", "_failures", "_opened_at", "_trial_started_at")

    def __init__(
        self, *, failure_threshold: int, open_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if open_seconds <= 0:
            raise ValueError("open_seconds must be positive")
        self.failure_threshold = failure_threshold
        self.open_seconds = open_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None  # None while closed
        self._trial_started_at: float | None = None  # the half-open trial in flight, if any

    @property
    def closed(self) -> bool:
        return self._opened_at is None

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at < self.open_seconds:
            return CircuitState.OPEN
        return CircuitState.HALF_OPEN

    def allow(self) -> bool:
        """May a request go to the service now? In half-open, True once: the caller is the trial."""
        if self._opened_at is None:  # closed: the hot path, no clock read
            return True
        now = self._clock()
        if now - self._opened_at < self.open_seconds:
            return False
        if self._trial_started_at is not None and now - self._trial_started_at < self.open_seconds:
            return False  # another caller's trial is in flight
        self._trial_started_at = now
        return True

    def retry_after(self) -> int:
        """Whole seconds until a request may be let through again (at least 1), for ``Retry-After``."""
        if self._opened_at is None:
            return 1
        now = self._clock()
        remaining = self._opened_at + self.open_seconds - now
        if self._trial_started_at is not None:
            remaining = max(remaining, self._trial_started_at + self.open_seconds - now)
        return max(1, math.ceil(remaining))

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_started_at = None

    def record_failure(self) -> None:
        if self._opened_at is not None:
            if self._trial_started_at is not None:  # the trial failed: open for another period
                self._opened_at = self._clock()
                self._trial_started_at = None
            return  # a late failure of a request sent before the circuit opened changes nothing
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._opened_at = self._clock()

    def release_trial(self) -> None:
        """The half-open trial ended without an outcome (cancelled): let the next caller try."""
        self._trial_started_at = None
