"""reads: every hot read of the platform against a bare handler running the same statements.

The platform as ``make run`` starts it (``deploy.local``'s own ``spawn``, ``wait_ready`` and
``stop_all``; ``deploy.demo.load_all``): the five processes as real uvicorn processes with make run's
flags and settings (INFO logs, a line per request, into ``bench/results/logs/reads-<process>.log``), on
free loopback ports, on databases of their own (``bench_reads_<process>``) of an embedded PostgreSQL
kept in ``var/bench-reads-pg`` (or ``BENCH_DATABASE_URL``), the demo community loaded.

For each read of :data:`READS` (a line each), with the demo token of its caller (a resident signs in
by SMS, the code read from the gateway's log as the development SMS sender writes it there):

1. the service must answer 200 (the item count is kept);
2. the statements the service runs for it are recorded from its own code: a child process builds the
   service's app with the running process's settings, wraps asyncpg's connection and prepared-statement
   calls, drives the request through the app (after one unrecorded request), and keeps each statement
   (text, arguments, connection, and whether it ran on the fast lane, the ORM session or is a
   transaction's BEGIN/COMMIT) and every call to another process. A read that runs no fast-lane
   statement is "not on the fast lane";
3. the service (straight, not through the gateway) and ``bench/bare_reads.py`` (Starlette, asyncpg,
   orjson, running those statements in order) are loaded in turn by ``bench/loadgen.py``; the ratio of
   their throughputs is the verdict (target >= 0.5).

Then, the load over and the fast lane's idle connections closed (``FASTLANE_IDLE_SECONDS``), the
platform's idle memory: the PSS of the five processes and of PostgreSQL with all its processes (target:
under 500 MiB in all).

``--only reads-scale``: the same platform with 1,000,000 orders and 5,000,000 visits more (COPY, as the
residents benchmark loads its million), then the order lists (staff, ``mine``) and the visit list (gw1)
with one client (p99 < 20 ms) and at ``--connections`` against the bare handler (the ratio).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import pickle
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from bench.bare_reads import METHODS, Answer, Step
from bench.harness import (
    LOGS,
    ROOT,
    Options,
    Postgres,
    Server,
    background_cpu,
    request_json,
    say,
    uvicorn,
)
from bench.loadgen import LoadResult, run_load
from shared.settings import ProcessSettings

NAME = "reads"
SCALE_NAME = "reads-scale"
PGDATA = ROOT / "var" / "bench-reads-pg"
DATABASE_PREFIX = "bench_reads_"
TARGET_RATIO = 0.5
MEMORY_TARGET_MIB = 500.0
IDLE_SECONDS = 5.0  # after start-up, before the memory is read
# After the load: the fast lane's idle connections close after FASTLANE_IDLE_SECONDS; idle is after that.
IDLE_AFTER_LOAD_SECONDS = ProcessSettings.model_fields["fastlane_idle_seconds"].default + 5.0
SCALE_ORDERS = 1_000_000
SCALE_VISITS = 5_000_000
SCALE_P99_MS = 20.0
SCALE_YEARS = 3  # the loaded orders and visits spread over the last three years
RESIDENT = "13900000001"  # the demo resident, signed in by SMS
SMS_CODE = re.compile(r"development SMS: login code (\d{6}) for ([0-9*]+)")
RECORD_TIMEOUT = 180.0


@dataclass(frozen=True)
class Read:
    """One read: ``path`` may hold ``{id}`` (the first item's id of the read ``id_from``) and the
    names of :data:`FILLERS`."""

    key: str  # the bare handler's /r/<key>
    service: str  # the process that serves it (deploy.processes names)
    caller: str  # a demo login; "resident" is RESIDENT signed in by SMS
    path: str
    id_from: str | None = None

    @property
    def label(self) -> str:
        return f"GET {self.path} ({self.caller})"


READS: tuple[Read, ...] = (
    Read("orders", "orders", "staff", "/api/v1/orders"),
    Read("orders-mine", "orders", "pm1", "/api/v1/orders?mine=true"),
    Read("orders-grabbable", "orders", "pm1", "/api/v1/orders?grabbable=true"),
    Read("orders-own", "orders", "resident", "/api/v1/orders"),
    Read("order", "orders", "staff", "/api/v1/orders/{id}", id_from="orders"),
    Read("cases-department", "orders", "cg1", "/api/v1/orders?kind=issue"),
    Read("cases-red", "orders", "staff", "/api/v1/orders?kind=issue&light=red"),
    Read("case-classes", "orders", "gw1", "/api/v1/case-classes"),
    Read("visits", "grids", "gw1", "/api/v1/visits"),
    Read("visit", "grids", "gw1", "/api/v1/visits/{id}", id_from="visits"),
    Read("residents", "residents", "gw1", "/api/v1/residents"),
    Read("residents-pinyin", "residents", "gw1", "/api/v1/residents?q={initials}"),
    Read("resident", "residents", "gw1", "/api/v1/residents/{id}", id_from="residents"),
    Read("notices", "grids", "resident", "/api/v1/notices"),
    Read("activities-open", "grids", "resident", "/api/v1/activities?open=true"),
    Read("members", "grids", "staff", "/api/v1/members"),
    Read("linked-households", "grids", "pm1", "/api/v1/members/me/households"),
    Read("postings", "jobs", "resident", "/api/v1/postings"),
    Read("posting", "jobs", "resident", "/api/v1/postings/{id}", id_from="postings"),
    Read("notifications", "gateway", "pm1", "/api/v1/me/notifications"),
    Read("points-me", "orders", "pm1", "/api/v1/points/me"),
    Read("leaderboard", "orders", "staff", "/api/v1/points/leaderboard"),
    Read("me", "gateway", "gw1", "/api/v1/me"),
    Read("grids", "grids", "street", "/api/v1/grids"),
)
SCALE_READS = ("orders", "orders-mine", "visits")


def _initials(answers: dict[str, Any]) -> str:
    """The pinyin initials of the first resident gw1's list shows (``zs`` for 张三)."""
    from services.residents.people import name_keys

    return name_keys(answers["residents"]["items"][0]["name"])[1]


FILLERS: dict[str, Callable[[dict[str, Any]], str]] = {"initials": _initials}


def fill(read: Read, answers: dict[str, Any]) -> str:
    """The read's path with its placeholders filled from the answers of the reads before it."""
    values: dict[str, str] = {}
    if read.id_from is not None:
        items = answers.get(read.id_from, {}).get("items") or []
        if not items:
            raise LookupError(f"{read.id_from} listed nothing to take an id from")
        values["id"] = str(items[0]["id"])
    for name, filler in FILLERS.items():
        if "{" + name + "}" in read.path:
            values[name] = urllib.parse.quote(filler(answers))
    return read.path.format(**values)


def item_count(body: Any) -> int:
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return len(body["items"])
    if isinstance(body, list):
        return len(body)
    return 1


# -- the platform, as make run starts it ------------------------------------------------------------


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """This process's stdout and stderr go to ``path`` while a child is spawned, so that the child
    (``deploy.local.spawn`` lets it inherit them) logs there and not among the figures."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("wb") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _free_offset(rng: random.Random) -> int:
    """A port offset at which the five processes' ports (make run's plus the offset) are all free."""
    from deploy.local import port_free
    from deploy.processes import PROCESSES

    for _ in range(200):
        offset = rng.randrange(12_000, 56_000, 10)
        if all(port_free(spec.port + offset) for spec in PROCESSES):
            return offset
    raise RuntimeError("no free ports for the platform")


@dataclass
class Platform:
    urls: dict[str, str]
    offset: int
    procs: dict[str, subprocess.Popen[bytes]]

    def base(self, name: str) -> str:
        from deploy.processes import BY_NAME

        return f"http://127.0.0.1:{BY_NAME[name].port + self.offset}"

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    def log(self, name: str) -> Path:
        return LOGS / f"reads-{name}.log"

    def log_tail(self, name: str, lines: int = 20) -> str:
        try:
            return "\n".join(self.log(name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextmanager
def platform(postgres: Postgres) -> Iterator[Platform]:
    """``make run`` on databases of our own: migrate, load the demo, spawn the five processes with
    deploy.local's code, wait until each is ready; stop them all on leaving."""
    from deploy import demo, local
    from deploy.processes import PROCESSES
    from shared.migrate import upgrade

    urls = {spec.name: postgres.fresh_database(DATABASE_PREFIX + spec.name) for spec in PROCESSES}
    say(f"migrating and loading the demo community ({postgres.kind})")
    for spec in PROCESSES:
        upgrade(spec.migrations, urls[spec.name])
    asyncio.run(demo.load_all(urls))
    offset = _free_offset(random.Random())
    LOGS.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    started = Platform(urls, offset, procs)
    try:
        for spec in PROCESSES:
            with _output_to(started.log(spec.name)):
                procs[spec.name] = local.spawn(spec, urls[spec.name], "127.0.0.1", offset)
        try:
            local.wait_ready(list(PROCESSES), procs, offset)
        except SystemExit as exc:
            tails = "\n".join(f"--- {name}:\n{started.log_tail(name)}" for name in procs)
            raise RuntimeError(f"the platform did not start: {exc}\n{tails}") from None
        say(f"platform ready at port offset {offset} (gateway {started.base('gateway')})")
        yield started
    finally:
        local.stop_all(procs)


