"""jobs: latency of the postings search over many postings, one client.

``bench_jobs`` is made afresh with ``--rows`` postings (default 100,000) of one employer in a hundred,
in ten communities of one street: titles, skills and categories of the demo's kinds of work, wages by
the month, day or piece, 85 % open, 10 % closed, 5 % drafts, made over half a year. Their search columns
are what the service writes (``services.jobs.postings.search``), loaded by COPY, then ``VACUUM ANALYZE``.

Then the real jobs service (one uvicorn process, its JWKS served by the harness) answers
``GET /api/v1/postings`` to one client, one request at a time, as a resident of the street: the newest
open postings, a two-character keyword, a category with weak labour, a minimum monthly wage.
Target: p99 < 50 ms each (ARCHITECTURE.md's budget for list endpoints).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from bench.harness import Options, Postgres, background_cpu, say, serve_json, uvicorn
from bench.residents import REQUESTS, WARMUP_REQUESTS, Latencies, Series, measure

NAME = "jobs"
DATABASE = "bench_jobs"
DEFAULT_ROWS = 100_000
MAX_ROWS = 2_000_000
SEED = 20261130
STREET = "110105001"
COMMUNITIES = [f"{STREET}{n:03d}" for n in range(1, 11)]
POSTINGS_PER_EMPLOYER = 100
PAGE = 20
TARGET_P99_MS = 50.0

# title, category, skills, suits weak labour, wage range and unit
WORK = [
    ("包粽子工", "handicraft", ["包粽子"], True, (30, 60, "piece")),
    ("粽叶分拣工", "handicraft", [], True, (8000, 12000, "day")),
    ("藤椅编织工", "handicraft", ["编藤椅"], True, (300000, 450000, "month")),
    ("电子元件组装工", "manufacturing", ["电子组装"], False, (380000, 500000, "month")),
    ("质检员", "manufacturing", ["质检", "电脑"], False, (420000, 550000, "month")),
    ("客房服务员", "hospitality", ["保洁"], False, (350000, 420000, "month")),
    ("中餐厨师", "catering", ["厨师"], False, (600000, 800000, "month")),
    ("护工", "healthcare", ["护理"], False, (450000, 600000, "month")),
    ("保洁员", "cleaning", ["保洁"], True, (300000, 360000, "month")),
    ("理货员", "retail", [], True, (320000, 400000, "month")),
    ("收银员", "retail", ["电脑"], False, (340000, 420000, "month")),
    ("保安员", "security", [], False, (350000, 450000, "month")),
    ("快递分拣员", "logistics", [], True, (12000, 16000, "day")),
    ("育婴员", "domestic", ["育婴"], False, (500000, 700000, "month")),
    ("电工", "manufacturing", ["电工"], False, (500000, 650000, "month")),
]
EMPLOYER_KINDS = [("扶贫车间", "workshop"), ("社区工厂", "factory"), ("大酒店", "hotel"), ("超市", "supermarket")]
PLACES = ["江南", "晴岚", "阳光", "幸福", "和平", "金色", "翠湖", "锦绣", "东方", "明珠"]
KEYWORDS = ["保洁", "厨师", "粽子", "组装", "藤椅", "护工", "收银", "客房", "分拣", "理货"]

EMPLOYER_COLUMNS = ["id", "name", "kind", "community_code", "street_code", "description", "created_at", "updated_at"]
POSTING_COLUMNS = [
    "id", "employer_id", "title", "description", "category", "wage_min", "wage_max", "wage_unit", "hours_per_day",
    "shifts", "headcount", "hired", "skills", "suits_weak_labour", "community_code", "street_code", "state",
    "closed_reason", "opened_at", "closed_at", "search_text", "search_tokens", "created_by", "created_at",
    "updated_at",
]  # fmt: skip


def generate(rows: int, now: datetime) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    from services.jobs.postings import search

    rng = random.Random(SEED)
    employers: list[tuple[Any, ...]] = []
    names: list[tuple[uuid.UUID, str, str]] = []
    for n in range((rows + POSTINGS_PER_EMPLOYER - 1) // POSTINGS_PER_EMPLOYER):
        suffix, kind = EMPLOYER_KINDS[n % len(EMPLOYER_KINDS)]
        name = f"{PLACES[n % len(PLACES)]}{suffix}{n:05d}"
        community = COMMUNITIES[n % len(COMMUNITIES)]
        employer_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        employers.append((employer_id, name, kind, community, STREET, "", now, now))
        names.append((employer_id, name, community))
    postings: list[tuple[Any, ...]] = []
    staff = str(uuid.uuid4())
    for n in range(rows):
        employer_id, employer, community = names[n // POSTINGS_PER_EMPLOYER]
        title, category, skills, weak, (low, high, unit) = rng.choice(WORK)
        made = now - timedelta(seconds=rng.randrange(0, 180 * 86400))
        roll = rng.random()
        state = "open" if roll < 0.85 else "closed" if roll < 0.95 else "draft"
        text = search.search_text(title, employer, " ".join(skills))
        postings.append(
            (
                uuid.UUID(int=rng.getrandbits(128), version=4), employer_id, title, f"{employer}招聘{title}",
                category, low, high, unit, rng.choice((4, 6, 8, 8, 10)), ["day"], rng.randrange(1, 20), 0, skills,
                weak, community, STREET, state, "closed" if state == "closed" else None,
                made if state != "draft" else None, made + timedelta(days=30) if state == "closed" else None,
                text, search.tokens(text), staff, made, made,
            )
        )  # fmt: skip
    return employers, postings


async def load(url: str, rows: int) -> dict[str, Any]:
    import asyncpg

    started = time.perf_counter()
    employers, postings = generate(rows, datetime.now(UTC))
    generated = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("employer", records=employers, columns=EMPLOYER_COLUMNS)
        await conn.copy_records_to_table("posting", records=postings, columns=POSTING_COLUMNS)
        copied = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE) employer, posting")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('posting'))")
    finally:
        await conn.close()
    return {
        "employers": len(employers),
        "postings": len(postings),
        "generate_seconds": generated - started,
        "copy_seconds": copied - generated,
        "seconds": time.perf_counter() - started,
        "posting_size": size,
    }


def run(options: Options) -> dict[str, Any]:
    from deploy.processes import BY_NAME
    from shared.migrate import upgrade
    from shared.testing import TEST_ISSUER, TestKeys

    rows = options.rows
    if not 1_000 <= rows <= MAX_ROWS:
        raise SystemExit(f"--rows must be 1000..{MAX_ROWS} for {NAME}")
    postgres = Postgres()
    url = postgres.fresh_database(DATABASE)
    upgrade(BY_NAME["jobs"].migrations, url)
    say(f"loading {rows} postings into {DATABASE} ({postgres.kind})")
    loaded = asyncio.run(load(url, rows))
    say(
        f"loaded in {loaded['seconds']:.1f} s (generate {loaded['generate_seconds']:.1f} s,"
        f" COPY {loaded['copy_seconds']:.1f} s)"
    )

    keys = TestKeys()
    grid = f"{COMMUNITIES[0]}001"
    token = keys.token(
        roles=["resident"], resident_id=str(uuid.uuid4()), household_id=str(uuid.uuid4()), grid_code=grid, ttl=3600
    )
    headers = {"Authorization": f"Bearer {token}"}
    base = "/api/v1/postings?"

    def full_page(items: list[dict[str, Any]]) -> bool:
        return len(items) == PAGE and all(item["state"] == "open" for item in items)

    def series(label: str, paths: Any) -> Series:
        return Series(label, "resident", headers, paths, full_page, lambda path: (None, None))

    plan = [
        series("newest open postings", lambda r: base + urlencode({"limit": PAGE})),
        series("keyword, 2 characters", lambda r: base + urlencode({"q": r.choice(KEYWORDS), "limit": PAGE})),
        series(
            "category + weak labour",
            lambda r: (
                base
                + urlencode(
                    {
                        "category": r.choice(["handicraft", "retail", "cleaning"]),
                        "suits_weak_labour": "true",
                        "limit": PAGE,
                    }
                )
            ),
        ),  # fmt: skip
        series(
            "minimum monthly wage",
            lambda r: (
                base + urlencode({"min_wage": r.choice([400000, 500000, 600000]), "wage_unit": "month", "limit": PAGE})
            ),
        ),  # fmt: skip
    ]
    background = background_cpu()
    results: list[Latencies] = []
    with serve_json("/jwks.json", keys.jwks) as jwks_url:
        env = {
            "JOBS_DATABASE_URL": url,
            "JOBS_PROFILE": "development",
            "JOBS_JWKS_URL": jwks_url,
            "JOBS_JWT_ISSUER": TEST_ISSUER,
        }
        with uvicorn("jobs", "services.jobs.app:create_app", env, factory=True) as server:
            for one in plan:
                say(f"  {one.label}")
                results.append(measure(server, one, random.Random(f"{SEED}:{one.label}")))

    met = all(r.p99_ms < TARGET_P99_MS and r.errors == 0 for r in results)
    print(
        f"{NAME}: GET /api/v1/postings (jobs service), {rows} postings of {loaded['employers']} employers"
        f" ({loaded['posting_size']}), 1 client, {REQUESTS} requests each after {WARMUP_REQUESTS} not counted"
    )
    for result in results:
        verdict = "met" if result.p99_ms < TARGET_P99_MS and result.errors == 0 else "missed"
        print(
            f"  {result.label:<26} {result.rps:6.1f} req/s  p50 {result.p50_ms:5.1f} ms  p99 {result.p99_ms:6.1f} ms"
            f"  max {result.max_ms:6.1f} ms  errors {result.errors}"
            f"  server cpu/req {result.server_cpu_per_request_us or 0:5.0f} us  (target p99 < {TARGET_P99_MS:.0f} ms)"
            f" {verdict}"
        )
        if result.errors:
            print(f"    e.g. {result.error_sample}; statuses {result.statuses}")
    return {
        "name": NAME,
        "endpoint": "/api/v1/postings",
        "rows": rows,
        "database": postgres.kind,
        "load": loaded,
        "background_cpu": background,
        "clients": 1,
        "warmup_requests": WARMUP_REQUESTS,
        "requests": REQUESTS,
        "results": [r.to_dict() for r in results],
        "target_p99_ms": TARGET_P99_MS,
        "met": met,
    }
