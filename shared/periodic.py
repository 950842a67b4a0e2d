"""A coroutine run every so often in the background of a process, until the process stops.

The loops (event relays, the webhook dispatcher, the SLA scheduler, the key reload, the revocation
polls, the notification listener) fail loudly: a failure is logged at WARNING with its message and
traceback, at ERROR from the ``LOUD_AFTER``-th in a row on; each loop's last success and failures are
in the process's metrics (``background_loop_last_success_timestamp_seconds``,
``background_loop_failures_total``), and ``/readyz`` names a loop that has failed for longer than
``<PREFIX>LOOP_FAILING_SECONDS`` (docs/OPERATIONS.md, "Background loops").
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)
LOUD_AFTER = 3  # failures in a row from which each is logged at ERROR

# The loops running in this process (one app per process in production; the tests' apps share it).
RUNNING: weakref.WeakSet[Periodic] = weakref.WeakSet()


class Periodic:
    def __init__(
        self, job: Callable[[], Awaitable[None]], *, interval: float, name: str, first_delay: float = 0
    ) -> None:
        self.job = job
        self.interval = interval
        self.name = name
        self.first_delay = first_delay
        self._task: asyncio.Task[None] | None = None
        self.started_at: float | None = None  # wall clock, seconds
        self.last_success: float | None = None
        self.failures = 0  # since the start
        self.failures_in_a_row = 0
        self.failing_since: float | None = None  # the first failure of the current run of failures
        self.last_error: str | None = None

    async def run_once(self) -> bool:
        """One run of the job, its outcome recorded and logged; whether it succeeded."""
        try:
            await self.job()
        except Exception as exc:  # noqa: BLE001 - keep what we had, try again next time
            self._failed(exc)
            return False
        self.last_success = time.time()
        self.failures_in_a_row = 0
        self.failing_since = None
        self.last_error = None
        return True

    def _failed(self, exc: Exception) -> None:
        self.failures += 1
        self.failures_in_a_row += 1
        if self.failing_since is None:
            self.failing_since = time.time()
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        level = logging.ERROR if self.failures_in_a_row >= LOUD_AFTER else logging.WARNING
        log.log(
            level,
            "%s failed (%d in a row): %s",
            self.name,
            self.failures_in_a_row,
            self.last_error,
            exc_info=exc,
            extra={"event": "background_failure", "loop": self.name, "in_a_row": self.failures_in_a_row},
        )

    def failing_for(self, now: float | None = None) -> float:
        """Seconds this loop has been failing without a success in between; 0 when it is not."""
        if self.failing_since is None:
            return 0.0
        return (now or time.time()) - self.failing_since

    def state(self) -> dict[str, Any]:
        return {
            "loop": self.name,
            "failing_for_seconds": round(self.failing_for(), 1),
            "failures_in_a_row": self.failures_in_a_row,
            "last_success": self.last_success,
            "last_error": self.last_error,
        }

    async def _run(self) -> None:
        await asyncio.sleep(self.first_delay)
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self.started_at = time.time()
        RUNNING.add(self)
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        RUNNING.discard(self)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def failing(longer_than: float) -> list[Periodic]:
    """The running loops that have failed, with no success since, for longer than ``longer_than`` s."""
    now = time.time()
    return sorted((loop for loop in RUNNING if loop.failing_for(now) > longer_than), key=lambda loop: loop.name)