# -- callers -----------------------------------------------------------------------------------------


class Caller:
    """A demo user's token from the gateway, renewed with the refresh token before it would expire."""

    def __init__(self, platform: Platform, login: str) -> None:
        self.platform = platform
        self.login = login
        self._access = ""
        self._refresh = ""
        self._expires = 0.0
        self._take(self._sign_in())

    def _take(self, pair: dict[str, Any]) -> None:
        self._access, self._refresh = pair["access_token"], pair["refresh_token"]
        self._expires = time.monotonic() + float(pair.get("expires_in", 900))

    def _post(self, path: str, document: dict[str, Any], expect: int = 200) -> Any:
        status, body = request_json(self.platform.base("gateway") + path, document=document)
        if status != expect:
            raise RuntimeError(f"{path} for {self.login} answered {status}: {str(body)[:300]}")
        return body

    def _sign_in(self) -> dict[str, Any]:
        from deploy.demo import PASSWORD

        if self.login != "resident":
            return dict(self._post("/api/v1/auth/login", {"username": self.login, "password": PASSWORD}))
        # A resident signs in by SMS; the development sender writes the code to the gateway's log.
        self._post("/api/v1/auth/sms-code", {"phone": RESIDENT}, expect=202)
        code = sms_code_from_log(self.platform.log("gateway"), RESIDENT)
        return dict(self._post("/api/v1/auth/sms-login", {"phone": RESIDENT, "code": code}))

    def headers(self, valid_for: float = 60.0) -> dict[str, str]:
        if time.monotonic() + valid_for + 30 > self._expires:
            self._take(self._post("/api/v1/auth/refresh", {"refresh_token": self._refresh}))
        return {"Authorization": f"Bearer {self._access}"}


