"""gateway: the same grids request sent through the gateway and straight to the grids service.

The design budget (ARCHITECTURE.md): through the gateway, at least 50 % of the throughput of calling
the service directly. Both processes are the real ones, wired as ``deploy/local.py`` wires them (the
gateway routes ``/api/v1/grids`` to the service; the service takes its keys and revocations from the
gateway), and both run during both measurements, so the two share the machine alike. The token is
the gateway's own, from signing in as the demo street admin.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bench.fastlane import MAX_ROWS, PAGE, load_grids
from bench.harness import Options, Postgres, Server, background_cpu, free_port, get_json, request_json, say, uvicorn
from bench.loadgen import LoadResult, run_load

NAME = "gateway"
TARGET = 0.50
GATEWAY_DATABASE = "bench_gateway"
GRIDS_DATABASE = "bench_grids"
USERNAME = "street"  # the demo street admin, bound to street 110105001 (gateway/demo.py)
TOKEN_MARGIN = 60.0  # sign in again when the token has less than a measurement and this left


class _SignIn:
    """The demo street admin's access token from the gateway, renewed when it would expire mid-run."""

    def __init__(self, gateway: Server, password: str) -> None:
        self.gateway = gateway
        self.password = password
        self.token = ""
        self.expires_at = 0.0

    def headers(self, needed_seconds: float = 0.0) -> dict[str, str]:
        if time.monotonic() + needed_seconds + TOKEN_MARGIN > self.expires_at:
            status, body = request_json(
                self.gateway.base_url + "/api/v1/auth/login", document={"username": USERNAME, "password": self.password}
            )
            if status != 200 or not isinstance(body, dict) or "access_token" not in body:
                raise RuntimeError(f"gateway: sign-in as {USERNAME!r} answered {status}: {str(body)[:500]}")
            self.token = body["access_token"]
            self.expires_at = time.monotonic() + float(body.get("expires_in", 900))
        return {"Authorization": f"Bearer {self.token}"}


def _check(label: str, server: Server, path: str, headers: dict[str, str], logs: list[Server]) -> list[Any]:
    """One request before measuring: 200, a full page and a cursor. Returns the items served."""
    status, body = get_json(server.base_url + path, headers)
    if status != 200 or not isinstance(body, dict) or len(body.get("items", [])) != PAGE or not body["next_cursor"]:
        tails = "\n".join(f"--- {s.name} log ---\n{s.log_tail()}" for s in logs)
        raise RuntimeError(f"{label}: GET {path} answered {status}: {str(body)[:500]}\n{tails}")
    items: list[Any] = body["items"]
    return items


def _line(label: str, result: LoadResult) -> str:
    cpu = ""
    gateway, grids = result.watched_cpu.get("gateway"), result.watched_cpu.get("grids")
    if gateway is not None and grids is not None and result.loadgen_cpu is not None:
        cpu = f"  cpu gateway {gateway:4.0%} grids {grids:4.0%} loadgen {result.loadgen_cpu:4.0%}"
        if result.machine_cpu is not None:
            cpu += f" machine {result.machine_cpu:4.0%}"
        cpu += (
            f"  cpu/req gateway {result.cpu_per_request_us('gateway') or 0:4.0f} us"
            f" grids {result.cpu_per_request_us('grids') or 0:4.0f} us"
        )
    return (
        f"  {label:<24} {result.rps:8.1f} req/s  p50 {result.p50_ms:5.1f} ms  p99 {result.p99_ms:6.1f} ms"
        f"  errors {result.errors}{cpu}"
    )


def _two_ports() -> tuple[int, int]:
    first = free_port()
    while (second := free_port()) == first:
        pass
    return first, second


