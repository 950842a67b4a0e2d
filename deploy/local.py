"""``make run``: the whole platform on one machine.

With no ``<PREFIX>DATABASE_URL`` set, an embedded PostgreSQL 16 (pgserver) keeps its data under
``var/pgdata``. Then: create the five databases, migrate them, load the demo community, start the
gateway and the four services as separate uvicorn processes, wait until each is ready, print where
they are. Ctrl-C (or SIGTERM) stops every process and then the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from deploy import demo
from deploy.databases import ROOT, resolve_urls, shown
from deploy.processes import PROCESSES, ProcessSpec
from shared.migrate import upgrade

DEFAULT_PGDATA = ROOT / "var" / "pgdata"
READY_TIMEOUT = 60.0


def say(message: str) -> None:
    print(f"[run] {message}", flush=True)


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def spawn(spec: ProcessSpec, url: str, host: str, offset: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env[f"{spec.env_prefix}DATABASE_URL"] = url
    env.setdefault(f"{spec.env_prefix}PROFILE", "development")
    # An event loop and a few worker threads need no more malloc arenas than two; each thread's own arena
    # otherwise keeps what it once held (the idle memory in bench/README.md; the Dockerfile sets the same).
    env.setdefault("MALLOC_ARENA_MAX", "2")
    gateway = f"http://127.0.0.1:{8000 + offset}"
    env.setdefault(f"{spec.env_prefix}JWKS_URL", f"{gateway}/.well-known/jwks.json")
    env.setdefault(f"{spec.env_prefix}REVOCATIONS_URL", f"{gateway}/.well-known/revocations.json")
    upstreams = {
        other.name: f"http://127.0.0.1:{other.port + offset}" for other in PROCESSES if other.name != "gateway"
    }
    env.setdefault(f"{spec.env_prefix}SERVICE_URLS", json.dumps(upstreams))
    env.setdefault(f"{spec.env_prefix}GATEWAY_URL", gateway)
    env.setdefault(f"{spec.env_prefix}METRICS_PORT", str(metrics_port(spec, offset)))  # on loopback only
    command = [
        sys.executable, "-m", "uvicorn", "--factory", spec.app_factory,
        "--host", host, "--port", str(spec.port + offset),
        "--timeout-graceful-shutdown", "10", "--no-access-log", "--no-proxy-headers",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, preexec_fn=_die_with_parent)


def metrics_port(spec: ProcessSpec, offset: int) -> int:
    """Each process's Prometheus metrics, on a port of their own: its API port + 1000."""
    return spec.port + 1000 + offset


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the launcher dies, however it dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def wait_ready(specs: list[ProcessSpec], procs: dict[str, subprocess.Popen[bytes]], offset: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    pending = {spec.name: spec for spec in specs}
    while pending and time.monotonic() < deadline:
        for name, spec in list(pending.items()):
            if procs[name].poll() is not None:
                raise SystemExit(f"{name} exited with code {procs[name].returncode}; see its log above")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{spec.port + offset}/readyz", timeout=1) as response:
                    if response.status == 200:
                        del pending[name]
            except OSError:
                pass
        time.sleep(0.2)
    if pending:
        raise SystemExit(f"not ready after {READY_TIMEOUT:.0f} s: {', '.join(pending)}")


def stop_all(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


def banner(offset: int, *, with_demo: bool = True, pgdata: Path = DEFAULT_PGDATA) -> str:
    lines = ["", "The grid-governance platform is running:"]
    for spec in sorted(PROCESSES, key=lambda s: s.port):
        url = f"http://127.0.0.1:{spec.port + offset}"
        metrics = f"http://127.0.0.1:{metrics_port(spec, offset)}/metrics"
        lines.append(f"  {spec.name:<10} {url}   docs {url}/docs   metrics {metrics}")
    lines += ["", f"Clients use the gateway: http://127.0.0.1:{8000 + offset}/api/v1/...", ""]
    lines += [demo.ACCOUNTS_TABLE if with_demo else bootstrap_hint(pgdata), ""]
    lines.append("Ctrl-C stops every process and the database.")
    return "\n".join(lines)


def bootstrap_hint(pgdata: Path) -> str:
    """Without the demo there is no account yet: how to make the street's first administrator."""
    where = "" if pgdata.resolve() == DEFAULT_PGDATA.resolve() else f" --pgdata {shown(pgdata)}"
    return (
        "No accounts yet (started with --no-demo). In another terminal, create your street and its first\n"
        'street administrator (the password is printed once; README.md, "Starting your own street"):\n'
        f"  python -m deploy.bootstrap{where} --street-code 110105001 --street-name 示范街道 \\\n"
        "      --admin-username admin --admin-name 张三 --admin-phone 13800000000"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the whole platform locally.")
    parser.add_argument("--pgdata", type=Path, default=DEFAULT_PGDATA)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo community")
    parser.add_argument("--port-offset", type=int, default=0, help="add this to every port (tests use it)")
    parser.add_argument("--exit-when-ready", action="store_true", help="stop again once all are ready (smoke test)")
    args = parser.parse_args(argv)

    offset = args.port_offset
    busy = [
        f"{spec.name} :{port}"
        for spec in PROCESSES
        for port in (spec.port + offset, metrics_port(spec, offset))
        if not port_free(port)
    ]
    if busy:
        raise SystemExit(f"ports already in use: {', '.join(busy)} (is the platform already running?)")

    urls, server = resolve_urls(args.pgdata.resolve(), say=say, operator=False)
    for spec in PROCESSES:
        upgrade(spec.migrations, urls[spec.name])
    say("migrated: " + ", ".join(spec.name for spec in PROCESSES))
    if not args.no_demo:
        loaded = asyncio.run(demo.load_all(urls))
        say("demo community loaded: " + ", ".join(loaded))

    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    # Both, explicitly: a shell starting this in the background sets SIGINT to be ignored.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        for spec in PROCESSES:
            procs[spec.name] = spawn(spec, urls[spec.name], args.host, offset)
        wait_ready(list(PROCESSES), procs, offset)
        print(banner(offset, with_demo=not args.no_demo, pgdata=args.pgdata), flush=True)
        if args.exit_when_ready:
            return
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    raise SystemExit(f"{name} exited with code {proc.returncode}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping")
    finally:
        stop_all(procs)
        if server is not None:
            say("stopping PostgreSQL")
        # pgserver stops the embedded server when this, its last user, exits.


if __name__ == "__main__":
    main()
