"""residents: latency of the residents list endpoint over a million residents, one client.

A generator fills ``bench_residents`` with ``--rows`` residents (default 1,000,000) in 100 per grid,
10 grids per community and 10 communities per street (so 10,000 grids for a million), in households
of 1-4 people, in buildings and compounds, with realistic names, valid ID numbers and phones for
about 70 %. The identifier columns are what the service itself writes: ``service.seal`` with the
development keys of the residents Settings, ``people.name_keys`` for the pinyin keys. The database is
kept and reused by the next run if it holds the same rows from the same generator.

Then the real residents service (one uvicorn process, its JWKS served by the harness) answers
``GET /api/v1/residents`` to one client, one request at a time: a page of a grid, a pinyin prefix
search in a community and in a street, and a lookup by a full ID number. Target: p99 < 50 ms each.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

from bench.harness import Options, Postgres, Server, background_cpu, say, serve_json, uvicorn
from bench.loadgen import _percentile

NAME = "residents"
DATABASE = "bench_residents"
DEFAULT_ROWS = 1_000_000  # residents, when --rows is not given
SEED = 20261123
GENERATOR = 1  # bump when the generated data changes: a kept database of another version is reloaded
COUNTY = "110105"  # 北京市朝阳区
COMMUNITIES_PER_STREET = 10
GRIDS_PER_COMMUNITY = 10
RESIDENTS_PER_GRID = 100
RESIDENTS_PER_STREET = COMMUNITIES_PER_STREET * GRIDS_PER_COMMUNITY * RESIDENTS_PER_GRID
BUILDINGS_PER_GRID = 20
GRIDS_PER_COMPOUND = 2
# An ID number has 500 sequence numbers per region, birth date and sex; each street gets its own
# slice of them, so the numbers are unique without coordination between the generating processes.
ID_SEQUENCES = 500
MAX_STREETS = ID_SEQUENCES
MAX_ROWS = MAX_STREETS * RESIDENTS_PER_STREET
SAMPLE_EVERY = 10  # every 10th resident of the first street is kept in bench_sample
WORKERS = 2
IN_FLIGHT = 4  # streets generated ahead of the COPY
PAGE = 20
WARMUP_REQUESTS = 50
REQUESTS = 500
TARGET_P99_MS = 50.0

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
# Rough shares of the commonest surnames (王 7 %, 李 7 %, 张 6.7 % ...), falling off down the list.
SURNAME_WEIGHTS = (
    [7.1, 7.0, 6.7, 5.4, 4.5, 3.1, 2.2, 2.0, 2.0, 1.9] + [1.2] * 10 + [0.8] * 10 + [0.5] * (len(SURNAMES) - 30)
)
MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志德福峰文博晨睿泽"
FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美娅莉兰凤洁琳素云莲真环雪荣爱妹梅玉萍红婷欣怡佳悦雨"
REGIONS = ["110105"] * 6 + ["110101", "110102", "110106", "110108", "130102", "370102", "410102", "510104"]
COMPOUND_FIRST = ["阳光", "幸福", "和平", "金色", "翠湖", "华府", "锦绣", "东方", "明珠", "康乐"]
COMPOUND_LAST = ["小区", "家园", "花园", "雅苑", "新村"]
RESIDENCE_TYPES = ["registered", "permanent", "floating"]
RESIDENCE_WEIGHTS = [60, 25, 15]

COMPOUND_COLUMNS = ["id", "name", "community_code", "street_code"]
BUILDING_COLUMNS = ["id", "compound_id", "name", "floors", "units", "grid_code", "community_code", "street_code"]
HOUSEHOLD_COLUMNS = [
    "id", "building_id", "unit", "room", "address", "grid_code", "community_code", "street_code", "created_at",
]  # fmt: skip
RESIDENT_COLUMNS = [
    "id", "household_id", "relation", "name", "name_pinyin", "name_initials", "gender", "birth_date",
    "id_number_encrypted", "id_number_index", "id_number_masked", "phone_encrypted", "phone_index", "phone_masked",
    "registered_residence", "residence_type", "origin_township", "employment", "skills", "tags", "guardian_id",
    "grid_code", "community_code", "street_code", "created_at", "updated_at",
]  # fmt: skip
SAMPLE_COLUMNS = ["id_number", "name", "name_pinyin", "name_initials", "grid_code", "community_code", "street_code"]
LOADED_TABLES = ("compound", "building", "household", "resident")


# -- the generator ------------------------------------------------------------------------------


def street_code(index: int) -> str:
    return f"{COUNTY}{index + 1:03d}"


def streets_for(rows: int) -> int:
    return (rows + RESIDENTS_PER_STREET - 1) // RESIDENTS_PER_STREET


@dataclass
class StreetRows:
    """What one street's generation gives the loader: rows per table in COPY order, and the sample."""

    street: str
    compounds: list[tuple[Any, ...]] = field(default_factory=list)
    buildings: list[tuple[Any, ...]] = field(default_factory=list)
    households: list[tuple[Any, ...]] = field(default_factory=list)
    residents: list[tuple[Any, ...]] = field(default_factory=list)
    sample: list[tuple[str, ...]] = field(default_factory=list)
    phones: int = 0


