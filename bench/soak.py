"""soak: the whole platform at half its capacity for ten minutes, every role at once.

``python -m bench --only soak`` (``--duration`` seconds, 600 unless given; not in CI). The platform as
``make run`` starts it (``bench.reads.platform``: the five processes with make run's flags, the demo
community loaded, databases of their own). Every request goes through the gateway, as the apps send
them, with the demo accounts' tokens (renewed as they near expiry):

- the hot reads of every role (``bench.reads.READS``: residents, grid workers, party members, staff,
  the street);
- the order loop, a request at a time: the resident places a service order, staff dispatch it to pm1,
  pm1 accepts it, completes it, the resident rates it (each step takes an order the step before left);
- grid workers recording visits of their households.

First the capacity: ``--connections`` clients send the mix back to back for 20 s (after the warm-up);
its throughput is the capacity. Then the soak: requests arrive at half that rate, on a fixed clock
(an open loop: a slow answer does not slow the arrivals), for the duration. Printed: each interval's
requests, errors and p50/p99 (and p99 against the first interval's), the errors in all (target 0: any
answer but the one the step expects, or no answer), and each process's memory (PSS) at the start and at
the end of the soak (target: growth under 10 % for each process).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bench.harness import LOGS, Options, Postgres, request_json, say
from bench.reads import PGDATA, READS, Caller, Platform, fill, memory, platform

NAME = "soak"
DEFAULT_DURATION = 600.0
CAPACITY_SECONDS = 20.0
INTERVALS = 10  # the duration is reported in ten parts (a minute each by default)
GROWTH_TARGET = 0.10
MAX_IN_FLIGHT = 512  # arrivals beyond this many unanswered requests are counted as errors (the platform fell behind)
CALLERS = ("resident", "staff", "pm1", "gw1", "street")
# How often each kind of request comes, per hot read's one.
WEIGHTS = {"read": 1.0, "place": 1.5, "dispatch": 1.5, "accept": 1.5, "complete": 1.5, "rate": 1.5, "visit": 2.0}


@dataclass
class Window:
    """The answers of one interval."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


@dataclass
class Mix:
    """The requests of every role, and the orders in flight between the loop's steps."""

    base: str
    callers: dict[str, Caller]
    reads: list[str]
    menu_item: str
    pm1_id: str
    households: list[str]
    placed: deque[str] = field(default_factory=deque)
    dispatched: deque[str] = field(default_factory=deque)
    accepted: deque[str] = field(default_factory=deque)
    completed: deque[str] = field(default_factory=deque)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(20))

    def renew(self) -> None:
        """Fresh tokens for the next interval (Caller refreshes those that would expire within it)."""
        self.headers = {name: caller.headers(valid_for=120) for name, caller in self.callers.items()}

    def next(self) -> tuple[str, str, str, Any, int, Callable[[Any], None] | None]:
        """(kind, caller, method path, body, expected status, what to do with the answer)."""
        kinds = list(WEIGHTS)
        kind = self.rng.choices(kinds, weights=[WEIGHTS[k] * (len(self.reads) if k == "read" else 1) for k in kinds])[0]
        queue = {"dispatch": self.placed, "accept": self.dispatched, "complete": self.accepted, "rate": self.completed}
        if kind in queue and not queue[kind]:
            kind = "place"
        if kind == "read":
            caller, path = self.rng.choice(self.reads).split(" ", 1)
            return kind, caller, f"GET {path}", None, 200, None
        if kind == "place":
            order = {"kind": "service", "menu_item_id": self.menu_item, "description": "上门理发"}
            return kind, "resident", "POST /api/v1/orders", order, 201, lambda body: self.placed.append(body["id"])
        if kind == "visit":
            visit = {
                "id": str(uuid.uuid4()),
                "household_id": self.rng.choice(self.households),
                "kind": "routine",
                "visited_at": datetime.now(UTC).isoformat(),
                "notes": "例行走访",
            }
            return kind, "gw1", "POST /api/v1/visits", visit, 201, None
        order_id = queue[kind].popleft()
        url = f"POST /api/v1/orders/{order_id}/{kind}"
        if kind == "dispatch":
            return kind, "staff", url, {"assignee_id": self.pm1_id}, 200, lambda _: self.dispatched.append(order_id)
        if kind == "accept":
            return kind, "pm1", url, None, 200, lambda _: self.accepted.append(order_id)
        if kind == "complete":
            return kind, "pm1", url, {"note": "已上门理发"}, 200, lambda _: self.completed.append(order_id)
        return kind, "resident", url, {"stars": 5, "comment": "谢谢"}, 200, None