def sms_code_from_log(log: Path, phone: str, timeout: float = 10.0) -> str:
    """The last login code the development SMS sender logged for ``phone`` (masked in the log)."""
    from shared.pii import mask_phone

    masked = mask_phone(phone)
    deadline = time.monotonic() + timeout
    while True:
        codes = [
            match.group(1) for match in SMS_CODE.finditer(log.read_text(errors="replace")) if match.group(2) == masked
        ]
        if codes:
            return codes[-1]
        if time.monotonic() > deadline:
            raise RuntimeError(f"no development SMS code for {masked} in {log}")
        time.sleep(0.1)


# -- recording a service's statements (in a child process: python -m bench.reads record ...) --------


@dataclass
class Recording:
    status: int = 0
    body: Any = None  # the answer, parsed: what the bare handler answers for a read that runs no SQL
    steps: list[Step] = field(default_factory=list)
    peers: list[str] = field(default_factory=list)  # calls to other processes, in the first request too
    error: str | None = None

    @property
    def lanes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for step in self.steps:
            counts[step.lane] = counts.get(step.lane, 0) + 1
        return counts

    @property
    def on_fast_lane(self) -> bool:
        """No ORM statement (no session at request time): only the fast lane's, or no SQL at all."""
        return self.lanes.get("ORM", 0) == 0


T = TypeVar("T")
_RECORDING: ContextVar[Recording | None] = ContextVar("bench_reads_recording", default=None)
_INSIDE: ContextVar[bool] = ContextVar("bench_reads_inside", default=False)
_TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|START TRANSACTION)\b", re.IGNORECASE)


def lane_of(sql: str, application_name: str | None) -> str:
    """Where a statement came from: a transaction's own statement, the fast lane's pool (its
    connections are named ``<service>-read``), or the ORM engine's."""
    if _TRANSACTION.match(sql):
        return "transaction"
    return "fast lane" if (application_name or "").endswith("-read") else "ORM"