_pii: Any = None


def _worker_init() -> None:
    """Each generating process builds the residents' cipher once (development keys, as the service)."""
    global _pii
    from services.residents.config import Settings
    from shared.pii import PiiCipher

    settings = Settings(profile="development")
    assert settings.pii_keys and settings.blind_index_key
    _pii = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key)


@cache
def _name_keys(name: str) -> tuple[str, str]:
    """``people.name_keys``, once per distinct name: names repeat a lot."""
    from services.residents.people import name_keys

    return name_keys(name)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def generate_street(index: int, streets: int, residents: int, today: date, created: datetime) -> StreetRows:
    """Street ``index`` (of ``streets``) with ``residents`` residents (100 a grid, the last grid
    what is left), deterministic for the seed and the day (ages count back from today); only the
    ciphertexts' nonces differ between runs."""
    from stdnum.cn import ric

    from services.residents.people import IdNumber
    from services.residents.registry.service import seal

    if _pii is None:
        _worker_init()
    rng = random.Random(f"{SEED}:{GENERATOR}:{index}")
    street = street_code(index)
    out = StreetRows(street=street)
    slots = ID_SEQUENCES // streets  # this street's sequence numbers: [index * slots, (index + 1) * slots)
    used: dict[tuple[str, date, bool], int] = {}
    count = 0  # residents of this street so far

    def id_number(region: str, birth: date, male: bool) -> IdNumber:
        while (n := used.get((region, birth, male), 0)) >= slots:
            birth -= timedelta(days=1)  # that day's numbers of this street are taken: a day earlier
        used[(region, birth, male)] = n + 1
        body = f"{region}{birth:%Y%m%d}{(index * slots + n) * 2 + (1 if male else 0):03d}"
        return IdNumber(value=body + ric.calc_check_digit(body + "0"), birth_date=birth, gender="M" if male else "F")

    def name(male: bool, surname: str | None = None) -> str:
        chars = MALE if male else FEMALE
        surname = surname or rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        return surname + rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.75 else "")

    def person(
        household: uuid.UUID, grid: str, relation: str, age: int, male: bool, full_name: str, guardian: Any = None
    ) -> uuid.UUID:
        nonlocal count
        region = rng.choice(REGIONS)
        birth = today - timedelta(days=age * 365 + rng.randrange(0, 365))
        number = id_number(region, birth, male)
        phone = None
        if rng.random() < (0.82 if age >= 16 else 0.1):
            phone = f"1{rng.choice('3578')}{rng.randrange(0, 10)}{rng.randrange(0, 100_000_000):08d}"
            out.phones += 1
        sealed = seal(_pii, number, phone)
        pinyin, initials = _name_keys(full_name)
        tags = ["elderly"] if age >= 80 else []
        employment = "student" if 6 <= age <= 22 else "retired" if age >= 60 else rng.choice(["employed", "none"])
        resident_id = _uuid(rng)
        out.residents.append(
            (
                resident_id, household, relation, full_name, pinyin, initials, sealed.gender, sealed.birth_date,
                sealed.id_number_encrypted, sealed.id_number_index, sealed.id_number_masked,
                sealed.phone_encrypted, sealed.phone_index, sealed.phone_masked,
                "北京市朝阳区" if region == COUNTY else None,
                rng.choices(RESIDENCE_TYPES, RESIDENCE_WEIGHTS)[0], None, employment, [], tags, guardian,
                grid, grid[:12], street, created, created,
            )
        )  # fmt: skip
        if index == 0 and count % SAMPLE_EVERY == 0:
            out.sample.append((number.value, full_name, pinyin, initials, grid, grid[:12], street))
        count += 1
        return resident_id

    for c in range(COMMUNITIES_PER_STREET):
        community = f"{street}{c + 1:03d}"
        compounds: list[tuple[uuid.UUID, str]] = []
        for k in range(GRIDS_PER_COMMUNITY // GRIDS_PER_COMPOUND):
            compounds.append(
                (_uuid(rng), COMPOUND_FIRST[(c + k) % len(COMPOUND_FIRST)] + COMPOUND_LAST[k % len(COMPOUND_LAST)])
            )
            out.compounds.append((*compounds[-1], community, street))
        for g in range(GRIDS_PER_COMMUNITY):
            in_grid = min(RESIDENTS_PER_GRID, residents - count)
            if in_grid <= 0:
                return out
            grid = f"{community}{g + 1:03d}"
            compound, compound_name = compounds[g // GRIDS_PER_COMPOUND]
            buildings = []
            for b in range(BUILDINGS_PER_GRID):
                number_in_compound = (g % GRIDS_PER_COMPOUND) * BUILDINGS_PER_GRID + b + 1
                buildings.append((_uuid(rng), f"{number_in_compound}号楼"))
                out.buildings.append((buildings[-1][0], compound, buildings[-1][1], 6, 2, grid, community, street))
            flats = [0] * BUILDINGS_PER_GRID
            left = in_grid
            h = 0
            while left > 0:
                size = min(left, rng.choices((1, 2, 3, 4), (20, 30, 30, 20))[0])
                left -= size
                b = h % BUILDINGS_PER_GRID
                flat = flats[b]
                flats[b] += 1
                h += 1
                unit, room = f"{flat % 2 + 1}单元", f"{flat // 2 % 6 + 1}0{flat // 12 + 1}"
                household = _uuid(rng)
                building_id, building_name = buildings[b]
                address = f"北京市朝阳区{compound_name}{building_name}{unit}{room}室"
                out.households.append((household, building_id, unit, room, address, grid, community, street, created))
                head_male = rng.random() < 0.6
                head_age = rng.randrange(22, 90) if size > 1 else rng.randrange(20, 95)
                head_name = name(head_male)
                head = person(household, grid, "head", head_age, head_male, head_name)
                if size >= 2:
                    spouse_age = max(20, head_age + rng.randrange(-4, 5))
                    person(household, grid, "spouse", spouse_age, not head_male, name(not head_male))
                for _ in range(size - 2):
                    male = rng.random() < 0.5
                    if head_age >= 55 and rng.random() < 0.5:  # a grown child living with the parents
                        age, relation = rng.randrange(20, head_age - 19), "child"
                    elif head_age < 55:
                        age, relation = rng.randrange(0, max(1, head_age - 21)), "child"
                    else:
                        age, relation = rng.randrange(3, 14), "grandchild"
                    surname = head_name[0] if head_male else None
                    person(household, grid, relation, age, male, name(male, surname), head if age < 14 else None)
    return out


# -- the database --------------------------------------------------------------------------------


async def _kept(url: str, rows: int) -> bool:
    """Whether ``url``'s database already holds ``rows`` residents of this generator, complete."""
    import asyncpg

    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        if not await conn.fetchval("SELECT to_regclass('bench_meta') IS NOT NULL"):
            return False
        meta = await conn.fetchrow("SELECT rows, seed, generator FROM bench_meta")
        if meta is None or (meta["rows"], meta["seed"], meta["generator"]) != (rows, SEED, GENERATOR):
            return False
        return bool(await conn.fetchval("SELECT count(*) FROM resident") == rows)
    finally:
        await conn.close()


async def _without_indexes(conn: Any, tables: Sequence[str] = LOADED_TABLES) -> list[str]:
    """Drop the tables' foreign keys and plain indexes (COPY then builds no index row by row);
    return the statements that put them back exactly as the migrations made them. (The reads
    benchmark loads its orders and visits the same way.)"""
    tables = list(tables)
    foreign = await conn.fetch(
        "SELECT conrelid::regclass::text AS tab, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid::regclass::text = ANY($1)",
        tables,
    )
    indexes = await conn.fetch(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i"
        " WHERE i.indrelid::regclass::text = ANY($1)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        tables,
    )
    for row in foreign:
        await conn.execute(f'ALTER TABLE {row["tab"]} DROP CONSTRAINT "{row["conname"]}"')
    for row in indexes:
        await conn.execute(f"DROP INDEX {row['name']}")
    restore = [row["def"] for row in indexes]
    restore += [f'ALTER TABLE {row["tab"]} ADD CONSTRAINT "{row["conname"]}" {row["def"]}' for row in foreign]
    return restore


async def load_residents(url: str, rows: int) -> dict[str, Any]:
    """Generate and COPY ``rows`` residents street by street (two generating processes, the COPY in
    this one), rebuild the indexes and foreign keys, VACUUM ANALYZE (so that autovacuum does not
    start on the new rows while the benchmark measures); the phases' seconds."""
    import asyncpg

    streets = streets_for(rows)
    today = datetime.now(UTC).date()
    created = datetime(2025, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    phones = 0
    try:
        await conn.execute(
            "CREATE TABLE bench_meta (rows integer, seed integer, generator integer, loaded_at timestamptz,"
            " seconds double precision)"
        )
        await conn.execute(
            "CREATE TABLE bench_sample (n serial PRIMARY KEY, " + ", ".join(f"{c} text" for c in SAMPLE_COLUMNS) + ")"
        )
        restore = await _without_indexes(conn)
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(WORKERS, initializer=_worker_init) as pool:
            pending: deque[Future[StreetRows]] = deque()
            submitted = 0

            def submit() -> None:
                nonlocal submitted
                size = min(RESIDENTS_PER_STREET, rows - submitted * RESIDENTS_PER_STREET)
                pending.append(pool.submit(generate_street, submitted, streets, size, today, created))
                submitted += 1

            while submitted < min(IN_FLIGHT, streets):
                submit()
            done = 0
            while pending:
                try:
                    part = await asyncio.wrap_future(pending.popleft(), loop=loop)
                except BaseException:
                    for queued in pending:  # do not generate what will never be copied
                        queued.cancel()
                    raise
                if submitted < streets:
                    submit()
                for table, columns, records in (
                    ("compound", COMPOUND_COLUMNS, part.compounds),
                    ("building", BUILDING_COLUMNS, part.buildings),
                    ("household", HOUSEHOLD_COLUMNS, part.households),
                    ("resident", RESIDENT_COLUMNS, part.residents),
                ):
                    await conn.copy_records_to_table(table, records=records, columns=columns)
                if part.sample:
                    await conn.copy_records_to_table("bench_sample", records=part.sample, columns=SAMPLE_COLUMNS)
                phones += part.phones
                done += len(part.residents)
                if len(pending) == 0 or (done // RESIDENTS_PER_STREET) % 10 == 0:
                    say(f"  {done} residents copied ({time.perf_counter() - started:.0f} s)")
        generated = time.perf_counter() - started
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for statement in restore:
            await conn.execute(statement)
        indexed = time.perf_counter() - started - generated
        await conn.execute("VACUUM (ANALYZE) " + ", ".join(LOADED_TABLES))
        seconds = time.perf_counter() - started
        await conn.execute("INSERT INTO bench_meta VALUES ($1, $2, $3, now(), $4)", rows, SEED, GENERATOR, seconds)
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in LOADED_TABLES}
    finally:
        await conn.close()
    return {
        "seconds": seconds,
        "generate_and_copy_seconds": generated,
        "indexes_seconds": indexed,
        "vacuum_analyze_seconds": seconds - generated - indexed,
        "counts": counts,
        "phone_share": phones / rows if rows else 0.0,
    }


async def _sample(url: str) -> list[dict[str, str]]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return [
            dict(r) for r in await conn.fetch("SELECT " + ", ".join(SAMPLE_COLUMNS) + " FROM bench_sample ORDER BY n")
        ]
    finally:
        await conn.close()


async def _table_sizes(url: str) -> dict[str, Any]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT pg_size_pretty(pg_table_size('resident')) AS heap,"
            " pg_size_pretty(pg_indexes_size('resident')) AS indexes,"
            " pg_size_pretty(pg_database_size(current_database())) AS database,"
            " current_setting('shared_buffers') AS shared_buffers,"
            " (SELECT datcollate FROM pg_database WHERE datname = current_database()) AS collation"
        )
        return dict(row)
    finally:
        await conn.close()


def prepare(postgres: Postgres, rows: int) -> tuple[str, dict[str, Any] | None]:
    """The database's URL, loaded (the load's figures) or kept from a previous run (None)."""
    from deploy.processes import BY_NAME
    from shared.embedded import ensure_databases_sync, replace_database
    from shared.migrate import upgrade

    url = replace_database(postgres.admin_url, DATABASE)
    ensure_databases_sync(postgres.admin_url, [DATABASE])
    if asyncio.run(_kept(url, rows)):
        upgrade(BY_NAME["residents"].migrations, url)  # a no-op unless a migration came since
        say(f"{DATABASE} already holds {rows} residents of this generator: kept, not loaded again")
        return url, None
    url = postgres.fresh_database(DATABASE)
    upgrade(BY_NAME["residents"].migrations, url)
    say(f"loading {rows} residents in {streets_for(rows)} streets into {DATABASE} ({postgres.kind})")
    load = asyncio.run(load_residents(url, rows))
    say(
        f"loaded in {load['seconds']:.1f} s (generate+COPY {load['generate_and_copy_seconds']:.1f} s, indexes"
        f" {load['indexes_seconds']:.1f} s, VACUUM ANALYZE {load['vacuum_analyze_seconds']:.1f} s): {load['counts']}"
    )
    return url, load


# -- the client ----------------------------------------------------------------------------------


@dataclass
class Series:
    """One kind of request, sent ``WARMUP_REQUESTS + REQUESTS`` times one after the other."""

    label: str
    role: str
    headers: dict[str, str] = field(repr=False)
    paths: Callable[[random.Random], str] = field(repr=False)
    check: Callable[[list[dict[str, Any]]], bool] = field(repr=False)
    explain: Callable[[str], tuple[Any, Any]] = field(repr=False)  # path -> (principal, filters)


@dataclass
class Latencies:
    label: str
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    rps: float
    server_cpu_per_request_us: float | None
    met: bool
    slowest_path: str
    example_path: str
    statuses: dict[str, int]
    error_sample: str | None = None
    explain: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cpu_seconds(pid: int) -> float | None:
    try:
        import psutil

        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    except Exception:  # noqa: BLE001 - the figure is informative only
        return None


def measure(server: Server, series: Series, rng: random.Random) -> Latencies:
    """One keep-alive connection, one request at a time; latency from sending to the last byte read.
    A non-200 answer, or one whose items are not what the request must find, is an error."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    latencies: list[tuple[float, str]] = []
    errors, error_sample = 0, None
    statuses: dict[str, int] = {}
    cpu_start = wall_start = 0.0
    try:
        for n in range(WARMUP_REQUESTS + REQUESTS):
            if n == WARMUP_REQUESTS:
                cpu_start, wall_start = _cpu_seconds(server.pid) or 0.0, time.perf_counter()
            path = series.paths(rng)
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=series.headers)
                response = connection.getresponse()
                body = response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                body, status = str(exc).encode(), "exception"
            elapsed = time.perf_counter() - began
            if n < WARMUP_REQUESTS:
                continue
            latencies.append((elapsed, path))
            statuses[status] = statuses.get(status, 0) + 1
            ok = status == "200"
            if ok:
                try:
                    ok = series.check(json.loads(body)["items"])
                except (ValueError, KeyError, TypeError):
                    ok = False
            if not ok:
                errors += 1
                error_sample = error_sample or f"{status} {path}: {body[:300].decode(errors='replace')}"
        wall = time.perf_counter() - wall_start
        cpu_end = _cpu_seconds(server.pid)
    finally:
        connection.close()
    ordered = sorted(t for t, _ in latencies)
    p99 = _percentile(ordered, 0.99) * 1000
    cpu_per_request = (cpu_end - cpu_start) / len(latencies) * 1e6 if cpu_end is not None and latencies else None
    return Latencies(
        label=series.label,
        requests=len(latencies),
        errors=errors,
        p50_ms=_percentile(ordered, 0.50) * 1000,
        p99_ms=p99,
        mean_ms=sum(ordered) / len(ordered) * 1000,
        max_ms=ordered[-1] * 1000,
        rps=len(latencies) / wall if wall else 0.0,
        server_cpu_per_request_us=cpu_per_request,
        met=p99 < TARGET_P99_MS and errors == 0,
        slowest_path=max(latencies)[1],
        example_path=latencies[0][1],
        statuses=statuses,
        error_sample=error_sample,
    )


def _prefixes(sample: list[dict[str, str]], rng: random.Random) -> Iterator[str]:
    """What people type: the first 2-4 letters of a real name's pinyin ("zhan"), or its initials ("zs")."""
    while True:
        person = rng.choice(sample)
        if rng.random() < 0.6:
            yield person["name_pinyin"][: rng.randrange(2, 5)]
        else:
            yield person["name_initials"]


# -- EXPLAIN of a slow request -------------------------------------------------------------------


def _statement(principal: Any, filters: Any) -> tuple[str, list[Any]]:
    """The SQL and arguments the service runs for this request (``queries.list_statement``: the
    statement prepared for its shape and the values that fill it), as asyncpg gets them."""
    from services.residents.registry import queries

    _worker_init()
    query, values = queries.list_statement(pii=_pii, principal=principal, filters=filters, limit=PAGE, cursor=None)
    return query.sql, query.args(values)


def _literal(value: Any) -> str:
    """A bound value as SQL text, for ``EXECUTE``: the statement's own casts give the types."""
    if isinstance(value, list):
        return "ARRAY[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, bytes):
        return "'\\x" + value.hex() + "'"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def _explain(url: str, sql: str, args: list[Any]) -> dict[str, str]:
    """EXPLAIN ANALYZE of the statement prepared as the service's driver prepares it, executed with the
    request's values: with a custom plan (what the first five executions of a prepared statement
    get) and with the generic plan PostgreSQL may switch to after them."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        plans = {}
        execute = "EXECUTE bench_explain(" + ", ".join(_literal(a) for a in args) + ")"
        for mode in ("force_custom_plan", "force_generic_plan"):
            await conn.execute(f"SET plan_cache_mode = {mode}")
            await conn.execute("PREPARE bench_explain AS " + sql)
            try:
                rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + execute)
            finally:
                await conn.execute("DEALLOCATE bench_explain")
            plans[mode] = "\n".join(r[0] for r in rows)
        return {"sql": sql, "args": repr(args), **plans}
    finally:
        await conn.close()


# -- the benchmark -------------------------------------------------------------------------------


def run(options: Options) -> dict[str, Any]:
    import jwt

    from services.residents.registry.queries import Filters
    from shared.pii import mask_id_number
    from shared.security import Principal
    from shared.testing import TEST_ISSUER, TestKeys

    rows = options.rows
    if not RESIDENTS_PER_STREET <= rows <= MAX_ROWS:
        raise SystemExit(f"--rows must be {RESIDENTS_PER_STREET}..{MAX_ROWS} for {NAME} (a street at least)")

    postgres = Postgres()
    url, load = prepare(postgres, rows)
    sizes = asyncio.run(_table_sizes(url))
    sample = asyncio.run(_sample(url))
    street = street_code(0)
    community = sample[0]["community_code"]
    grid = sample[0]["grid_code"]
    grids = [
        f"{street}{c + 1:03d}{g + 1:03d}" for c in range(COMMUNITIES_PER_STREET) for g in range(GRIDS_PER_COMMUNITY)
    ]
    all_grids = (rows + RESIDENTS_PER_GRID - 1) // RESIDENTS_PER_GRID
    in_community = [p for p in sample if p["community_code"] == community]

    keys = TestKeys()
    tokens = {
        "street_admin": keys.token(roles=["street_admin"], places={"street_admin": [street]}, ttl=3600),
        "community_staff": keys.token(roles=["community_staff"], places={"community_staff": [community]}, ttl=3600),
        "grid_worker": keys.token(roles=["grid_worker"], places={"grid_worker": [grid]}, ttl=3600),
    }
    principals = {
        role: Principal.from_claims(jwt.decode(token, options={"verify_signature": False}))
        for role, token in tokens.items()
    }
    auth = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
    base = "/api/v1/residents?"
    masks = {mask_id_number(p["id_number"]) for p in sample}
    prefix_in_street = _prefixes(sample, random.Random(f"{SEED}:prefix:street"))
    prefix_in_community = _prefixes(in_community, random.Random(f"{SEED}:prefix:community"))

    def query(path: str) -> dict[str, str]:
        return dict(item.split("=", 1) for item in path[len(base) :].split("&"))

    def by_grid(role: str) -> Callable[[str], tuple[Any, Any]]:
        return lambda path: (principals[role], Filters(grid_code=query(path)["grid_code"]))

    def by_q(role: str) -> Callable[[str], tuple[Any, Any]]:
        return lambda path: (principals[role], Filters(q=query(path)["q"]))

    def full_page(items: list[dict[str, Any]]) -> bool:
        return len(items) == PAGE

    def found(items: list[dict[str, Any]]) -> bool:
        return len(items) >= 1

    def one_known(items: list[dict[str, Any]]) -> bool:
        return len(items) == 1 and items[0]["id_number"] in masks

    series = [
        Series(
            "list by grid (street admin)",
            "street_admin",
            auth["street_admin"],
            lambda r: base + urlencode({"grid_code": r.choice(grids), "limit": PAGE}),
            full_page,
            by_grid("street_admin"),
        ),
        Series(
            "list by grid (grid worker)",
            "grid_worker",
            auth["grid_worker"],
            lambda r: base + urlencode({"grid_code": grid, "limit": PAGE}),
            full_page,
            by_grid("grid_worker"),
        ),
        Series(
            "pinyin prefix (community staff)",
            "community_staff",
            auth["community_staff"],
            lambda r: base + urlencode({"q": next(prefix_in_community), "limit": PAGE}),
            found,
            by_q("community_staff"),
        ),
        Series(
            "pinyin prefix (street admin)",
            "street_admin",
            auth["street_admin"],
            lambda r: base + urlencode({"q": next(prefix_in_street), "limit": PAGE}),
            found,
            by_q("street_admin"),
        ),
        Series(
            "ID number (street admin)",
            "street_admin",
            auth["street_admin"],
            lambda r: base + urlencode({"q": r.choice(sample)["id_number"], "limit": PAGE}),
            one_known,
            by_q("street_admin"),
        ),
    ]

    background = background_cpu()
    results: list[Latencies] = []
    say(f"residents service: starting, then {WARMUP_REQUESTS} + {REQUESTS} requests of each kind, one client")
    with serve_json("/jwks.json", keys.jwks) as jwks_url:
        env = {
            "RESIDENTS_DATABASE_URL": url,
            "RESIDENTS_PROFILE": "development",
            "RESIDENTS_JWKS_URL": jwks_url,
            "RESIDENTS_JWT_ISSUER": TEST_ISSUER,
        }
        with uvicorn("residents", "services.residents.app:create_app", env, factory=True) as server:
            for one in series:
                say(f"  {one.label}")
                results.append(measure(server, one, random.Random(f"{SEED}:{one.label}")))
                if results[-1].errors and results[-1].errors == results[-1].requests:
                    raise RuntimeError(f"{one.label}: every request failed, e.g. {results[-1].error_sample}")

    for one, result in zip(series, results, strict=True):
        if not result.met:
            principal, filters = one.explain(result.slowest_path)
            sql, args = _statement(principal, filters)
            result.explain = asyncio.run(_explain(url, sql, args))

    met = all(r.met for r in results)
    loaded = f"loaded in {load['seconds']:.0f} s" if load else "kept from a previous run"
    print(
        f"{NAME}: GET /api/v1/residents (residents service), {rows} residents in {all_grids}"
        f" grids ({loaded}), 1 client, {REQUESTS} requests each after {WARMUP_REQUESTS} not counted"
    )
    if load:
        counts = load["counts"]
        print(
            f"  load: {counts['resident']} residents, {counts['household']} households, {counts['building']} buildings,"
            f" {counts['compound']} compounds in {load['seconds']:.1f} s (generate+COPY"
            f" {load['generate_and_copy_seconds']:.1f} s, indexes and foreign keys {load['indexes_seconds']:.1f} s,"
            f" VACUUM ANALYZE {load['vacuum_analyze_seconds']:.1f} s); {load['phone_share']:.0%} with a phone"
        )
    print(
        f"  database: resident {sizes['heap']} + indexes {sizes['indexes']}, {DATABASE} {sizes['database']},"
        f" shared_buffers {sizes['shared_buffers']}"
    )
    for result in results:
        verdict = "met" if result.met else "missed"
        cpu = f"  server cpu/req {result.server_cpu_per_request_us or 0:5.0f} us"
        print(
            f"  {result.label:<32} {result.rps:6.1f} req/s  p50 {result.p50_ms:5.1f} ms  p99 {result.p99_ms:6.1f} ms"
            f"  max {result.max_ms:6.1f} ms  errors {result.errors}{cpu}"
            f"  (target p99 < {TARGET_P99_MS:.0f} ms) {verdict}"
        )
    for result in results:
        if result.errors:
            print(f"  {result.label}: {result.errors} errors, e.g. {result.error_sample}; statuses {result.statuses}")
        if result.explain:
            print(f"  {result.label}: slowest request {result.slowest_path}")
            for mode in ("force_custom_plan", "force_generic_plan"):
                print(f"    EXPLAIN (ANALYZE, BUFFERS), plan_cache_mode = {mode}:")
                for line in result.explain[mode].splitlines():
                    print(f"      {line}")
    return {
        "name": NAME,
        "endpoint": "/api/v1/residents",
        "rows": rows,
        "grids": all_grids,
        "database": postgres.kind,
        "sizes": sizes,
        "load": load,
        "kept": load is None,
        "background_cpu": background,
        "clients": 1,
        "warmup_requests": WARMUP_REQUESTS,
        "requests": REQUESTS,
        "scope": {"street": street, "community": community, "grid": grid},
        "results": [r.to_dict() for r in results],
        "target_p99_ms": TARGET_P99_MS,
        "met": met,
    }
