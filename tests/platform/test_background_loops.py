"""Background loops fail loudly: a WARNING with the message and the traceback, ERROR when it keeps
failing; their last success and failures in the metrics; /readyz names one that has failed too long."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from shared.periodic import LOUD_AFTER, Periodic
from tests.conftest import AppFactory, ClientFactory


class Flaky:
    def __init__(self) -> None:
        self.fail = True
        self.runs = 0
        self.third_run = asyncio.Event()
        self.succeeded = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        if self.runs >= 3:
            self.third_run.set()
        if not self.fail:
            self.succeeded.set()
        else:
            raise ConnectionRefusedError(f"the orders service refused the delivery (run {self.runs})")


async def test_a_failure_is_a_warning_with_its_traceback_and_an_error_when_it_keeps_failing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = Flaky()
    loop = Periodic(job, interval=60, name="outbox relay")
    with caplog.at_level(logging.INFO, logger="shared.periodic"):
        for _ in range(LOUD_AFTER):
            assert await loop.run_once() is False
    records = [r for r in caplog.records if r.name == "shared.periodic"]
    assert [r.levelno for r in records] == [logging.WARNING] * (LOUD_AFTER - 1) + [logging.ERROR]
    first = records[0]
    assert "outbox relay" in first.getMessage() and "refused the delivery (run 1)" in first.getMessage()
    assert first.exc_info is not None and "ConnectionRefusedError" in caplog.text and "Traceback" in caplog.text
    job.fail = False
    assert await loop.run_once() is True
    assert loop.failures_in_a_row == 0 and loop.failures == LOUD_AFTER and loop.last_success is not None


async def test_the_metrics_and_readyz_show_a_failing_loop(client_for: ClientFactory, start_app: AppFactory) -> None:
    app = await start_app("grids")
    client = await client_for("grids")
    job = Flaky()
    loop = Periodic(job, interval=0.02, name="webhook dispatcher")
    settings = app.state.settings
    before = settings.loop_failing_seconds
    settings.loop_failing_seconds = 0.2
    loop.start()
    try:
        await asyncio.wait_for(job.third_run.wait(), 5)
        async with httpx.AsyncClient() as scraper:
            metrics = (await scraper.get(f"http://127.0.0.1:{settings.metrics_port}/metrics")).text
        (line,) = [
            li
            for li in metrics.splitlines()
            if li.startswith("background_loop_failures_total{") and 'loop="webhook dispatcher"' in li
        ]
        assert float(line.split()[-1]) >= 3
        assert 'background_loop_last_success_timestamp_seconds{loop="webhook dispatcher"' in metrics
        await asyncio.sleep(0.3)
        ready = await client.get("/readyz")
        assert ready.status_code == 200  # still routed to: the loop's failure is another process's outage
        body = ready.json()
        assert body["status"] == "degraded"
        (failing,) = [f for f in body["failing"] if f["loop"] == "webhook dispatcher"]
        assert "refused the delivery" in failing["last_error"] and failing["failures_in_a_row"] >= 3
        job.fail = False
        await asyncio.wait_for(job.succeeded.wait(), 5)
        await asyncio.sleep(0)  # the loop records the success once the job has returned
        after = (await client.get("/readyz")).json()  # other apps' loops of this test process may be failing
        assert after["status"] in ("ready", "degraded")
        assert "webhook dispatcher" not in [f["loop"] for f in after.get("failing", [])]
    finally:
        settings.loop_failing_seconds = before
        await loop.stop()