def run(options: Options) -> dict[str, Any]:
    from deploy.demo import PASSWORD, load_process
    from deploy.processes import BY_NAME
    from shared.demo import STREET
    from shared.migrate import upgrade

    if not PAGE + 1 <= options.rows <= MAX_ROWS:
        raise SystemExit(f"--rows must be {PAGE + 1}..{MAX_ROWS}: the check wants a full page and a cursor")

    postgres = Postgres()
    grids_db = postgres.fresh_database(GRIDS_DATABASE)
    gateway_db = postgres.fresh_database(GATEWAY_DATABASE)
    upgrade(BY_NAME["grids"].migrations, grids_db)
    upgrade(BY_NAME["gateway"].migrations, gateway_db)
    say(f"loading {options.rows} grids into {GRIDS_DATABASE} and the demo community ({postgres.kind})")
    street = asyncio.run(load_grids(grids_db, options.rows))  # first street = the demo street
    if street != STREET:
        raise RuntimeError(f"the loaded table starts with street {street}, the street admin's is {STREET}")
    asyncio.run(load_process(BY_NAME["grids"], grids_db))  # adds nothing the table has already
    asyncio.run(load_process(BY_NAME["gateway"], gateway_db))

    path = f"/api/v1/grids?street_code={street}&limit={PAGE}"
    background = background_cpu()
    gateway_port, grids_port = _two_ports()
    gateway_base = f"http://127.0.0.1:{gateway_port}"
    grids_base = f"http://127.0.0.1:{grids_port}"
    gateway_env = {
        "GATEWAY_DATABASE_URL": gateway_db,
        "GATEWAY_PROFILE": "development",
        # Only grids is asked for; the other services are never reached, so they point there too.
        "GATEWAY_SERVICE_URLS": json.dumps(dict.fromkeys(("residents", "grids", "orders", "jobs"), grids_base)),
        "GATEWAY_LOG_LEVEL": "WARNING",
    }
    grids_env = {
        "GRIDS_DATABASE_URL": grids_db,
        "GRIDS_PROFILE": "development",
        "GRIDS_JWKS_URL": f"{gateway_base}/.well-known/jwks.json",
        "GRIDS_REVOCATIONS_URL": f"{gateway_base}/.well-known/revocations.json",
        "GRIDS_LOG_LEVEL": "WARNING",
    }

    say("gateway and grids service: starting, signing in, checking")
    with (
        uvicorn("hop-gateway", "gateway.app:create_app", gateway_env, factory=True, port=gateway_port) as gateway,
        uvicorn("hop-grids", "services.grids.app:create_app", grids_env, factory=True, port=grids_port) as grids,
    ):
        both = [gateway, grids]
        sign_in = _SignIn(gateway, PASSWORD)
        direct_items = _check("grids service (direct)", grids, path, sign_in.headers(), both)
        through_items = _check("gateway", gateway, path, sign_in.headers(), both)
        if through_items != direct_items:
            raise RuntimeError("the gateway and the service answered different pages to the same request")

        def load(server: Server) -> LoadResult:
            headers = sign_in.headers(options.warmup + options.duration + 30)
            return run_load(
                server.base_url + path,
                headers=headers,
                duration=options.duration,
                connections=options.connections,
                warmup=options.warmup,
                watch_pid=server.pid,
                watch={"gateway": gateway.pid, "grids": grids.pid},
            )

        say("loading the grids service directly")
        direct = load(grids)
        say("loading through the gateway")
        through = load(gateway)

    ratio = through.rps / direct.rps if direct.rps else 0.0
    met = ratio >= TARGET and direct.errors == 0 and through.errors == 0
    print(
        f"{NAME}: GET /api/v1/grids through the gateway vs straight to the grids service, {options.rows} rows, "
        f"{options.connections} connections, {options.duration:g} s"
    )
    print(_line("direct to service", direct))
    print(_line("through gateway", through))
    verdict = "met" if met else "NOT MET"
    cost = ""
    hop = through.cpu_per_request_us("gateway")
    if hop is not None:
        cost = f"; the hop costs {hop:.0f} us of gateway cpu per request"
    print(f"  {'ratio gateway/direct':<24} {ratio:8.2f}  (target >= {TARGET:.2f}) {verdict}{cost}")
    for label, result in (("direct", direct), ("through gateway", through)):
        if result.errors:
            print(f"  {label}: {result.errors} errors, e.g. {result.error_sample}; statuses {result.statuses}")
    return {
        "name": NAME,
        "endpoint": path,
        "street": street,
        "rows": options.rows,
        "database": postgres.kind,
        "same_items": True,
        "background_cpu": background,
        "direct": direct.to_dict(),
        "through_gateway": through.to_dict(),
        "ratio": ratio,
        "target": TARGET,
        "met": met,
    }
