"""households: how long the grids service's copy of the households takes to catch up with a big import.

The platform as ``make run`` wires it (gateway, grids and residents as real processes on databases of
their own, the demo community loaded): the demo's community staff imports a register of ``--rows``
residents (default 100,000; a CSV with the columns staff use) through the gateway
(``POST /api/v1/residents/import``); the residents service writes its households and their
``household.created`` events, its relay delivers them to the grids service, which applies each to its
copy. From the import's answer on, the harness reads both databases until the copy holds every household
the residents service has: the convergence time, target < 60 s. Then ``deploy.resync households --check``
compares the two copies field by field (it must find no difference) and the seconds it took are printed.

The import route takes sheets of up to 32 MiB, at the gateway too, and the gateway waits up to 300 s for
its answer (``GATEWAY_PROXY_SLOW_PATHS``).
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid
from contextlib import ExitStack
from datetime import date, timedelta
from typing import Any

from bench.harness import (
    Options,
    Postgres,
    background_cpu,
    free_port,
    process_env,
    say,
    sign_in,
    uvicorn,
)

NAME = "households"
DEFAULT_ROWS = 100_000
TARGET_SECONDS = 60.0
GIVE_UP_SECONDS = 600.0  # of waiting for the copy
IMPORT_TIMEOUT = 600.0  # of waiting for the import's answer
POLL_SECONDS = 0.25
PROCESSES = ("grids", "residents", "gateway")  # in the order their demo data depends on each other
# Databases of their own: the residents benchmark keeps bench_residents (a million residents).
DATABASES = {name: f"bench_households_{name}" for name in PROCESSES}
STAFF = "staff"
HEADER = ("姓名", "身份证号", "小区", "楼栋", "单元", "门牌号", "与户主关系", "居住类型", "网格编码")
REGION = "310101"  # no demo resident comes from there: every ID number is new
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
RELATIONS = ("户主", "配偶", "子女", "子女")  # a household of 1 to 4, all adults (no guardian needed)
HOUSEHOLDS_PER_BUILDING = 50  # 5 units of 10 rooms
BUILDINGS_PER_COMPOUND = 20


def id_number(index: int) -> str:
    """The index-th resident's ID number: valid (GB 11643 check digit), of an adult, one per index."""
    birth = date(1950, 1, 1) + timedelta(days=index // 1000)
    first17 = f"{REGION}{birth:%Y%m%d}{index % 1000:03d}"
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def register(rows: int, grids: list[str]) -> tuple[bytes, int]:
    """A register of ``rows`` residents in households of 1-4 (2.5 on average) in new compounds of the
    demo community, each building in one of its grids; the CSV and its number of households."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    index = household = 0
    while index < rows:
        building = household // HOUSEHOLDS_PER_BUILDING
        compound = f"基准小区{building // BUILDINGS_PER_COMPOUND + 1}"
        place = (
            compound,
            f"{building % BUILDINGS_PER_COMPOUND + 1}号楼",
            f"{household % HOUSEHOLDS_PER_BUILDING // 10 + 1}单元",
            f"{household % 10 + 1}01",
        )
        grid = grids[building % len(grids)]
        for relation in RELATIONS[: min(household % 4 + 1, rows - index)]:
            name = SURNAMES[index % len(SURNAMES)] + GIVEN[index * 7 % len(GIVEN)]
            writer.writerow((name, id_number(index), *place, relation, "户籍", grid))
            index += 1
        household += 1
    return out.getvalue().encode(), household


async def _household_ids(url: str) -> list[uuid.UUID]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return [row["id"] for row in await conn.fetch("SELECT id FROM household")]
    finally:
        await conn.close()


async def _converge(grids_url: str, ids: list[uuid.UUID], started: float) -> tuple[float | None, int]:
    """Seconds from ``started`` until the grids copy holds every one of ``ids`` (None: given up), and how
    many it held last."""
    import asyncpg

    conn = await asyncpg.connect(grids_url)
    try:
        shown = time.monotonic()
        while True:
            held = await conn.fetchval("SELECT count(*) FROM household WHERE id = ANY($1::uuid[])", ids)
            now = time.monotonic()
            if held == len(ids):
                return now - started, held
            if now - started > GIVE_UP_SECONDS:
                return None, held
            if now - shown > 5:
                say(f"the grids copy holds {held} of {len(ids)} households ({now - started:.0f} s)")
                shown = now
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await conn.close()


def run(options: Options) -> dict[str, Any]:
    import httpx

    from deploy import resync
    from deploy.demo import PASSWORD, align_household_copy, load_process
    from deploy.processes import BY_NAME
    from shared.demo import GRIDS
    from shared.migrate import upgrade

    postgres = Postgres()
    urls = {name: postgres.fresh_database(database) for name, database in DATABASES.items()}
    say(f"migrating and loading the demo community ({postgres.kind})")
    for name in PROCESSES:
        upgrade(BY_NAME[name].migrations, urls[name])
        asyncio.run(load_process(BY_NAME[name], urls[name]))
    asyncio.run(align_household_copy(urls))
    say(f"writing a register of {options.rows} residents")
    sheet, households = register(options.rows, list(GRIDS))

    ports = {name: free_port() for name in PROCESSES}
    bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    services = {name: bases.get(name, bases["grids"]) for name in ("residents", "grids", "orders", "jobs")}
    background = background_cpu()

    def env(name: str) -> dict[str, str]:
        prefix = BY_NAME[name].env_prefix
        settings = process_env(name, urls[name], bases, services) | {
            f"{prefix}GATEWAY_URL": bases["gateway"],
            f"{prefix}RELAY_INTERVAL_SECONDS": "0.2",
        }
        return settings

    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                uvicorn(f"households-{name}", BY_NAME[name].app_factory, env(name), factory=True, port=ports[name])
            )
            for name in PROCESSES
        }
        gateway = servers["gateway"]
        staff = sign_in(gateway, STAFF, PASSWORD)
        say(f"importing {options.rows} rows ({len(sheet) / 1e6:.1f} MB CSV) through the gateway as {STAFF}")
        began = time.monotonic()
        with httpx.Client(base_url=gateway.base_url, timeout=IMPORT_TIMEOUT) as client:
            answer = client.post(
                "/api/v1/residents/import",
                files={"file": ("register.csv", sheet, "text/csv")},
                headers=staff,
            )
        answered = time.monotonic()
        import_seconds = answered - began
        report = answer.json() if answer.headers.get("content-type", "").endswith("json") else answer.text
        if answer.status_code != 200 or not isinstance(report, dict) or report.get("errors"):
            raise RuntimeError(
                f"the import answered {answer.status_code}: {str(report)[:500]}\n{servers['residents'].log_tail()}"
            )
        ids = asyncio.run(_household_ids(urls["residents"]))
        say(f"imported in {import_seconds:.1f} s; waiting for the grids copy of {len(ids)} households")
        convergence, held = asyncio.run(_converge(urls["grids"], ids, answered))
        say("comparing the two copies with deploy.resync households --check")
        checked = time.monotonic()
        try:
            tally = asyncio.run(
                resync.resync(urls, servers["residents"].base_url, check=True, page_size=resync.MAX_PAGE)
            )
            differences = [line for _, line in tally.differences]
        except resync.CannotRun as error:
            differences = [f"the check could not run: {error}"]
        check_seconds = time.monotonic() - checked

    met = convergence is not None and convergence < TARGET_SECONDS and not differences
    verdict = "met" if met else "NOT MET"
    converged = f"{convergence:6.1f} s" if convergence is not None else f"gave up after {GIVE_UP_SECONDS:.0f} s"
    print(f"{NAME}: household copy convergence, a {options.rows}-row register imported through the gateway")
    print(f"  rows {options.rows}, households in the sheet {households}, in residents {len(ids)} (with the demo's)")
    print(f"  import (answer through the gateway)  {import_seconds:6.1f} s  created {report.get('created')}")
    print(f"  convergence after the answer         {converged}  held {held}/{len(ids)}  (target < 60 s) {verdict}")
    print(f"  resync --check                       {check_seconds:6.1f} s  differences {len(differences)}")
    for line in differences[:10]:
        print(f"    {line}")
    return {
        "name": NAME,
        "database": postgres.kind,
        "background_cpu": background,
        "rows": options.rows,
        "sheet_households": households,
        "households": len(ids),
        "sheet_bytes": len(sheet),
        "import_seconds": import_seconds,
        "created": report.get("created"),
        "convergence_seconds": convergence,
        "held": held,
        "check_seconds": check_seconds,
        "differences": len(differences),
        "target_seconds": TARGET_SECONDS,
        "met": met,
    }
