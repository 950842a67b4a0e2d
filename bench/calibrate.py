"""loadgen: the load generator's own ceiling, against the cheapest answer there is (the bare app's
``/livez``: no database). A benchmark whose server reaches this rate is measuring the load generator."""

from __future__ import annotations

from typing import Any

from bench.harness import Options, background_cpu, say, uvicorn
from bench.loadgen import run_load

NAME = "loadgen"


def run(options: Options) -> dict[str, Any]:
    background = background_cpu()
    say("bare app /livez: starting, loading")
    with uvicorn("calibrate", "bench.bare_app:app", {"BARE_DATABASE_URL": ""}) as server:
        result = run_load(
            server.base_url + "/livez",
            duration=options.duration,
            connections=options.connections,
            warmup=options.warmup,
            watch_pid=server.pid,
        )
    print(
        f"{NAME}: GET /livez on bare Starlette (no database), {options.connections} connections, {options.duration:g} s"
    )
    print(
        f"  {'ceiling':<24} {result.rps:8.1f} req/s  p50 {result.p50_ms:5.1f} ms  p99 {result.p99_ms:6.1f} ms"
        f"  errors {result.errors}  cpu server {result.server_cpu or 0:4.0%} loadgen {result.loadgen_cpu or 0:4.0%}"
        f" machine {result.machine_cpu or 0:4.0%}"
    )
    return {"name": NAME, "background_cpu": background, "result": result.to_dict(), "met": None}
