"""A coroutine run every so often in the background of a process, until the process stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self, job: Callable[[], Awaitable[None]], *, interval: float, name: str, first_delay: float = 0
    ) -> None:
        self.job = job
        self.interval = interval
        self.name = name
        self.first_delay = first_delay
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        await asyncio.sleep(self.first_delay)
        while True:
            try:
                await self.job()
            except Exception as exc:  # noqa: BLE001 - keep what we had, try again next time
                log.info("%s failed: %s", self.name, type(exc).__name__)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
