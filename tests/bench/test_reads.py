"""The reads benchmark's own logic: what it records of a request, how the bare handler replays it, and
how it fills paths, reads SMS codes and gives verdicts (bench/reads.py, bench/bare_reads.py)."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from bench import bare_reads
from bench.bare_reads import Answer, Step, runs
from bench.loadgen import LoadResult
from bench.reads import READS, Outcome, Read, Recorder, Recording, fill, lane_of, sms_code_from_log
from shared.pii import mask_phone


def _step(conn: int, sql: str = "SELECT 1", lane: str = "fast lane") -> Step:
    return Step(conn=conn, lane=lane, method="fetch", sql=sql, args=())


@pytest.mark.no_db
def test_runs_keep_a_connections_statements_together() -> None:
    steps = [_step(0), _step(1, "BEGIN;", "transaction"), _step(1), _step(1, "COMMIT;", "transaction"), _step(0)]
    assert [[s.conn for s in run] for run in runs(steps)] == [[0], [1, 1, 1], [0]]


@pytest.mark.no_db
def test_lanes() -> None:
    assert lane_of("SELECT 1", "orders-read") == "fast lane"
    assert lane_of("SELECT 1", "orders") == "ORM"
    assert lane_of("BEGIN ISOLATION LEVEL READ COMMITTED;", "orders") == "transaction"
    assert lane_of("COMMIT;", "orders-read") == "transaction"


@pytest.mark.no_db
def test_paths_are_filled_from_earlier_answers() -> None:
    answers = {"residents": {"items": [{"id": "r-1", "name": "张三"}]}, "orders": {"items": []}}
    assert fill(Read("r", "residents", "gw1", "/api/v1/residents/{id}", id_from="residents"), answers) == (
        "/api/v1/residents/r-1"
    )
    assert fill(Read("q", "residents", "gw1", "/api/v1/residents?q={initials}"), answers) == "/api/v1/residents?q=zs"
    with pytest.raises(LookupError):
        fill(Read("o", "orders", "staff", "/api/v1/orders/{id}", id_from="orders"), answers)


@pytest.mark.no_db
def test_the_table_is_consistent() -> None:
    keys = [read.key for read in READS]
    assert len(keys) == len(set(keys))
    for index, read in enumerate(READS):
        if read.id_from is not None:
            assert read.id_from in keys[:index], f"{read.key} takes its id from a read listed after it"


@pytest.mark.no_db
def test_the_sms_code_is_read_from_the_gateways_log(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    line = '{"level":"warning","msg":"development SMS: login code %s for %s","request_id":"x"}\n'
    log.write_text(line % ("111111", mask_phone("13900000002")) + line % ("222222", mask_phone("13900000001")))
    assert sms_code_from_log(log, "13900000001") == "222222"
    with pytest.raises(RuntimeError):
        sms_code_from_log(log, "13900000003", timeout=0)


def _load(rps: float, errors: int = 0) -> LoadResult:
    return LoadResult(
        url="", connections=32, seconds=1, requests=int(rps), errors=errors, rps=rps, p50_ms=1, p99_ms=2, mean_ms=1,
        max_ms=3,
    )  # fmt: skip


@pytest.mark.no_db
def test_verdicts() -> None:
    read = READS[0]
    fast = Recording(status=200, steps=[_step(0)])
    orm = Recording(status=200, steps=[_step(0, "BEGIN;", "transaction"), _step(0, lane="ORM")])
    assert Outcome(read, recording=fast, service=_load(600), bare=_load(1000)).verdict == "ok"
    assert Outcome(read, recording=fast, service=_load(400), bare=_load(1000)).verdict == "below target"
    assert Outcome(read, recording=orm, service=_load(900), bare=_load(1000)).verdict == "not on the fast lane"
    assert Outcome(read, recording=Recording(status=200), service=_load(900), bare=_load(1000)).verdict == "ok"
    assert Outcome(read, recording=fast, service=_load(900, errors=3), bare=_load(1000)).verdict == "errors under load"
    assert Outcome(read, recording=fast, service=_load(1), bare=_load(0)).verdict == "no answer in the window"
    assert Outcome(read, error="answered 500").verdict == "error"


async def test_what_a_request_runs_is_recorded_and_replayed(database_urls: dict[str, str], tmp_path: Path) -> None:
    """The fast lane's statements and an ORM-style transaction on a connection of its own are kept in
    order with their lanes; a pool's reset of a connection it gets back and statements outside the
    request are not; the bare handler replays them and answers the last query's rows."""
    dsn = database_urls["grids"].replace("postgresql+asyncpg://", "postgresql://")
    lane = await asyncpg.create_pool(dsn, min_size=1, max_size=2, server_settings={"application_name": "x-read"})
    orm = await asyncpg.connect(dsn, server_settings={"application_name": "x"})
    try:
        with Recorder() as recorder:

            async def request() -> list[Any]:
                await lane.fetchval("SELECT $1::int + 1", 1)
                async with orm.transaction():
                    prepared = await orm.prepare("SELECT $1::text AS word")
                    await prepared.fetch("orm")
                return await lane.fetch("SELECT n FROM generate_series(1, $1::int) AS n", 3)

            await lane.fetchval("SELECT 'not in a request'")
            recording, rows = await recorder.record(request)
        assert len(rows) == 3
        assert [(s.conn, s.lane, s.method, s.sql.split()[0]) for s in recording.steps] == [
            (0, "fast lane", "fetchval", "SELECT"),
            (1, "transaction", "execute", "BEGIN;"),
            (1, "ORM", "fetch", "SELECT"),
            (1, "transaction", "execute", "COMMIT;"),
            (0, "fast lane", "fetch", "SELECT"),
        ]
        assert recording.steps[2].args == ("orm",)
        assert not recording.on_fast_lane
    finally:
        await lane.close()
        await orm.close()

    plans = tmp_path / "reads.pickle"
    plans.write_bytes(pickle.dumps({"series": recording.steps, "me": Answer({"id": uuid.UUID(int=1)})}))
    app = bare_reads.app
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BARE_READS_FILE", str(plans))
        env.setenv("BARE_DATABASE_URL", dsn)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bare") as client:
                series = await client.get("/r/series")
                me = await client.get("/r/me")
                missing = await client.get("/r/nothing")
    assert series.json() == {"items": [{"n": 1}, {"n": 2}, {"n": 3}]}
    assert me.json() == {"id": str(uuid.UUID(int=1))}
    assert missing.status_code == 404