async def _send(
    session: aiohttp.ClientSession, mix: Mix, window: Callable[[], Window], counted: Callable[[], bool]
) -> None:
    kind, caller, request, body, expected, then = mix.next()
    method, path = request.split(" ", 1)
    started = time.perf_counter()
    status = "exception"
    answer: Any = None
    try:
        async with session.request(method, mix.base + path, json=body, headers=mix.headers[caller]) as response:
            status = str(response.status)
            answer = await response.json(content_type=None) if response.status == expected and then else None
            await response.read()
    except (aiohttp.ClientError, TimeoutError, ValueError):
        pass
    elapsed = time.perf_counter() - started
    if status == str(expected) and then is not None:
        then(answer)
    if not counted():
        return
    current = window()
    current.latencies.append(elapsed)
    if status != str(expected):
        current.errors += 1
        current.statuses[f"{kind} {status}"] += 1


async def _capacity(mix: Mix, options: Options) -> float:
    """Requests a second the mix reaches with ``connections`` clients back to back."""
    measuring = Window()
    state = {"counting": False}
    stop = time.monotonic() + options.warmup + CAPACITY_SECONDS
    connector = aiohttp.TCPConnector(limit=options.connections)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def client() -> None:
            while time.monotonic() < stop:
                await _send(session, mix, lambda: measuring, lambda: state["counting"])

        async def start_counting() -> None:
            await asyncio.sleep(options.warmup)
            state["counting"] = True

        await asyncio.gather(start_counting(), *(client() for _ in range(options.connections)))
    if measuring.errors:
        say(f"capacity run: {measuring.errors} errors {dict(measuring.statuses)}")
    return len(measuring.latencies) / CAPACITY_SECONDS


async def _soak(mix: Mix, rate: float, duration: float) -> tuple[list[Window], int]:
    """Arrivals at ``rate`` a second for ``duration`` s; the windows of each interval, and the arrivals
    dropped because too many requests were unanswered."""
    interval = duration / INTERVALS
    windows = [Window() for _ in range(INTERVALS)]
    started = time.monotonic()
    in_flight: set[asyncio.Task[None]] = set()
    dropped = 0

    def window() -> Window:
        return windows[min(INTERVALS - 1, int((time.monotonic() - started) / interval))]

    connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        renewed = -1
        for n in itertools.count():
            due = started + n / rate
            if due >= started + duration:
                break
            if (part := int((due - started) / interval)) != renewed:
                await asyncio.to_thread(mix.renew)  # token refresh: a blocking call, off the loop
                renewed = part
                say(f"soak: interval {part + 1}/{INTERVALS}")
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(in_flight) >= MAX_IN_FLIGHT:
                dropped += 1
                window().errors += 1
                window().statuses["not sent: too many unanswered"] += 1
                continue
            task = asyncio.create_task(_send(session, mix, window, lambda: True))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.gather(*in_flight)
    return windows, dropped


def _prepare(running: Platform) -> Mix:
    from shared import demo
    from shared.demo import GRIDS

    base = running.base("gateway")
    callers = {name: Caller(running, name) for name in CALLERS}
    answers: dict[str, Any] = {}
    reads = []
    for read in READS:
        path = fill(read, answers)
        status, body = request_json(base + path, headers=callers[read.caller].headers())
        if status != 200:
            raise RuntimeError(f"GET {path} ({read.caller}) through the gateway answered {status}: {str(body)[:300]}")
        answers[read.key] = body
        reads.append(f"{read.caller} {path}")
    status, menu = request_json(base + "/api/v1/menu", headers=callers["resident"].headers())
    if status != 200:
        raise RuntimeError(f"the menu answered {status}")
    item = next(i for i in menu["items"] if i["name"] == "义剪")
    status, me = request_json(base + "/api/v1/me", headers=callers["pm1"].headers())
    households = [str(h.id) for h in demo.households_of_grid(GRIDS[0])]
    mix = Mix(base, callers, reads, item["id"], me["account_id"], households)
    mix.renew()
    return mix


