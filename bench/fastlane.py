"""fastlane: the grids service's list endpoint against a bare Starlette + asyncpg handler.

Both answer ``GET /api/v1/grids?street_code=<street>&limit=20`` from the same database (``rows``
grids) with the same SQL; the service through its whole stack (middleware, token verification,
access policy, FastAPI parameter validation, SQLAlchemy statement building and the fast lane,
pydantic response model), the bare handler with none of it. Each runs as its own uvicorn process,
one after the other, under the same load. The ratio of their throughputs is the price of the stack.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from bench import bare_app
from bench.harness import Options, Postgres, Server, background_cpu, get_json, say, serve_json, uvicorn
from bench.loadgen import LoadResult, run_load

NAME = "fastlane"
TARGET = 0.40
DATABASE = "bench_grids"
COUNTY = "110105"
COMMUNITIES_PER_STREET = 200
GRIDS_PER_COMMUNITY = 500
PAGE = 20
MAX_ROWS = 199 * COMMUNITIES_PER_STREET * GRIDS_PER_COMMUNITY


def _codes(rows: int) -> tuple[list[str], list[str], list[str]]:
    """``rows`` grid codes, 500 to a community and 200 communities to a street, with their parents."""
    streets: list[str] = []
    communities: list[str] = []
    grids: list[str] = []
    per_street = COMMUNITIES_PER_STREET * GRIDS_PER_COMMUNITY
    for s in range((rows + per_street - 1) // per_street):
        street = f"{COUNTY}{s + 1:03d}"
        streets.append(street)
        for c in range(COMMUNITIES_PER_STREET):
            first = s * per_street + c * GRIDS_PER_COMMUNITY
            if first >= rows:
                break
            community = f"{street}{c + 1:03d}"
            communities.append(community)
            grids += [f"{community}{g + 1:03d}" for g in range(min(GRIDS_PER_COMMUNITY, rows - first))]
    return streets, communities, grids


async def load_grids(url: str, rows: int) -> str:
    """Fill the grids tables with ``rows`` grids by COPY; return the street the benchmark asks for."""
    import asyncpg

    streets, communities, grids = _codes(rows)
    created = datetime(2024, 1, 1, tzinfo=UTC)
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "street", records=[(s, f"第{s[-3:]}街道", created) for s in streets], columns=["code", "name", "created_at"]
        )
        await conn.copy_records_to_table(
            "community",
            records=[(c, c[:9], f"第{c[-3:]}社区", created) for c in communities],
            columns=["code", "street_code", "name", "created_at"],
        )
        await conn.copy_records_to_table(
            "grid",
            records=[(g, g[:12], g[:9], f"第{g[-3:]}网格", created) for g in grids],
            columns=["code", "community_code", "street_code", "name", "created_at"],
        )
        await conn.execute("ANALYZE street, community, grid")
    finally:
        await conn.close()
    return streets[0]


def service_sql(token_claims: dict[str, Any], street: str) -> tuple[str, list[Any]]:
    """The SQL text and arguments the grids service runs for this request, taken from its own code
    (``service.list_grids`` with a fast lane that records instead of running)."""
    from services.grids.places import service
    from shared.fastlane import FastLane
    from shared.security import Principal

    class Recorder(FastLane):
        sql = ""
        args: list[Any] = []

        async def fetch_prepared(self, query: Any, values: dict[str, Any]) -> list[Any]:
            self.sql, self.args = query.sql, query.args(values)
            return []

    recorder = Recorder(cast(Any, None))
    asyncio.run(
        service.list_grids(
            lane=recorder,
            principal=Principal.from_claims(token_claims),
            community_code=None,
            street_code=street,
            limit=PAGE,
            cursor=None,
        )
    )
    return recorder.sql, recorder.args


def _check(server: Server, path: str, headers: dict[str, str]) -> list[str]:
    """One request before measuring: 200, a full page and a cursor. Returns the codes served."""
    status, body = get_json(server.base_url + path, headers)
    if status != 200 or not isinstance(body, dict) or len(body.get("items", [])) != PAGE or not body["next_cursor"]:
        raise RuntimeError(f"{server.name}: GET {path} answered {status}: {str(body)[:500]}\n{server.log_tail()}")
    return [item["code"] for item in body["items"]]


def _line(label: str, result: LoadResult) -> str:
    cpu = ""
    if result.server_cpu is not None and result.loadgen_cpu is not None:
        cpu = f"  cpu server {result.server_cpu:4.0%} loadgen {result.loadgen_cpu:4.0%}"
        if result.machine_cpu is not None:
            cpu += f" machine {result.machine_cpu:4.0%}"
        cpu += f"  server cpu/req {result.server_cpu_per_request_us or 0:5.0f} us"
    return (
        f"  {label:<24} {result.rps:8.1f} req/s  p50 {result.p50_ms:5.1f} ms  p99 {result.p99_ms:6.1f} ms"
        f"  errors {result.errors}{cpu}"
    )


def run(options: Options) -> dict[str, Any]:
    import jwt

    from deploy.processes import BY_NAME
    from shared.migrate import upgrade
    from shared.testing import TEST_ISSUER, TestKeys

    if not 1 <= options.rows <= MAX_ROWS:
        raise SystemExit(f"--rows must be 1..{MAX_ROWS}")
    if options.rows < PAGE + 1:
        raise SystemExit(f"--rows must be at least {PAGE + 1}: the check wants a full page and a cursor")

    postgres = Postgres()
    url = postgres.fresh_database(DATABASE)
    upgrade(BY_NAME["grids"].migrations, url)
    say(f"loading {options.rows} grids into {DATABASE} ({postgres.kind})")
    street = asyncio.run(load_grids(url, options.rows))

    keys = TestKeys()
    token = keys.token(roles=["street_admin"], places={"street_admin": [street]}, ttl=3600)
    auth = {"Authorization": f"Bearer {token}"}
    sql, args = service_sql(jwt.decode(token, options={"verify_signature": False}), street)
    sql_match = sql == bare_app.SQL and args == [[street], street, PAGE + 1]
    if not sql_match:
        say(f"WARNING: the service's SQL is no longer the bare handler's:\n{sql}\n{args}")

    path = f"/api/v1/grids?street_code={street}&limit={PAGE}"
    background = background_cpu()

    def load(server: Server, headers: dict[str, str]) -> LoadResult:
        return run_load(
            server.base_url + path,
            headers=headers,
            duration=options.duration,
            connections=options.connections,
            warmup=options.warmup,
            watch_pid=server.pid,
        )

    say("bare starlette+asyncpg: starting, checking, loading")
    with uvicorn("bare", "bench.bare_app:app", {"BARE_DATABASE_URL": url}) as bare:
        bare_codes = _check(bare, path, {})
        bare_result = load(bare, {})

    say("grids service: starting, checking, loading")
    with serve_json("/jwks.json", keys.jwks) as jwks_url:
        env = {
            "GRIDS_DATABASE_URL": url,
            "GRIDS_PROFILE": "development",
            "GRIDS_JWKS_URL": jwks_url,
            "GRIDS_JWT_ISSUER": TEST_ISSUER,
        }
        with uvicorn("grids", "services.grids.app:create_app", env, factory=True) as service:
            service_codes = _check(service, path, auth)
            service_result = load(service, auth)
    if service_codes != bare_codes:
        say("WARNING: the service and the bare handler served different pages")

    ratio = service_result.rps / bare_result.rps if bare_result.rps else 0.0
    met = ratio >= TARGET and bare_result.errors == 0 and service_result.errors == 0
    print(
        f"{NAME}: GET /api/v1/grids (grids service) vs bare Starlette+asyncpg, {options.rows} rows, "
        f"{options.connections} connections, {options.duration:g} s"
    )
    print(_line("bare starlette+asyncpg", bare_result))
    print(_line("grids service", service_result))
    verdict = "met" if met else "NOT MET"
    cost = ""
    bare_cost, service_cost = bare_result.server_cpu_per_request_us, service_result.server_cpu_per_request_us
    if bare_cost and service_cost:
        cost = f"; server cpu per request {service_cost / bare_cost:.1f}x the bare handler's"
    print(f"  {'ratio service/bare':<24} {ratio:8.2f}  (target >= {TARGET:.2f}) {verdict}{cost}")
    for label, result in (("bare", bare_result), ("service", service_result)):
        if result.errors:
            print(f"  {label}: {result.errors} errors, e.g. {result.error_sample}; statuses {result.statuses}")
    if not sql_match:
        print("  note: the SQL texts differ, the comparison is not like for like (see the warning above)")
    return {
        "name": NAME,
        "endpoint": path,
        "rows": options.rows,
        "database": postgres.kind,
        "sql": sql,
        "sql_match": sql_match,
        "same_page": service_codes == bare_codes,
        "background_cpu": background,
        "bare": bare_result.to_dict(),
        "service": service_result.to_dict(),
        "ratio": ratio,
        "target": TARGET,
        "met": met,
    }