class Recorder:
    """Wraps asyncpg's statement calls (on connections and prepared statements) and httpx's sends, for
    this process: inside :meth:`record`, each is kept; statements such a call makes on its own (a pool
    resetting a connection it gets back, a type introspection) are not. Outside, they just run."""

    def __init__(self) -> None:
        self._conns: dict[int, int] = {}  # id of a connection -> its number in the request
        self._undo: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> Recorder:
        import httpx
        from asyncpg.connection import Connection
        from asyncpg.prepared_stmt import PreparedStatement

        for method in sorted(METHODS):
            self._patch(Connection, method, self._statement(Connection, method, prepared=False))
        for method in ("fetch", "fetchrow", "fetchval"):
            self._patch(PreparedStatement, method, self._statement(PreparedStatement, method, prepared=True))
        self._patch(Connection, "reset", self._quiet(Connection.reset))
        self._patch(httpx.AsyncClient, "send", self._send(httpx.AsyncClient.send))
        return self

    def __exit__(self, *exc: object) -> None:
        while self._undo:
            owner, name, original = self._undo.pop()
            setattr(owner, name, original)

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    async def record(self, call: Callable[[], Awaitable[T]]) -> tuple[Recording, T]:
        """Run ``call`` (one request) and what it ran."""
        recording = Recording()
        self._conns.clear()
        token = _RECORDING.set(recording)
        try:
            result = await call()
        finally:
            _RECORDING.reset(token)
        return recording, result

    def _keep(self, recording: Recording, connection: Any, method: str, sql: str, args: tuple[Any, ...]) -> None:
        number = self._conns.setdefault(id(connection), len(self._conns))
        lane = lane_of(sql, connection.get_settings().application_name)
        recording.steps.append(Step(conn=number, lane=lane, method=method, sql=sql, args=tuple(args)))

    def _statement(self, owner: Any, method: str, *, prepared: bool) -> Any:
        original = getattr(owner, method)
        quiet = self._quiet(original)  # what it runs in turn (asyncpg's own calls) is not kept again
        keep = self._keep

        async def wrapper(this: Any, *args: Any, **kwargs: Any) -> Any:
            recording = _RECORDING.get()
            if recording is None or _INSIDE.get():
                return await original(this, *args, **kwargs)
            if prepared:
                keep(recording, this._connection, method, this.get_query(), args)
            else:
                keep(recording, this, method, args[0], args[1:])
            return await quiet(this, *args, **kwargs)

        return wrapper

    @staticmethod
    def _quiet(original: Any) -> Any:
        async def wrapper(this: Any, *args: Any, **kwargs: Any) -> Any:
            token = _INSIDE.set(True)
            try:
                return await original(this, *args, **kwargs)
            finally:
                _INSIDE.reset(token)

        return wrapper

    @staticmethod
    def _send(original: Any) -> Any:
        async def wrapper(this: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            recording = _RECORDING.get()
            if recording is not None:
                recording.peers.append(f"{request.method} {request.url}")
            return await original(this, request, *args, **kwargs)

        return wrapper


async def _drive(app: Any, path: str, authorization: str) -> tuple[int, bytes]:
    """One GET through the app's ASGI callable, as uvicorn would call it."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": urllib.parse.unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", authorization.encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    answer: dict[str, Any] = {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], answer["body"]


async def _record_all(app: Any, requests: list[dict[str, str]]) -> dict[str, Any]:
    recorded: dict[str, Recording] = {}
    with Recorder() as recorder:
        async with app.router.lifespan_context(app):
            for request in requests:

                async def once(path: str = request["path"], auth: str = request["authorization"]) -> tuple[int, bytes]:
                    return await _drive(app, path, auth)

                try:
                    # The first request fills the caches (keys, compiled statements): its statements are
                    # not kept, but a call it makes to another process is (cached or not, it is a call).
                    first, _ = await recorder.record(once)
                    recording, (status, body) = await recorder.record(once)
                    recording.status = status
                    recording.body = json.loads(body) if status == 200 else None
                    recording.peers = [call for call in first.peers + recording.peers if "/.well-known/" not in call]
                except Exception as exc:  # noqa: BLE001 - reported with the read, the others go on
                    recording = Recording(error=f"{type(exc).__name__}: {exc}")
                recorded[request["key"]] = recording
            settings = app.state.settings
            pools = {
                "orm": settings.db_pool_size,
                "orm_overflow": settings.db_max_overflow,
                "fast_lane": settings.fastlane_pool_size,
            }
    return {"reads": recorded, "pools": pools}


def _record_main(service: str, requests_path: str, out_path: str) -> None:
    """The child: build the service's app from this environment (the running process's own) and record."""
    import importlib

    from deploy.processes import BY_NAME

    requests = json.loads(Path(requests_path).read_text())
    app = importlib.import_module(f"{BY_NAME[service].package}.app").create_app()
    result = asyncio.run(_record_all(app, requests))
    Path(out_path).write_bytes(pickle.dumps(result))


def _environ_of(pid: int) -> dict[str, str]:
    """The environment a running process was started with (Linux)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def record(platform: Platform, service: str, requests: list[dict[str, str]]) -> dict[str, Any]:
    """The statements ``service`` runs for each request, recorded in a child process that builds the
    service's app with the settings of the running process (its environment, read from /proc)."""
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp:
        requests_path, out_path = Path(tmp) / "requests.json", Path(tmp) / "recorded.pickle"
        requests_path.write_text(json.dumps(requests))
        with (LOGS / f"reads-record-{service}.log").open("wb") as log:
            done = subprocess.run(
                [sys.executable, "-m", "bench.reads", "record", service, str(requests_path), str(out_path)],
                # the running process's settings, less its metrics port (that process holds it)
                env={k: v for k, v in _environ_of(platform.pid(service)).items() if not k.endswith("_METRICS_PORT")},
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=RECORD_TIMEOUT,
                check=False,
            )
        if done.returncode != 0 or not out_path.exists():
            tail = (LOGS / f"reads-record-{service}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"recording the {service} service's statements failed:\n{tail}")
        result: dict[str, Any] = pickle.loads(out_path.read_bytes())  # noqa: S301 - our own child wrote it
        return result


# -- memory ------------------------------------------------------------------------------------------


def pss_mib(pid: int) -> float | None:
    """A process's proportional set size (/proc/PID/smaps_rollup), MiB; None if it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def _postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine: our backend's parent."""
    import asyncpg
    import psutil

    conn = await asyncpg.connect(url)
    try:
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        try:
            return int(psutil.Process(backend).ppid())
        except psutil.Error:
            return None
    finally:
        await conn.close()


def memory(platform: Platform, postmaster: int | None) -> dict[str, float | None]:
    """PSS of each of the five processes and of PostgreSQL with all its processes, and the total."""
    import psutil

    from deploy.processes import PROCESSES

    figures: dict[str, float | None] = {spec.name: pss_mib(platform.pid(spec.name)) for spec in PROCESSES}
    if postmaster is not None:
        try:
            server = psutil.Process(postmaster)
            pids = [postmaster] + [child.pid for child in server.children(recursive=True)]
            sizes = [pss_mib(pid) for pid in pids]
            figures["postgresql"] = sum(size for size in sizes if size is not None) if any(sizes) else None
            figures["postgresql_processes"] = float(len(pids))
        except psutil.Error:
            figures["postgresql"] = None
    else:
        figures["postgresql"] = None
    parts = [figures[name] for name in (*(spec.name for spec in PROCESSES), "postgresql")]
    figures["total"] = sum(part for part in parts if part is not None) if None not in parts else None
    return figures


def _memory_line(label: str, figures: dict[str, float | None]) -> str:
    def mib(value: float | None) -> str:
        return f"{value:5.0f}" if value is not None else "  n/a"

    names = ("gateway", "residents", "grids", "orders", "jobs", "postgresql")
    parts = "  ".join(f"{name} {mib(figures.get(name))}" for name in names)
    total = figures.get("total")
    verdict = ""
    if total is not None:
        verdict = "  ok" if total < MEMORY_TARGET_MIB else "  over target"
    return f"  {label:<24} {parts}  total {mib(total)} MiB (target < {MEMORY_TARGET_MIB:.0f}){verdict}"


# -- measuring ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    read: Read
    path: str = ""
    status: int | None = None
    items: int | None = None
    recording: Recording | None = None
    bare_items: int | None = None
    service: LoadResult | None = None
    bare: LoadResult | None = None
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.service is None or self.bare is None or not self.bare.rps:
            return None
        return self.service.rps / self.bare.rps

    @property
    def verdict(self) -> str:
        if self.error or self.service is None:
            return "error"
        if self.service.errors or (self.bare is not None and self.bare.errors):
            return "errors under load"
        if not self.service.requests or (self.bare is not None and not self.bare.requests):
            return "no answer in the window"  # every request took longer than the measured seconds
        if self.recording is not None and not self.recording.on_fast_lane:
            return "not on the fast lane"
        ratio = self.ratio
        if ratio is None:
            return "no bare figure"
        return "ok" if ratio >= TARGET_RATIO else "below target"

    @property
    def lane(self) -> str:
        if self.recording is None:
            return "?"
        lanes = self.recording.lanes
        parts = [f"{lanes[name]} {short}" for name, short in (("fast lane", "fast"), ("ORM", "orm")) if lanes.get(name)]
        if lanes.get("transaction"):
            parts.append(f"{lanes['transaction']} tx")
        if self.recording.peers:
            parts.append(f"{len(self.recording.peers)} peer")
        return ", ".join(parts) or "no SQL"

    def to_dict(self) -> dict[str, Any]:
        recording = self.recording
        return {
            "key": self.read.key,
            "service": self.read.service,
            "caller": self.read.caller,
            "path": self.path or self.read.path,
            "status": self.status,
            "items": self.items,
            "bare_rows": self.bare_items,
            "statements": [
                {"conn": s.conn, "lane": s.lane, "method": s.method, "sql": s.sql, "args": [repr(a) for a in s.args]}
                for s in (recording.steps if recording else [])
            ],
            "peer_calls": recording.peers if recording else [],
            "on_fast_lane": recording.on_fast_lane if recording else None,
            "service_load": self.service.to_dict() if self.service else None,
            "bare_load": self.bare.to_dict() if self.bare else None,
            "ratio": self.ratio,
            "verdict": self.verdict,
            "error": self.error,
        }


def _load(url: str, headers: dict[str, str], pid: int, options: Options, connections: int) -> LoadResult:
    return run_load(
        url,
        headers=headers,
        duration=options.duration,
        connections=connections,
        warmup=options.warmup,
        watch_pid=pid,
    )


def prepare(platform: Platform, reads: list[Read]) -> tuple[list[Outcome], dict[str, Caller], dict[str, Any]]:
    """Sign the callers in, check that every read answers 200 (straight at its service), record the
    statements of each; returns the outcomes so far, the callers and each process's pool sizes."""
    callers: dict[str, Caller] = {}
    for login in dict.fromkeys(read.caller for read in reads):
        callers[login] = Caller(platform, login)
    answers: dict[str, Any] = {}
    outcomes: list[Outcome] = []
    for read in reads:
        outcome = Outcome(read)
        outcomes.append(outcome)
        try:
            outcome.path = fill(read, answers)
        except (LookupError, KeyError, IndexError) as exc:
            outcome.error = f"cannot fill {read.path}: {exc}"
            continue
        status, body = request_json(platform.base(read.service) + outcome.path, headers=callers[read.caller].headers())
        outcome.status = status
        if status != 200:
            outcome.error = f"answered {status}: {str(body)[:300]}"
            continue
        answers[read.key] = body
        outcome.items = item_count(body)
    pools: dict[str, Any] = {}
    for service in dict.fromkeys(read.service for read in reads):
        mine = [o for o in outcomes if o.read.service == service and o.error is None]
        if not mine:
            continue
        say(f"recording the {service} service's statements for {len(mine)} reads")
        requests = [
            {"key": o.read.key, "path": o.path, "authorization": callers[o.read.caller].headers()["Authorization"]}
            for o in mine
        ]
        result = record(platform, service, requests)
        pools[service] = result["pools"]
        for outcome in mine:
            outcome.recording = result["reads"][outcome.read.key]
            if outcome.recording.error:
                outcome.error = f"recording failed: {outcome.recording.error}"
            elif outcome.recording.status != 200:
                outcome.error = f"answered {outcome.recording.status} in the recording process"
    return outcomes, callers, pools


@contextmanager
def bare_handler(platform: Platform, service: str, outcomes: list[Outcome]) -> Iterator[Server]:
    """``bench/bare_reads.py`` on the service's database, with the statements recorded for its reads."""
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp:
        path = Path(tmp) / "reads.pickle"
        path.write_bytes(pickle.dumps({o.read.key: _plan(o.recording) for o in outcomes if o.recording is not None}))
        env = {
            "BARE_DATABASE_URL": platform.urls[service],
            "BARE_READS_FILE": str(path),
            "BARE_POOL_SIZE": str(_fast_lane_size(platform, service)),
        }
        with uvicorn(f"reads-bare-{service}", "bench.bare_reads:app", env) as server:
            yield server


def _plan(recording: Recording) -> list[Step] | Any:
    """What the bare handler does for a read: its statements, or, when it ran none, answer its body."""
    return recording.steps or Answer(recording.body)


def _fast_lane_size(platform: Platform, service: str) -> int:
    from deploy.processes import BY_NAME

    env = _environ_of(platform.pid(service))
    return int(env.get(f"{BY_NAME[service].env_prefix}FASTLANE_POOL_SIZE", "10"))


def measure(platform: Platform, outcomes: list[Outcome], callers: dict[str, Caller], options: Options) -> None:
    """Each read, service by service: the service straight, then the bare handler on its statements."""
    valid_for = options.warmup + options.duration + 60
    for service in dict.fromkeys(o.read.service for o in outcomes):
        mine = [o for o in outcomes if o.read.service == service and o.error is None]
        if not mine:
            continue
        with bare_handler(platform, service, mine) as bare:
            for outcome in mine:
                read = outcome.read
                say(f"{read.label}: the {service} service, then the bare handler")
                outcome.service = _load(
                    platform.base(service) + outcome.path,
                    callers[read.caller].headers(valid_for),
                    platform.pid(service),
                    options,
                    options.connections,
                )
                if outcome.recording is None:
                    continue
                status, body = request_json(f"{bare.base_url}/r/{read.key}")
                if status != 200:
                    outcome.error = f"the bare handler answered {status}: {str(body)[:300]}\n{bare.log_tail()}"
                    continue
                outcome.bare_items = item_count(body)
                outcome.bare = _load(f"{bare.base_url}/r/{read.key}", {}, bare.pid, options, options.connections)


def _figures(result: LoadResult | None) -> str:
    if result is None:
        return f"{'':>8} {'':>6} {'':>6} {'':>6}"
    cpu = result.server_cpu_per_request_us
    return f"{result.rps:8.0f} {result.p50_ms:6.1f} {result.p99_ms:6.1f} {cpu or 0:6.0f}"


def _header(width: int) -> list[str]:
    return [
        f"  {'':<{width}} {'':<22} {'':>5}   {'service (straight)':<29}   {'bare handler, same SQL':<29}",
        f"  {'endpoint (caller)':<{width}} {'statements':<22} {'items':>5}   "
        f"{'req/s':>8} {'p50':>6} {'p99':>6} {'cpu/rq':>6}   {'req/s':>8} {'p50':>6} {'p99':>6} {'cpu/rq':>6}"
        "   ratio  verdict",
    ]


def print_table(outcomes: list[Outcome]) -> None:
    width = max(len(o.read.label) for o in outcomes)
    for line in _header(width):
        print(line)
    for o in outcomes:
        ratio = f"{o.ratio:5.2f}" if o.ratio is not None else "    -"
        items = f"{o.items:5d}" if o.items is not None else "    -"
        print(
            f"  {o.read.label:<{width}} {o.lane:<22} {items}   {_figures(o.service)}   {_figures(o.bare)}"
            f"   {ratio}  {o.verdict}"
        )
    for o in outcomes:
        if o.error:
            print(f"  {o.read.label}: {o.error.splitlines()[0][:300]}")
        for label, result in (("service", o.service), ("bare", o.bare)):
            if result is not None and result.errors:
                print(
                    f"  {o.read.label}, {label}: {result.errors} errors, e.g. {result.error_sample};"
                    f" statuses {result.statuses}"
                )
        if o.recording is not None and o.recording.peers:
            print(f"  {o.read.label}: calls another process: {', '.join(sorted(set(o.recording.peers)))[:300]}")


async def _connection_budget(url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SHOW max_connections"))
    finally:
        await conn.close()


def _budget_line(max_connections: int, pools: dict[str, Any]) -> str:
    need = sum(p["orm"] + p["orm_overflow"] + p["fast_lane"] for p in pools.values())
    sizes = ", ".join(f"{name} {p['orm']}+{p['orm_overflow']}+{p['fast_lane']}" for name, p in pools.items())
    return (
        f"  connections: PostgreSQL max_connections {max_connections}; the processes' pools"
        f" (ORM + overflow + fast lane) can open {need}: {sizes}"
    )


def run(options: Options) -> dict[str, Any]:
    postgres = Postgres(PGDATA)
    started = datetime.now(UTC)
    with platform(postgres) as running:
        postmaster = asyncio.run(_postmaster_pid(running.urls["gateway"]))
        max_connections = asyncio.run(_connection_budget(running.urls["gateway"]))
        outcomes, callers, pools = prepare(running, list(READS))
        time.sleep(IDLE_SECONDS)
        memory_start = memory(running, postmaster)
        background = background_cpu()
        measure(running, outcomes, callers, options)
        say(f"load over; the platform's memory in {IDLE_AFTER_LOAD_SECONDS:g} s")
        time.sleep(IDLE_AFTER_LOAD_SECONDS)
        memory_idle = memory(running, postmaster)

    print(
        f"{NAME}: the hot reads straight at their service vs a bare Starlette+asyncpg handler running the same"
        f" statements, {options.connections} connections, {options.duration:g} s each"
        f" ({started:%Y-%m-%d}, {os.cpu_count()} cores; ratios and cpu/request are what compare)"
    )
    print_table(outcomes)
    print(f"  target: service/bare >= {TARGET_RATIO}; req/s, p50/p99 ms, server cpu/request us")
    print(_budget_line(max_connections, pools))
    print("  memory (PSS, MiB):")
    print(_memory_line("at start", memory_start))
    print(_memory_line(f"idle {IDLE_AFTER_LOAD_SECONDS:g} s after the load", memory_idle))

    total = memory_idle.get("total")
    memory_met = total is not None and total < MEMORY_TARGET_MIB
    reads_met = all(o.verdict == "ok" and not (o.recording and o.recording.peers) for o in outcomes)
    return {
        "name": NAME,
        "database": postgres.kind,
        "date": started.isoformat(),
        "background_cpu": background,
        "reads": [o.to_dict() for o in outcomes],
        "target_ratio": TARGET_RATIO,
        "max_connections": max_connections,
        "pools": pools,
        "memory_start_mib": memory_start,
        "memory_idle_mib": memory_idle,
        "memory_target_mib": MEMORY_TARGET_MIB,
        "met": reads_met and memory_met,
    }


# -- scale: a million orders, five million visits ----------------------------------------------------


Vary = Callable[[random.Random, list[Any]], tuple[Any, ...]]  # a template row's copy -> the row to load


async def _copy_copies(conn: Any, table: str, count: int, varying: Callable[[dict[str, int]], Vary]) -> int:
    """COPY ``count`` rows into ``table``, each a copy of one of the rows it has (the demo's, valid for
    the services' scopes: demo grids, demo members and households) changed by ``varying(positions)``;
    the next chunk is made in a thread while PostgreSQL takes the last one. Returns the templates' count."""
    columns = [
        row["column_name"]
        for row in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = 'public'"
            " AND is_generated = 'NEVER' AND identity_generation IS NULL ORDER BY ordinal_position",
            table,
        )
    ]
    templates = [list(row) for row in await conn.fetch(f"SELECT {', '.join(columns)} FROM {table}")]  # noqa: S608
    if not templates:
        raise RuntimeError(f"{table} has no rows to copy")
    vary = varying({name: index for index, name in enumerate(columns)})
    rng = random.Random(17)
    chunk = 100_000

    def make(size: int) -> list[tuple[Any, ...]]:
        return [vary(rng, list(rng.choice(templates))) for _ in range(size)]

    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    done = 0
    pending = loop.run_in_executor(None, make, min(chunk, count))
    while done < count:
        records = await pending
        done += len(records)
        if done < count:
            pending = loop.run_in_executor(None, make, min(chunk, count - done))
        await conn.copy_records_to_table(table, records=records, columns=columns)
        if done % 1_000_000 == 0 or done == count:
            say(f"  {table}: {done} rows copied ({time.perf_counter() - started:.0f} s)")
    return len(templates)


def _ids(rng: random.Random) -> Iterator[uuid.UUID]:
    """Version-4 UUIDs in increasing order (a random start, then counting): the primary key's index,
    which stays while the rows go in, is appended to rather than split all over."""
    start = rng.getrandbits(128) & ~((1 << 62) - 1)
    return (uuid.UUID(int=start | n, version=4) for n in itertools.count())


def _moment(rng: random.Random, now: datetime) -> datetime:
    """A moment of the last SCALE_YEARS years."""
    return now - timedelta(seconds=rng.random() * SCALE_YEARS * 365 * 86400)


def _vary_order(now: datetime) -> Callable[[dict[str, int]], Vary]:
    def varying(at: dict[str, int]) -> Vary:
        id_, placed_at, event, check = at["id"], at["placed_at"], at["source_event_id"], at["next_check_at"]
        ids = _ids(random.Random(SCALE_ORDERS))

        def vary(rng: random.Random, row: list[Any]) -> tuple[Any, ...]:
            delta = _moment(rng, now) - row[placed_at]
            for index, value in enumerate(row):
                if isinstance(value, datetime):  # the order's story moves with it
                    row[index] = value + delta
            row[id_] = next(ids)
            row[event] = None  # unique
            row[check] = None  # nothing for the SLA scheduler to look at while measuring
            return tuple(row)

        return vary

    return varying


def _vary_visit(now: datetime) -> Callable[[dict[str, int]], Vary]:
    def varying(at: dict[str, int]) -> Vary:
        id_, visited_at, created_at = at["id"], at["visited_at"], at["created_at"]
        ids = _ids(random.Random(SCALE_VISITS))

        def vary(rng: random.Random, row: list[Any]) -> tuple[Any, ...]:
            row[id_] = next(ids)
            row[visited_at] = row[created_at] = _moment(rng, now)
            return tuple(row)

        return vary

    return varying


async def load_scale(urls: dict[str, str], orders: int, visits: int) -> dict[str, Any]:
    """``orders`` orders and ``visits`` visits more, by COPY into the running platform's databases with
    the tables' plain indexes and foreign keys dropped and rebuilt, then VACUUM (ANALYZE); seconds."""
    import asyncpg

    from bench.residents import _without_indexes

    now = datetime.now(UTC)
    figures: dict[str, Any] = {}
    for service, table, count, vary in (
        ("orders", "service_order", orders, _vary_order(now)),
        ("grids", "visit", visits, _vary_visit(now)),
    ):
        started = time.perf_counter()
        conn = await asyncpg.connect(urls[service])
        try:
            restore = await _without_indexes(conn, (table,))
            templates = await _copy_copies(conn, table, count, vary)
            copied = time.perf_counter() - started
            await conn.execute("SET maintenance_work_mem = '256MB'")
            for statement in restore:
                await conn.execute(statement)
            indexed = time.perf_counter() - started - copied
            await conn.execute(f"VACUUM (ANALYZE) {table}")
            rows = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
            size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size($1::regclass))", table)
        finally:
            await conn.close()
        seconds = time.perf_counter() - started
        figures[table] = {
            "copied": count,
            "templates": templates,
            "rows": rows,
            "size": size,
            "copy_seconds": copied,
            "index_seconds": indexed,
            "seconds": seconds,
        }
        say(f"{table}: {rows} rows ({size}) in {seconds:.0f} s")
    return figures


