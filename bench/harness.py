"""What every benchmark needs: a PostgreSQL server, free ports, a JWKS endpoint, uvicorn processes
that are always stopped again, and a place for the results."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LOGS = RESULTS / "logs"
EMBEDDED_PGDATA = ROOT / "var" / "bench-pg"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
BUSY_THRESHOLD = 0.25  # cores in use by others before a benchmark starts


@dataclass(frozen=True)
class Options:
    duration: float
    connections: int
    rows: int
    warmup: float
    strict: bool


def say(message: str) -> None:
    """Progress, on stderr: stdout holds only the figures."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Postgres:
    """``BENCH_DATABASE_URL`` (an admin URL) or an embedded server kept in ``pgdata`` (default
    ``var/bench-pg``; a benchmark that measures the server itself keeps one of its own)."""

    def __init__(self, pgdata: Path = EMBEDDED_PGDATA) -> None:
        self._server: Any = None
        url = os.environ.get("BENCH_DATABASE_URL")
        if url:
            self.admin_url = url
            self.kind = "BENCH_DATABASE_URL"
        else:
            from deploy.processes import connection_budget
            from shared.embedded import database_url, start_embedded

            say(f"starting embedded PostgreSQL in {pgdata.relative_to(ROOT)}")
            self._server = start_embedded(pgdata, max_connections=connection_budget())  # stops at exit
            self.admin_url = database_url(self._server, "postgres")
            self.kind = "embedded"

    def fresh_database(self, name: str) -> str:
        """Drop and create ``name``; return its URL."""
        from shared.embedded import ensure_databases_sync, replace_database

        ensure_databases_sync(self.admin_url, [name], fresh=True)
        return replace_database(self.admin_url, name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_json(path: str, document: dict[str, Any]) -> Iterator[str]:
    """A tiny HTTP server in a thread answering ``document`` at ``path``; yields its URL."""
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            if self.path != path:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="bench-json", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()


class Server:
    """A uvicorn process on a free loopback port."""

    def __init__(self, name: str, proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.name = name
        self.proc = proc
        self.port = port
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, path: str = "/livez") -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=1) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a timeout; only this process, by its id."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def uvicorn(
    name: str, app: str, env: dict[str, str], *, factory: bool = False, port: int | None = None
) -> Iterator[Server]:
    """Start ``app`` under uvicorn (the platform's flags) on ``port`` (default: a free one), wait
    until ``/livez`` answers, and stop it on leaving, whatever happened. Pass a port taken from
    :func:`free_port` when another process must know it before this one starts."""
    port = port or free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{name}.log"
    command = [sys.executable, "-m", "uvicorn"]
    if factory:
        command.append("--factory")
    command += [app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            command,
            env={**os.environ, **env},
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,  # a file, never an unread pipe: the service logs every request
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the harness, which stops it
        )
    server = Server(name, proc, port, log_path)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    return request_json(url, headers=headers)


def request_json(
    url: str, *, document: dict[str, Any] | None = None, headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, Any]:
    """GET, or POST ``document`` as JSON; (status, parsed body or text)."""
    data = json.dumps(document).encode() if document is not None else None
    all_headers = {**(headers or {}), **({"Content-Type": "application/json"} if data is not None else {})}
    request = urllib.request.Request(url, data=data, headers=all_headers, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, body.decode(errors="replace")


def background_cpu(seconds: float = 1.0) -> float:
    """CPU the machine spends before we load it, in cores: other work there makes the figures noisy."""
    import psutil

    busy = psutil.cpu_percent(interval=seconds) / 100 * (psutil.cpu_count() or 1)
    if busy > BUSY_THRESHOLD:
        say(f"WARNING: the machine is already busy ({busy:.0%} of a core): the figures will be noisy")
    return float(busy)


def environment() -> dict[str, Any]:
    commit = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "cpus": os.cpu_count(),
        "commit": commit,
    }


def write_result(name: str, report: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


def sign_in(gateway: Server, username: str, password: str) -> dict[str, str]:
    """The Authorization header of a password sign-in at the gateway."""
    status, body = request_json(
        gateway.base_url + "/api/v1/auth/login", document={"username": username, "password": password}
    )
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"sign-in as {username!r} answered {status}: {str(body)[:300]}\n{gateway.log_tail()}")
    return {"Authorization": f"Bearer {body['access_token']}"}


def process_env(name: str, database_url: str, bases: dict[str, str], services: dict[str, str]) -> dict[str, str]:
    """A process's settings as ``make run`` wires them: its database, the services' and gateway's
    addresses, the gateway's keys and revocations; quiet logs."""
    prefix = f"{name.upper()}_"
    return {
        f"{prefix}DATABASE_URL": database_url,
        f"{prefix}PROFILE": "development",
        f"{prefix}LOG_LEVEL": "WARNING",
        f"{prefix}SERVICE_URLS": json.dumps(services),
        f"{prefix}JWKS_URL": f"{bases['gateway']}/.well-known/jwks.json",
        f"{prefix}REVOCATIONS_URL": f"{bases['gateway']}/.well-known/revocations.json",
    }
