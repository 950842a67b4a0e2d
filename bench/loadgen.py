"""The load generator: ``connections`` keep-alive workers looping GETs for a fixed time.

It runs in a process of its own (:func:`run_load` starts ``python -m bench.loadgen`` and reads the
JSON it prints), on uvloop when available, so that it does not share an interpreter with the
harness. Each worker sends one request at a time on its own connection (aiohttp connector limited to
``connections``). After ``warmup`` seconds, which are not counted, every request that completes inside
the measuring window is counted, with its latency; non-2xx answers and exceptions are errors.

It also reports its own CPU use over the window, and that of ``--watch-pid`` (the server under
load) and of every ``--watch NAME=PID`` (other processes the request goes through, e.g. a gateway's
upstream): a load generator near 100 % of a core is a bottleneck, and the figures are then a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

DEFAULT_WARMUP = 2.0


@dataclass
class LoadResult:
    url: str
    connections: int
    seconds: float  # length of the measuring window
    requests: int  # completed inside the window, errors included
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    statuses: dict[str, int] = field(default_factory=dict)
    error_sample: str | None = None
    loadgen_cpu: float | None = None  # share of one core, 1.0 = 100 %
    server_cpu: float | None = None
    machine_cpu: float | None = None  # all processes, in cores: compare with server + loadgen + database
    watched_cpu: dict[str, float | None] = field(default_factory=dict)  # --watch NAME=PID, share of one core

    @property
    def server_cpu_per_request_us(self) -> float | None:
        """Server CPU time per answered request, in µs: steadier than req/s on a shared machine."""
        if self.server_cpu is None or not self.requests:
            return None
        return self.server_cpu * self.seconds / self.requests * 1e6

    def cpu_per_request_us(self, name: str) -> float | None:
        """CPU time per answered request of the ``--watch`` process ``name``, in µs."""
        cpu = self.watched_cpu.get(name)
        if cpu is None or not self.requests:
            return None
        return cpu * self.seconds / self.requests * 1e6

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadResult:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "server_cpu_per_request_us": self.server_cpu_per_request_us,
            "watched_cpu_per_request_us": {name: self.cpu_per_request_us(name) for name in self.watched_cpu},
        }


class _Window:
    """What the workers record; only requests completing in ``[start, end]`` count."""

    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.end = end
        self.latencies: list[float] = []
        self.errors = 0
        self.statuses: dict[str, int] = {}
        self.error_sample: str | None = None

    def record(self, began: float, done: float, status: str, ok: bool, error: str | None) -> None:
        if not self.start <= done <= self.end:
            return
        self.latencies.append(done - began)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if not ok:
            self.errors += 1
            if self.error_sample is None:
                self.error_sample = error or status


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def _cpu_seconds_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_seconds_machine() -> float | None:
    try:
        import psutil

        times = psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))
    except Exception:  # noqa: BLE001 - the figure is informative only
        return None


def _cpu_seconds_of(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        import psutil

        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    except Exception:  # noqa: BLE001 - the figure is informative only
        return None


async def _generate(
    url: str,
    headers: dict[str, str],
    duration: float,
    connections: int,
    warmup: float,
    watch_pid: int | None,
    watch: dict[str, int],
    method: str = "GET",
    body: bytes | None = None,
) -> LoadResult:
    import aiohttp

    connector = aiohttp.TCPConnector(
        limit=connections, limit_per_host=connections, force_close=False, ttl_dns_cache=None
    )
    timeout = aiohttp.ClientTimeout(total=30)
    loop_start = time.perf_counter()
    window = _Window(loop_start + warmup, loop_start + warmup + duration)

    async def worker(session: aiohttp.ClientSession) -> None:
        while True:
            began = time.perf_counter()
            if began >= window.end:
                return
            try:
                async with session.request(method, url, headers=headers, data=body) as response:
                    await response.read()
                    status = response.status
                ok, error = 200 <= status < 300, None
                label = str(status)
            except Exception as exc:  # noqa: BLE001 - every failure is an error, and the loop goes on
                ok, error, label = False, f"{type(exc).__name__}: {exc}", "exception"
                await asyncio.sleep(0.01)  # do not spin on a refused connection
            window.record(began, time.perf_counter(), label, ok, error)

    watched = list(watch.items())

    def cpu_now() -> list[float | None]:
        own: list[float | None] = [_cpu_seconds_self(), _cpu_seconds_of(watch_pid), _cpu_seconds_machine()]
        return own + [_cpu_seconds_of(pid) for _, pid in watched]

    async def sample_cpu() -> list[tuple[float | None, float | None]]:
        """(start, end) CPU seconds of this process, the server, the machine and the watched
        processes over the window."""
        await asyncio.sleep(max(0.0, window.start - time.perf_counter()))
        start = cpu_now()
        await asyncio.sleep(max(0.0, window.end - time.perf_counter()))
        end = cpu_now()
        return list(zip(start, end, strict=True))

    async with aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
    ) as session:
        sampler = asyncio.create_task(sample_cpu())
        await asyncio.gather(*(worker(session) for _ in range(connections)))
        own, server, machine, *others = [
            (end - start) / duration if start is not None and end is not None else None for start, end in await sampler
        ]

    latencies = sorted(window.latencies)
    count = len(latencies)
    return LoadResult(
        url=url,
        connections=connections,
        seconds=duration,
        requests=count,
        errors=window.errors,
        rps=count / duration,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        mean_ms=(sum(latencies) / count * 1000) if count else 0.0,
        max_ms=(latencies[-1] * 1000) if count else 0.0,
        statuses=window.statuses,
        error_sample=window.error_sample,
        loadgen_cpu=own,
        server_cpu=server,
        machine_cpu=machine,
        watched_cpu={name: cpu for (name, _), cpu in zip(watched, others, strict=True)},
    )


def generate(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    duration: float,
    connections: int,
    warmup: float = DEFAULT_WARMUP,
    watch_pid: int | None = None,
    watch: dict[str, int] | None = None,
    method: str = "GET",
    body: bytes | None = None,
) -> LoadResult:
    """Run the load in this process (what the ``python -m bench.loadgen`` child does)."""
    try:
        import uvloop
    except ImportError:
        runner: Any = asyncio.run
    else:
        runner = uvloop.run
    result: LoadResult = runner(
        _generate(url, headers or {}, duration, connections, warmup, watch_pid, watch or {}, method, body)
    )
    return result


def run_load(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    duration: float,
    connections: int,
    warmup: float = DEFAULT_WARMUP,
    watch_pid: int | None = None,
    watch: dict[str, int] | None = None,
    method: str = "GET",
    json_body: Any = None,
) -> LoadResult:
    """Run the load generator in a child process and return its figures; the child is stopped if
    this is interrupted. ``json_body``: sent with every request (e.g. a POST that creates something)."""
    command = [
        sys.executable, "-m", "bench.loadgen", url,
        "--duration", str(duration), "--connections", str(connections), "--warmup", str(warmup),
    ]  # fmt: skip
    if watch_pid is not None:
        command += ["--watch-pid", str(watch_pid)]
    for name, pid in (watch or {}).items():
        command += ["--watch", f"{name}={pid}"]
    if method != "GET":
        command += ["--method", method]
    request = json.dumps({"headers": headers or {}, "body": json_body})  # on stdin: no token on a command line
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # Ctrl-C reaches the harness, which stops the child itself
        text=True,
    )
    try:
        out, err = proc.communicate(request, timeout=warmup + duration + 60)
    except BaseException:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed (exit {proc.returncode}):\n{err.strip()}")
    return LoadResult.from_dict(json.loads(out.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="HTTP GET load generator; prints its figures as JSON.")
    parser.add_argument("url")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=DEFAULT_WARMUP, help="seconds of load not counted")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--method", default="GET", help="GET (default) or POST with the stdin's JSON body")
    parser.add_argument("--watch-pid", type=int, help="also report this process's CPU use")
    parser.add_argument(
        "--watch", action="append", default=[], metavar="NAME=PID", help="also report this process's CPU, repeatable"
    )
    args = parser.parse_args(argv)
    headers: dict[str, str] = {}
    body: bytes | None = None
    if not sys.stdin.isatty():
        request = json.loads(sys.stdin.read() or "{}")
        headers.update(request.get("headers", {}))
        if request.get("body") is not None:
            body = json.dumps(request["body"]).encode()
            headers.setdefault("Content-Type", "application/json")
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    watch: dict[str, int] = {}
    for item in args.watch:
        name, _, pid = item.partition("=")
        if not name or not pid.isdigit():
            parser.error(f"--watch wants NAME=PID, not {item!r}")
        watch[name] = int(pid)
    result = generate(
        args.url,
        headers=headers,
        duration=args.duration,
        connections=args.connections,
        warmup=args.warmup,
        watch_pid=args.watch_pid,
        watch=watch,
        method=args.method,
        body=body,
    )
    sys.stdout.write(json.dumps(asdict(result)) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