def run_scale(options: Options) -> dict[str, Any]:
    postgres = Postgres(PGDATA)
    started = datetime.now(UTC)
    reads = [read for read in READS if read.key in SCALE_READS]
    with platform(postgres) as running:
        outcomes, callers, _ = prepare(running, reads)
        say(f"loading {SCALE_ORDERS} orders and {SCALE_VISITS} visits by COPY")
        began = time.perf_counter()
        load = asyncio.run(load_scale(running.urls, SCALE_ORDERS, SCALE_VISITS))
        load_seconds = time.perf_counter() - began
        valid_for = options.warmup + options.duration + 60
        for outcome in outcomes:  # the page over all those rows: still a 200, and how many items now
            if outcome.error is None:
                url = running.base(outcome.read.service) + outcome.path
                status, body = request_json(url, headers=callers[outcome.read.caller].headers(valid_for))
                outcome.status, outcome.items = status, item_count(body)
                if status != 200:
                    outcome.error = f"answered {status} after the load: {str(body)[:300]}"
        background = background_cpu()
        one_client: dict[str, LoadResult] = {}
        for outcome in outcomes:
            if outcome.error is None:
                read = outcome.read
                say(f"{read.label}: one client")
                one_client[read.key] = _load(
                    running.base(read.service) + outcome.path,
                    callers[read.caller].headers(valid_for),
                    running.pid(read.service),
                    options,
                    1,
                )
        measure(running, outcomes, callers, options)
        plans: dict[str, dict[str, str]] = {}
        for key, alone in one_client.items():  # a read over its target: how PostgreSQL runs its query
            outcome = next(o for o in outcomes if o.read.key == key)
            steps = outcome.recording.steps if outcome.recording else []
            queries = [step for step in steps if step.lane != "transaction"]
            if alone.p99_ms >= SCALE_P99_MS and queries:
                from bench.residents import _explain

                say(f"{outcome.read.label}: EXPLAIN ANALYZE of its query")
                plans[key] = asyncio.run(
                    _explain(running.urls[outcome.read.service], queries[-1].sql, list(queries[-1].args))
                )

    print(
        f"{SCALE_NAME}: the order and visit lists over {load['service_order']['rows']} orders and"
        f" {load['visit']['rows']} visits ({load_seconds:.0f} s to load), {options.duration:g} s each"
        f" ({started:%Y-%m-%d}, {os.cpu_count()} cores)"
    )
    met = True
    width = max(len(o.read.label) for o in outcomes)
    print(f"  one client (target p99 < {SCALE_P99_MS:g} ms):")
    for outcome in outcomes:
        single = one_client.get(outcome.read.key)
        if single is None:
            print(f"  {outcome.read.label:<{width}}  error: {outcome.error}")
            met = False
            continue
        ok = single.p99_ms < SCALE_P99_MS and single.errors == 0
        met = met and ok
        print(
            f"  {outcome.read.label:<{width}}  {single.rps:7.1f} req/s  p50 {single.p50_ms:5.1f} ms"
            f"  p99 {single.p99_ms:5.1f} ms  errors {single.errors}"
            f"  cpu/req {single.server_cpu_per_request_us or 0:5.0f} us  {'ok' if ok else 'over target'}"
        )
    print(f"  {options.connections} connections, against the bare handler (target >= {TARGET_RATIO}):")
    print_table(outcomes)
    for key, plan in plans.items():
        label = next(o.read.label for o in outcomes if o.read.key == key)
        for mode in ("force_custom_plan", "force_generic_plan"):
            print(f"  {label}: EXPLAIN (ANALYZE, BUFFERS), plan_cache_mode = {mode}:")
            for line in plan[mode].splitlines():
                print(f"      {line}")
    met = met and all(o.verdict == "ok" for o in outcomes)
    return {
        "name": SCALE_NAME,
        "database": postgres.kind,
        "date": started.isoformat(),
        "background_cpu": background,
        "load": load,
        "load_seconds": load_seconds,
        "one_client": {key: result.to_dict() for key, result in one_client.items()},
        "explain": plans,
        "reads": [o.to_dict() for o in outcomes],
        "target_p99_ms": SCALE_P99_MS,
        "target_ratio": TARGET_RATIO,
        "met": met,
    }


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "record":
        # from the module, not this __main__ copy: what it pickles must unpickle as bench.reads' classes
        from bench.reads import _record_main as record_main

        record_main(*sys.argv[2:])
    else:
        sys.exit("usage: python -m bench.reads record SERVICE REQUESTS.json OUT.pickle (bench.reads runs it)")
