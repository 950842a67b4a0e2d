"""``python -m deploy.backup`` and ``python -m deploy.restore``: the demo community backed up from databases of
this module's own and restored into other, empty ones, on the suite's server (embedded PostgreSQL 16, or the one
of ``TEST_DATABASE_URL``) with the pg_dump, pg_restore and psql the pgserver package ships. The commands find the
databases as they do in production, through each process's ``<PREFIX>DATABASE_URL``."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from deploy import backup, demo, restore
from deploy.processes import BY_NAME, PROCESSES
from services.grids.inbox import HANDLERS as GRIDS_HANDLERS
from services.grids.models import inbox_event as grids_inbox
from services.residents import events as residents_events
from services.residents.app import create_app as create_residents_app
from services.residents.config import Settings as ResidentsSettings
from shared.demo import demo_uuid
from shared.embedded import database_url, ensure_databases, replace_database, start_embedded
from shared.events import BATCH_PATH, EventIn, apply_once, event_body
from shared.pii import PiiCipher
from shared.relay import Relay
from shared.testing import TestKeys, prepare_databases
from tests.conftest import ROOT, database_prefix
from tests.support import db
from tests.support.loopback import LoopbackServer, QuietHandler
from tests.support.people import staff

# This module's databases are its own: the suite's tables are not touched.
pytestmark = pytest.mark.keep_tables

NAMES = [spec.name for spec in PROCESSES]
TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
OUTBOX = "SELECT * FROM outbox_event ORDER BY seq"
INBOX = "SELECT * FROM inbox_event ORDER BY id"
HOUSEHOLD = demo_uuid("household", "13900000001")
RESIDENT = demo_uuid("resident", "13900000001")


class Consumers(LoopbackServer):
    """The services a relay delivers to, as it sees them: every delivery taken (2xx), its events' ids kept by
    consumer (``<base_url>/<consumer>`` is the consumer's address)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        consumers = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                events = body["events"] if self.path.endswith(BATCH_PATH) else [body]
                consumer = self.path.split("/")[1]
                consumers.received += [(consumer, event["id"]) for event in events]
                if self.path.endswith(BATCH_PATH):
                    return self._answer(200, {"statuses": ["applied"] * len(events)})
                self._answer(200, {"status": "applied"})

        super().__init__(Handler)


async def relay_once(url: str, producer: str) -> list[tuple[str, str]]:
    """What the producer's relay sends from this database now: (consumer, event id) of each delivery."""
    consumers = Consumers()
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    addresses = {name: f"{consumers.base_url}/{name}" for name in ("gateway", "grids", "orders")}
    relay = Relay(pool_getter=lambda: pool, service_urls=addresses, secret="backup-test", producer=producer)
    try:
        await relay.run_once()
    finally:
        await relay.stop()
        await pool.close()
        consumers.close()
    return consumers.received


async def outbox_events(url: str) -> list[EventIn]:
    return [EventIn.model_validate_json(event_body(row)) for row in await db.rows(url, OUTBOX)]


async def household_event(url: str) -> uuid.UUID:
    """A ``household.updated`` in the residents outbox, written by the residents service's own code."""

    async def emit(session: AsyncSession) -> None:
        await residents_events.household_changed(session, "household.updated", HOUSEHOLD)

    before = {event.id for event in await outbox_events(url)}
    await demo.run_loader(emit, url)
    (new,) = [event.id for event in await outbox_events(url) if event.id not in before]
    return new


@pytest.fixture(scope="module")
async def source(admin_url: str) -> dict[str, Any]:
    """The demo community, plus a household event the residents relay has delivered (and the grids service has
    applied, in its inbox) and one it has not delivered yet."""
    urls = await prepare_databases(
        admin_url, {spec.name: spec.migrations for spec in PROCESSES}, prefix=database_prefix("backup_source")
    )
    await demo.load_all(urls)
    delivered = await household_event(urls["residents"])
    assert sorted(await relay_once(urls["residents"], "residents")) == [
        (c, str(delivered)) for c in ("gateway", "grids")
    ]
    (event,) = [event for event in await outbox_events(urls["residents"]) if event.id == delivered]
    assert await apply_in_grids(urls["grids"], event) == "applied"
    pending = await household_event(urls["residents"])
    return {"urls": urls, "delivered": event, "pending": pending}


async def apply_in_grids(url: str, event: EventIn) -> str:
    """The event taken by the grids service's inbox, as its ``/internal/events`` takes it."""
    status: list[str] = []

    async def take(session: AsyncSession) -> None:
        status.append(await apply_once(session, grids_inbox, GRIDS_HANDLERS, event))

    await demo.run_loader(take, url)
    return status[0]


async def empty_databases(admin_url: str, purpose: str, names: list[str] = NAMES) -> dict[str, str]:
    """New databases with nothing in them, one per process."""
    databases = {name: f"{database_prefix(purpose)}{name}" for name in names}
    await ensure_databases(admin_url, list(databases.values()), fresh=True)
    return {name: replace_database(admin_url, database) for name, database in databases.items()}


def point(patch: pytest.MonkeyPatch, name: str, url: str) -> None:
    """The process's database, and its profile: operator commands never guess one for a server's database."""
    patch.setenv(f"{BY_NAME[name].env_prefix}DATABASE_URL", url)
    patch.setenv(f"{BY_NAME[name].env_prefix}PROFILE", "development")


@pytest.fixture
def command() -> Iterator[Callable[..., Any]]:
    """``await command(module, urls, *argv)``: the command's exit code, run as an operator runs it, with the
    processes' ``<PREFIX>DATABASE_URL`` set to ``urls``."""
    with pytest.MonkeyPatch.context() as patch:

        async def run(module: Any, urls: dict[str, str], *argv: str) -> int:
            for spec in PROCESSES:
                patch.delenv(f"{spec.env_prefix}DATABASE_URL", raising=False)
            for name, url in urls.items():
                point(patch, name, url)
            code: int = await asyncio.to_thread(module.main, list(argv))
            return code

        yield run


@pytest.fixture(scope="module")
def backups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("backups")


@pytest.fixture(scope="module")
async def backed_up(source: dict[str, Any], backups: Path) -> Path:
    out = backups / "demo"
    with pytest.MonkeyPatch.context() as patch:
        for name, url in source["urls"].items():
            point(patch, name, url)
        assert await asyncio.to_thread(backup.main, ["--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
async def restored(backed_up: Path, admin_url: str) -> dict[str, str]:
    urls = await empty_databases(admin_url, "backup_restored")
    with pytest.MonkeyPatch.context() as patch:
        for name, url in urls.items():
            point(patch, name, url)
        assert await asyncio.to_thread(restore.main, [str(backed_up)]) == 0
    return urls


async def counts(url: str) -> dict[str, int]:
    tables = [row["tablename"] for row in await db.rows(url, TABLES)]
    return {table: await db.value(url, f'SELECT count(*) FROM "{table}"') for table in tables}


async def emptiness(urls: dict[str, str]) -> dict[str, list[str]]:
    return {name: [row["tablename"] for row in await db.rows(url, TABLES)] for name, url in urls.items()}


async def test_the_demo_comes_back_with_every_table_and_row(source: dict[str, Any], restored: dict[str, str]) -> None:
    for name in NAMES:
        before, after = await counts(source["urls"][name]), await counts(restored[name])
        assert after == before, name
        assert sum(before.values()) > 1, name  # the demo is in every database, not only its Alembic version
    assert (await counts(restored["residents"]))["resident"] > 2000


async def test_the_manifest_says_what_each_dump_holds_and_no_password(source: dict[str, Any], backed_up: Path) -> None:
    manifest = json.loads((backed_up / "manifest.json").read_text())
    assert list(manifest["databases"]) == ["residents", "grids", "orders", "jobs", "gateway"]
    assert manifest["platform_version"] and manifest["pg_dump_version"].startswith("pg_dump (PostgreSQL) 16")
    for name, taken in manifest["databases"].items():
        url = source["urls"][name]
        assert taken["tables"] == await counts(url)
        assert taken["alembic_heads"] == [await db.value(url, "SELECT version_num FROM alembic_version")]
        assert taken["server_version"] == await db.value(url, "SHOW server_version")
        assert backup.sha256_of(backed_up / taken["file"]) == taken["sha256"]
        assert ":@" not in taken["source"]
    assert sorted(os.listdir(backed_up)) == sorted(["manifest.json", *(f"{name}.dump" for name in NAMES)])


async def test_no_event_is_sent_twice_nor_applied_twice(source: dict[str, Any], restored: dict[str, str]) -> None:
    for name in NAMES:
        for query in (OUTBOX, *([INBOX] if name in ("grids", "orders", "gateway") else [])):
            assert [dict(row) for row in await db.rows(restored[name], query)] == [
                dict(row) for row in await db.rows(source["urls"][name], query)
            ], (name, query)
    # The residents relay sends only what it had not sent when the backup was taken; the grids one, nothing.
    pending = str(source["pending"])
    assert sorted(await relay_once(restored["residents"], "residents")) == [("gateway", pending), ("grids", pending)]
    assert await db.value(restored["grids"], "SELECT count(*) FROM outbox_event") > 0
    assert await relay_once(restored["grids"], "grids") == []
    # An event the grids service had applied, delivered again, is known by its inbox.
    assert await apply_in_grids(restored["grids"], source["delivered"]) == "duplicate"


async def test_id_numbers_reveal_with_the_same_keys_and_only_with_them(
    source: dict[str, Any], restored: dict[str, str], keys: TestKeys
) -> None:
    settings = ResidentsSettings(database_url=restored["residents"], profile="test")
    assert settings.pii_keys and settings.blind_index_key
    sealed = await db.value(
        source["urls"]["residents"], "SELECT id_number_encrypted FROM resident WHERE id = $1", RESIDENT
    )
    expected = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key).decrypt(sealed, field="id_number")

    app = create_residents_app(settings, verifier=keys.verifier())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://residents.test") as client,
    ):
        asked = {"fields": ["id_number"], "purpose": "核对恢复后的户籍信息"}
        revealed = await client.post(f"/api/v1/residents/{RESIDENT}/reveal", json=asked, headers=staff(keys))
    assert revealed.status_code == 200
    assert revealed.json()["id_number"] == expected and len(expected) == 18

    other_keys = PiiCipher.from_settings("other:" + "A" * 43 + "=", "B" * 44)
    restored_sealed = await db.value(
        restored["residents"], "SELECT id_number_encrypted FROM resident WHERE id = $1", RESIDENT
    )
    with pytest.raises((KeyError, InvalidTag)):
        other_keys.decrypt(restored_sealed, field="id_number")


async def test_a_dump_made_by_a_newer_platform_is_refused(
    admin_url: str, backups: Path, command: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ahead = await prepare_databases(
        admin_url, {"jobs": BY_NAME["jobs"].migrations}, prefix=database_prefix("backup_ahead")
    )
    await db.execute(ahead["jobs"], "UPDATE alembic_version SET version_num = '0999_from_the_future'")
    out = backups / "ahead"
    assert await command(backup, ahead, "jobs", "--out", str(out)) == 0
    target = await empty_databases(admin_url, "backup_refused_ahead", ["jobs"])
    capsys.readouterr()

    assert await command(restore, target, str(out)) == restore.REFUSED
    error = capsys.readouterr().err
    assert "jobs" in error and "0999_from_the_future" in error and "does not know" in error
    assert await emptiness(target) == {"jobs": []}


async def test_a_damaged_dump_is_refused_and_nothing_is_restored(
    admin_url: str, backed_up: Path, backups: Path, command: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = backups / "damaged"
    shutil.copytree(backed_up, damaged)
    dump = damaged / "orders.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    target = await empty_databases(admin_url, "backup_refused_damaged")
    capsys.readouterr()

    assert await command(restore, target, str(damaged)) == restore.REFUSED
    error = capsys.readouterr().err
    assert "orders.dump" in error and "sha256" in error
    assert await emptiness(target) == {name: [] for name in NAMES}


@pytest.fixture
def truncated(backed_up: Path, backups: Path) -> Path:
    """The grids dump cut off in the middle of its data, as a full disk or an interrupted copy leaves it."""
    path = backups / "truncated-grids.dump"
    data = (backed_up / "grids.dump").read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


async def test_a_dump_that_ends_too_soon_leaves_the_database_as_it_was(admin_url: str, truncated: Path) -> None:
    target = await empty_databases(admin_url, "backup_truncated", ["grids"])

    with pytest.raises(backup.Failed, match="pg_restore could not read"):
        await asyncio.to_thread(restore.restore_one, truncated, target["grids"], backup.DEFAULT_BIN, replace=False)
    assert await emptiness(target) == {"grids": []}


@pytest.fixture
def miscounted(backed_up: Path, backups: Path) -> Path:
    """The backup, its manifest saying the jobs dump holds one employer more than it does."""
    copy = backups / "miscounted"
    shutil.copytree(backed_up, copy)
    manifest = backup.read_manifest(copy)
    manifest.databases["jobs"].tables["employer"] += 1
    (copy / backup.MANIFEST).write_text(manifest.model_dump_json())
    return copy


async def test_a_restore_that_differs_from_the_manifest_says_so(
    admin_url: str, miscounted: Path, command: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    target = await empty_databases(admin_url, "backup_miscounted", ["jobs"])
    manifest = backup.read_manifest(miscounted)
    capsys.readouterr()

    assert await command(restore, target, str(miscounted), "jobs") == restore.DIFFERENT
    employers = manifest.databases["jobs"].tables["employer"]
    assert f"employer: {employers - 1} rows, the manifest says {employers}" in capsys.readouterr().out


async def test_a_database_that_holds_something_is_refused_unless_replaced(
    admin_url: str, backed_up: Path, command: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # What a migration step leaves (docker compose up): the tables, empty.
    migrated = await prepare_databases(
        admin_url, {"jobs": BY_NAME["jobs"].migrations}, prefix=database_prefix("backup_migrated")
    )
    capsys.readouterr()

    assert await command(restore, migrated, str(backed_up), "jobs") == restore.REFUSED
    assert "not empty" in capsys.readouterr().err
    assert await db.value(migrated["jobs"], "SELECT count(*) FROM employer") == 0

    assert await command(restore, migrated, str(backed_up), "jobs", "--replace") == 0
    manifest = backup.read_manifest(backed_up)
    assert await counts(migrated["jobs"]) == manifest.databases["jobs"].tables


async def test_a_database_not_migrated_is_not_backed_up(
    admin_url: str, backups: Path, command: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    bare = await empty_databases(admin_url, "backup_bare", ["orders"])
    out = backups / "bare"
    capsys.readouterr()

    assert await command(backup, bare, "orders", "--out", str(out)) == backup.FAILED
    assert "not migrated" in capsys.readouterr().err
    assert not out.exists() and not out.with_name("bare.partial").exists()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="one server only: the embedded one")
async def test_a_dump_of_the_embedded_postgresql_16_restores_into_the_test_server(
    admin_url: str, backups: Path, command: Callable[..., Any]
) -> None:
    """The PostgreSQL 16 of ``make run`` backed up, restored into the other server (CI's PostgreSQL 15)."""
    server = await asyncio.to_thread(start_embedded, ROOT / "var" / "test-pg")
    migrations = {spec.name: spec.migrations for spec in PROCESSES}
    source = await prepare_databases(database_url(server, "postgres"), migrations, prefix=database_prefix("backup_v16"))
    await demo.load_process(BY_NAME["jobs"], source["jobs"])
    out = backups / "from-16"
    assert await command(backup, source, "--out", str(out)) == 0
    target = await empty_databases(admin_url, "backup_from_16")

    assert await command(restore, target, str(out)) == 0
    for name in NAMES:
        assert await counts(target[name]) == await counts(source[name]), name
    assert (await counts(target["jobs"]))["employer"] > 0
    assert backup.read_manifest(out).databases["jobs"].server_version.startswith("16")


@pytest.mark.no_db
def test_passwords_stay_out_of_what_is_shown_and_of_command_lines() -> None:
    url = "postgresql://grid:s3cret@db1:5432/gateway?sslmode=require"
    assert backup.without_password(url) == "postgresql://grid@db1:5432/gateway?sslmode=require"
    conninfo, env = backup.libpq(url)
    assert "s3cret" not in conninfo and env["PGPASSWORD"] == "s3cret"
    assert "dbname='gateway'" in conninfo and "sslmode='require'" in conninfo


@pytest.fixture
def kept(backups: Path) -> Path:
    """A directory of backups that also holds a file of the operator's own."""
    parent = backups / "kept"
    parent.mkdir()
    (parent / "notes.txt").write_text("mine")
    return parent


async def test_keep_removes_all_but_the_newest_backups_and_nothing_else(
    admin_url: str, kept: Path, command: Callable[..., Any]
) -> None:
    migrated = await prepare_databases(
        admin_url, {"jobs": BY_NAME["jobs"].migrations}, prefix=database_prefix("backup_kept")
    )
    for name in ("first", "second", "third"):
        assert await command(backup, migrated, "jobs", "--out", str(kept / name), "--keep", "2") == 0
    assert sorted(os.listdir(kept)) == ["notes.txt", "second", "third"]
