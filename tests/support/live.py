"""The platform's processes as real uvicorn processes on loopback, for end-to-end tests and fuzzing.

Their tokens are verified against a JWKS served from this test process, so tests sign real ES256
tokens with :class:`shared.testing.TestKeys`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from deploy.processes import BY_NAME, PROCESSES, ProcessSpec
from shared.testing import TEST_ISSUER, TestKeys
from tests.support.loopback import LoopbackServer, QuietHandler

ROOT = Path(__file__).resolve().parents[2]


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, and SIGKILL after 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class JwksServer(LoopbackServer):
    """Serves a JWKS document over HTTP, as the gateway does for the services: the test keys, and
    the keys of a live gateway when there is one (so the services trust the gateway's tokens too)."""

    def __init__(self, document: dict[str, Any], also_from: Callable[[], str | None] = lambda: None) -> None:
        def current() -> bytes:
            keys = list(document["keys"])
            if (url := also_from()) is not None:
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        keys += json.load(response)["keys"]
                except OSError:
                    pass  # the gateway is not up yet: the test keys alone
            return json.dumps({"keys": keys}).encode()

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                body = current()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)
        self.url = f"{self.base_url}/.well-known/jwks.json"


class LiveProcess:
    def __init__(
        self,
        spec: ProcessSpec,
        database_url: str,
        jwks_url: str,
        extra_env: dict[str, str],
        port: int | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.spec = spec
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        prefix = spec.env_prefix
        env = {
            **os.environ,
            f"{prefix}DATABASE_URL": database_url,
            f"{prefix}PROFILE": "development",
            f"{prefix}JWKS_URL": jwks_url,
            f"{prefix}JWT_ISSUER": TEST_ISSUER,
            f"{prefix}LOG_LEVEL": "WARNING",
            **extra_env,
        }
        self._command = [
            sys.executable, "-m", "uvicorn", "--factory", spec.app_factory, "--host", "127.0.0.1",
            "--port", str(self.port), "--no-access-log",
        ]  # fmt: skip
        self._env = env
        self._preexec_fn = preexec_fn
        # A file, not a pipe: a pipe nobody reads would block a chatty process once it fills.
        self.log = tempfile.NamedTemporaryFile(prefix=f"{spec.name}-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = self._spawn(env, preexec_fn)

    def _spawn(self, env: dict[str, str], preexec_fn: Callable[[], None] | None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._command,
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec_fn,  # a test's resource limit, set in the child only
        )

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a node's loss ends a process: no shutdown at all."""
        self.proc.kill()
        self.proc.wait()

    def restart(self, extra_env: dict[str, str] | None = None, preexec_fn: Callable[[], None] | None = None) -> None:
        """Start the process again on the same port (after ``kill`` or ``stop``), with the settings it
        started with, and for this run only these too and this ``preexec_fn``."""
        assert self.proc.poll() is not None, "still running"
        self.proc = self._spawn({**self._env, **(extra_env or {})}, preexec_fn or self._preexec_fn)
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.spec.name} not ready after {timeout} s")

    def stop(self) -> None:
        stop_process(self.proc)


class LivePlatform:
    def __init__(self, keys: TestKeys, database_urls: dict[str, str]) -> None:
        self.keys = keys
        self.database_urls = database_urls
        self.jwks = JwksServer(keys.jwks, also_from=self._gateway_jwks)
        self.processes: dict[str, LiveProcess] = {}

    def _gateway_jwks(self) -> str | None:
        gateway = self.processes.get("gateway")
        return f"{gateway.base_url}/.well-known/jwks.json" if gateway else None

    def start(self, names: Iterable[str], extra_env: dict[str, str] | None = None) -> None:
        """Start the named processes; a gateway among them asks the services started with it for
        rosters, and signs with the issuer the services expect."""
        ports = {name: free_port() for name in names if name not in self.processes}
        upstreams = {name: f"http://127.0.0.1:{port}" for name, port in ports.items() if name != "gateway"}
        started = []
        for name, port in ports.items():
            env = dict(extra_env or {})
            env.setdefault(f"{BY_NAME[name].env_prefix}SERVICE_URLS", json.dumps(upstreams))
            if "gateway" in ports:
                env.setdefault(f"{BY_NAME[name].env_prefix}GATEWAY_URL", f"http://127.0.0.1:{ports['gateway']}")
            if name == "gateway":
                env.setdefault("GATEWAY_SERVICE_URLS", json.dumps(upstreams))
                env.setdefault("GATEWAY_PUBLIC_ISSUER", TEST_ISSUER)
            process = LiveProcess(BY_NAME[name], self.database_urls[name], self.jwks.url, env, port=port)
            self.processes[name] = process
            started.append(process)
        for process in started:
            process.wait_ready()

    def url(self, name: str) -> str:
        return self.processes[name].base_url

    def close(self) -> None:
        for process in self.processes.values():
            process.stop()
        self.jwks.close()


GATEWAY_ISSUER = "grid-platform-gateway"


class GatewayPlatform:
    """Real processes behind a real gateway, wired as ``make run`` wires them: the services trust the
    gateway's keys, know each other's addresses (calls on behalf of a caller, event deliveries), and
    their relays run; tokens come from signing in with the demo accounts."""

    def __init__(
        self, database_urls: dict[str, str], services: Iterable[str], extra_env: dict[str, str] | None = None
    ) -> None:
        names = list(services)
        self.database_urls = database_urls
        ports = {name: free_port() for name in ("gateway", *names)}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        # Services not started get an address nothing answers at: the gateway answers 502 for them.
        upstreams = {spec.name: urls.get(spec.name, f"http://127.0.0.1:{free_port()}") for spec in BY_NAME.values()}
        upstreams.pop("gateway")
        jwks = f"{urls['gateway']}/.well-known/jwks.json"
        self.processes: dict[str, LiveProcess] = {}
        for name in ("gateway", *names):
            spec = BY_NAME[name]
            prefix = spec.env_prefix
            env = {
                f"{prefix}JWT_ISSUER": GATEWAY_ISSUER,
                f"{prefix}SERVICE_URLS": json.dumps(upstreams),
                f"{prefix}GATEWAY_URL": urls["gateway"],
                f"{prefix}REVOCATIONS_URL": f"{urls['gateway']}/.well-known/revocations.json",
                f"{prefix}RELAY_INTERVAL_SECONDS": "0.2",
                **(extra_env or {}),
            }
            self.processes[name] = LiveProcess(spec, database_urls[name], jwks, env, port=ports[name])
        try:
            for process in self.processes.values():
                process.wait_ready()
        except BaseException:  # a timeout's too: no process outlives the test
            self.close()
            raise

    def url(self, name: str) -> str:
        return self.processes[name].base_url

    def close(self) -> None:
        for process in self.processes.values():
            process.stop()


@asynccontextmanager
async def demo_platform(
    database_urls: dict[str, str], services: Iterable[str], extra_env: dict[str, str] | None = None
) -> AsyncIterator[GatewayPlatform]:
    """The demo community loaded into the gateway and the named services, run as real processes
    behind a real gateway (whose processes a test may stop, kill and start again)."""
    from deploy.demo import load_process

    names = list(services)
    for spec in PROCESSES:  # in the order the demo's parts depend on each other
        if spec.name == "gateway" or spec.name in names:
            await load_process(spec, database_urls[spec.name])
    platform = GatewayPlatform(database_urls, names, extra_env)
    try:
        yield platform
    finally:
        platform.close()


@asynccontextmanager
async def demo_gateway(
    database_urls: dict[str, str], services: Iterable[str], extra_env: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """``demo_platform``'s processes; a client of the gateway."""
    async with (
        demo_platform(database_urls, services, extra_env) as platform,
        httpx.AsyncClient(base_url=platform.url("gateway"), timeout=30) as client,
    ):
        yield client


async def order_from_the_menu(client: httpx.AsyncClient, resident: dict[str, str], name: str) -> dict[str, Any]:
    """The resident orders the service named ``name`` on the menu; the order (placed)."""
    menu = (await client.get("/api/v1/menu", headers=resident)).json()["items"]
    item = next(i for i in menu if i["name"] == name)
    answer = await client.post("/api/v1/orders", json={"kind": "service", "menu_item_id": item["id"]}, headers=resident)
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()
    return order