def _line(number: int, interval: float, result: Window, first_p99: float) -> str:
    p99 = result.percentile(0.99)
    ratio = p99 / first_p99 if first_p99 else 0.0
    return (
        f"  {number * interval:5.0f}-{(number + 1) * interval:<5.0f}s {len(result.latencies):7d} req"
        f" {len(result.latencies) / interval:7.1f} req/s  p50 {result.percentile(0.5):6.1f} ms"
        f"  p99 {p99:6.1f} ms ({ratio:4.2f} of the first)  errors {result.errors}"
    )


def run(options: Options) -> dict[str, Any]:
    from deploy.processes import PROCESSES

    duration = options.duration
    lifted = {"GATEWAY_WRITES_PER_ACCOUNT": "[100000000, 60]", "GATEWAY_WRITES_PER_IP": "[100000000, 60]"}
    saved = {name: os.environ.get(name) for name in lifted}
    os.environ.update(lifted)  # the per-account write limit would otherwise be what is measured
    postgres = Postgres(PGDATA)
    started = datetime.now(UTC)
    try:
        with platform(postgres) as running:
            mix = _prepare(running)
            say(f"capacity: {options.connections} clients, {CAPACITY_SECONDS:g} s of the mix")
            capacity = asyncio.run(_capacity(mix, options))
            rate = capacity / 2
            time.sleep(5)
            memory_start = memory(running, None)
            say(f"soak: {rate:.0f} req/s for {duration:g} s")
            windows, dropped = asyncio.run(_soak(mix, rate, duration))
            memory_end = memory(running, None)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    interval = duration / INTERVALS
    errors = sum(w.errors for w in windows)
    total = sum(len(w.latencies) for w in windows)
    print(
        f"{NAME}: every role through the gateway at half the capacity ({capacity:.0f} req/s measured with"
        f" {options.connections} clients) for {duration:g} s ({started:%Y-%m-%d}, {os.cpu_count()} cores;"
        f" logs in {LOGS})"
    )
    first_p99 = windows[0].percentile(0.99)
    for number, result in enumerate(windows):
        print(_line(number, interval, result, first_p99))
    statuses: Counter[str] = Counter()
    for result in windows:
        statuses.update(result.statuses)
    print(f"  {total} requests, {errors} errors (target 0){': ' + str(dict(statuses)) if errors else ''}")
    print("  memory (PSS, MiB) at the start and the end of the soak (target: growth < 10 % each):")
    growth: dict[str, float | None] = {}
    for spec in PROCESSES:
        before, after = memory_start.get(spec.name), memory_end.get(spec.name)
        growth[spec.name] = (after - before) / before if before and after else None
        shown = f"{growth[spec.name]:+6.1%}" if growth[spec.name] is not None else "   n/a"
        print(f"    {spec.name:<10} {before or 0:6.0f} → {after or 0:6.0f}  {shown}")
    memory_met = all(value is not None and value < GROWTH_TARGET for value in growth.values())
    return {
        "name": NAME,
        "database": postgres.kind,
        "date": started.isoformat(),
        "capacity_rps": capacity,
        "rate_rps": rate,
        "duration_s": duration,
        "intervals": [
            {
                "requests": len(w.latencies),
                "errors": w.errors,
                "p50_ms": w.percentile(0.5),
                "p99_ms": w.percentile(0.99),
                "statuses": dict(w.statuses),
            }
            for w in windows
        ],
        "dropped": dropped,
        "errors": errors,
        "memory_start_mib": memory_start,
        "memory_end_mib": memory_end,
        "memory_growth": growth,
        "met": errors == 0 and memory_met,
    }
