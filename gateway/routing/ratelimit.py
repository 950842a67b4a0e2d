"""Per-process fixed-window limits for writes through the gateway, per account and per IP.

In memory on purpose: they sit on the hot path of every write, and an approximate limit per
replica is what a flood needs. Login and SMS limits, which must hold across replicas, are in
PostgreSQL (``gateway.throttle``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class WindowLimiter:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._max_keys = max_keys

    def hit(self, key: str, limit: tuple[int, int]) -> int | None:
        """Count one request; the seconds to wait when over the limit, else None."""
        allowed, seconds = limit
        now = self._clock()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= seconds:
            started, count = now, 0
        count += 1
        self._windows[key] = (started, count)
        if len(self._windows) > self._max_keys:
            self._forget_expired(now, seconds)
        if count > allowed:
            return max(1, math.ceil(started + seconds - now))
        return None

    def _forget_expired(self, now: float, seconds: int) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < seconds}
