"""The run command as a new user meets it: embedded PostgreSQL, five real processes on loopback,
the demo community loaded once however often it runs, and a clean stop on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from deploy.local import metrics_port, port_free
from deploy.processes import PROCESSES, connection_budget
from tests.support import db

ROOT = Path(__file__).resolve().parents[2]
OFFSET = 20000  # keeps clear of a `make run` the developer may have going


def start(pgdata: Path) -> tuple[subprocess.Popen[str], list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.local", "--pgdata", str(pgdata), "--port-offset", str(OFFSET)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    output: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        output.append(line)
        if "Ctrl-C stops every process" in line:
            return proc, output
    proc.kill()
    raise AssertionError("the run command did not come up:\n" + "".join(output[-40:]))


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT) -> int:
    proc.send_signal(sig)
    try:
        returncode = proc.wait(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    return returncode


async def count_grids(pgdata: Path) -> int:
    return int(await db.value(f"postgresql://postgres@/grids?host={pgdata}", "SELECT count(*) FROM grid"))


@pytest.mark.e2e
@pytest.mark.no_db
async def test_run_command_brings_up_every_process_and_stops_cleanly(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    proc, output = start(pgdata)
    try:
        banner = "".join(output)
        assert "demo12345" in banner and "13900000001" in banner
        async with httpx.AsyncClient(timeout=5) as client:
            for spec in PROCESSES:
                base = f"http://127.0.0.1:{spec.port + OFFSET}"
                assert (await client.get(f"{base}/readyz")).json()["status"] == "ready"
                assert (await client.get(f"{base}/docs")).status_code == 200
                schema = (await client.get(f"{base}/openapi.json")).json()
                assert schema["info"]["title"]
                # Metrics on a port of their own, never on the API's nor through the gateway.
                assert (await client.get(f"{base}/metrics")).status_code == 404
                metrics = (await client.get(f"http://127.0.0.1:{metrics_port(spec, OFFSET)}/metrics")).text
                assert (
                    f'http_requests_total{{method="GET",route="unmatched",service="{spec.name}",status="404"}}'
                    in metrics
                )
            grid_paths = (await client.get(f"http://127.0.0.1:{8102 + OFFSET}/openapi.json")).json()["paths"]
            assert "/api/v1/grids" in grid_paths and "/api/v1/grids/{grid_code}" in grid_paths
        assert await count_grids(pgdata) == 4
        # Every process's pools fit: PostgreSQL's default of 100 would not hold them.
        allowed = int(await db.value(f"postgresql://postgres@/postgres?host={pgdata}", "SHOW max_connections"))
        assert allowed >= connection_budget() > 100
    finally:
        assert stop(proc) == 0
    assert all(port_free(spec.port + OFFSET) and port_free(metrics_port(spec, OFFSET)) for spec in PROCESSES)
    await asyncio.sleep(0.5)
    assert not (pgdata / "postmaster.pid").exists(), "the embedded PostgreSQL was left running"

    again, _ = start(pgdata)  # the data is kept and the demo is not loaded twice
    try:
        assert await count_grids(pgdata) == 4
    finally:
        assert stop(again, signal.SIGTERM) == 0
