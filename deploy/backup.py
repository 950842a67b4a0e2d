"""A backup of every process's database: one ``pg_dump`` (custom format) each, and a manifest.

    python -m deploy.backup [--out DIR | --under DIR] [--keep N] [--pgdata PATH] [--pg-bin DIR] [PROCESS ...]

Databases: each process's ``<PREFIX>DATABASE_URL`` when set, else its database on the embedded PostgreSQL of
``make run`` under ``--pgdata`` (default ``var/pgdata``), joined while the platform runs or started for the while
(``deploy/databases.py``, as ``deploy.bootstrap`` and ``deploy.resync``). Nothing is migrated, nothing changed.

Each database is read in one transaction (``REPEATABLE READ``): its Alembic head, every table's row count and
``pg_dump --snapshot`` see the same snapshot, so the manifest says exactly what the dump holds. The databases are
dumped one after another, each event's producer before its consumers (``ORDER``; docs/OPERATIONS.md "Backups"
says why that is safe).

Written into a new directory: ``--out DIR``, or a ``<UTC time>`` directory under ``--under`` (default
``var/backups``): ``<process>.dump`` each, and ``manifest.json`` (created_at, the platform's version, pg_dump's
version, and per database the server's version, its Alembic head(s), each table's row count and the dump's
sha256). It is written as ``<DIR>.partial`` and renamed once complete, readable by its owner only. No password is
written or printed. ``--keep N`` then removes the backups beside it (directories with a manifest) but the N
newest. ``python -m deploy.restore DIR`` restores it.

The client programs are PostgreSQL 16's, shipped by the ``pgserver`` package (they dump servers 9.2 to 16); for a
newer server give its own with ``--pg-bin``.

Exit codes: 0 done; 2 could not (a database unreachable or not migrated, pg_dump failed): no backup is left.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
from pgserver._commands import POSTGRES_BIN_PATH
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import make_url

from deploy.databases import ROOT, resolve_urls, shown
from deploy.processes import BY_NAME
from shared.settings import to_asyncpg_dsn, to_sqlalchemy_url

# An event's producer is dumped before its consumers (shared.events.SUBSCRIPTIONS): the residents service
# feeds the grids service, the grids service feeds the orders service, and the gateway takes every event.
ORDER = ("residents", "grids", "orders", "jobs", "gateway")
MANIFEST = "manifest.json"
FORMAT = 1
FAILED = 2
DEFAULT_BIN = POSTGRES_BIN_PATH  # PostgreSQL 16's programs, shipped by the pgserver package
APPLICATION = "deploy.backup"
DEFAULT_UNDER = ROOT / "var" / "backups"

# Every table the database's owner made: all schemas but PostgreSQL's own.
TABLES = """
SELECT format('%I.%I', schemaname, tablename) AS qualified,
       CASE WHEN schemaname = 'public' THEN tablename ELSE schemaname || '.' || tablename END AS name
  FROM pg_tables
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
 ORDER BY schemaname, tablename
"""


class Failed(Exception):
    """What stopped the command, said to the operator."""


class DatabaseDump(BaseModel):
    """One process's database as dumped."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(pattern=r"^[a-z]+\.dump$")  # in the backup's directory
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int
    source: str  # the URL without its password
    server_version: str
    alembic_heads: list[str]
    tables: dict[str, int]  # table -> rows


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: int
    created_at: datetime
    platform_version: str
    pg_dump_version: str
    databases: dict[str, DatabaseDump]  # process -> its dump, in the order they were taken


def without_password(url: str) -> str:
    """The URL as it may be shown and kept: no password (the rest as written)."""
    parts = urlsplit(url)
    where = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname or ""
    if parts.port is not None:
        where += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + where, query=unquote(parts.query)))


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A connection string for PostgreSQL's programs (libpq keywords) and their environment: the password goes
    in ``PGPASSWORD``, never on a command line others can read."""
    parsed = make_url(to_sqlalchemy_url(url))
    keywords: dict[str, Any] = {"host": parsed.host, "port": parsed.port, "user": parsed.username}
    keywords["dbname"] = parsed.database
    for key, value in parsed.query.items():
        keywords["sslmode" if key == "ssl" else key] = value[-1] if isinstance(value, tuple) else value
    keywords["application_name"] = APPLICATION
    conninfo = " ".join(f"{key}='{_quoted(str(value))}'" for key, value in keywords.items() if value not in (None, ""))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return conninfo, env


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def program(bin_dir: Path, name: str) -> str:
    path = bin_dir / name
    if not path.is_file():
        raise Failed(f"{name} is not in {bin_dir}")
    return str(path)


def version_of(bin_dir: Path, name: str) -> str:
    return subprocess.run(
        [program(bin_dir, name), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def platform_version() -> str:
    try:
        return metadata.version("grid-platform")
    except metadata.PackageNotFoundError:
        return "unknown"


async def table_counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Every table's row count, as this connection's transaction sees them."""
    counts = {}
    for table in await conn.fetch(TABLES):
        counts[table["name"]] = int(await conn.fetchval(f"SELECT count(*) FROM {table['qualified']}"))
    return counts


async def alembic_heads(conn: asyncpg.Connection) -> list[str]:
    if not await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
        return []
    return [row["version_num"] for row in await conn.fetch("SELECT version_num FROM alembic_version ORDER BY 1")]


def sha256_of(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def pg_dump(name: str, url: str, snapshot: str, path: Path, bin_dir: Path) -> tuple[str, int]:
    """The database as the snapshot sees it, into ``path`` (its owner's only); its sha256 and size."""
    conninfo, env = libpq(url)
    command = [program(bin_dir, "pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={path}"]
    done = subprocess.run([*command, f"--dbname={conninfo}"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"{name}: pg_dump failed: {done.stderr.strip()}")
    path.chmod(0o600)
    return sha256_of(path), path.stat().st_size


async def dump(name: str, url: str, into: Path, bin_dir: Path) -> DatabaseDump:
    """One database: its snapshot exported, counted and handed to pg_dump, in one read-only transaction."""
    try:
        conn = await asyncpg.connect(to_asyncpg_dsn(url))
    except (OSError, asyncpg.PostgresError) as error:
        raise Failed(f"{name}: cannot connect to {without_password(url)}: {error}") from error
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            # The transaction waits, idle, while pg_dump takes its snapshot, and counting a large table takes long.
            await conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0; SET LOCAL statement_timeout = 0")
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            heads = await alembic_heads(conn)
            if not heads:
                raise Failed(
                    f"{name}: {without_password(url)} has no Alembic version: not migrated, nothing to back up"
                )
            server_version = await conn.fetchval("SHOW server_version")
            tables = await table_counts(conn)
            path = into / f"{name}.dump"
            sha256, size = await asyncio.to_thread(pg_dump, name, url, snapshot, path, bin_dir)
    finally:
        await conn.close()
    return DatabaseDump(
        file=path.name,
        sha256=sha256,
        bytes=size,
        source=without_password(url),
        server_version=str(server_version),
        alembic_heads=heads,
        tables=tables,
    )


async def dump_all(urls: dict[str, str], into: Path, bin_dir: Path, say: Callable[[str], None]) -> list[DatabaseDump]:
    taken = []
    for name, url in urls.items():
        taken.append(await dump(name, url, into, bin_dir))
        dumped = taken[-1]
        say(
            f"{name}: {len(dumped.tables)} tables, {sum(dumped.tables.values())} rows, "
            f"alembic {', '.join(dumped.alembic_heads)}, {dumped.bytes} bytes ({dumped.source})"
        )
    return taken


def backup(urls: dict[str, str], out: Path, bin_dir: Path, *, say: Callable[[str], None] = print) -> Manifest:
    """Dump each database, producers first, into ``out`` (made here, as ``<out>.partial`` until complete) and write
    the manifest."""
    if out.exists():
        raise Failed(f"{shown(out)} exists already: give another --out")
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # what an interrupted run left
    partial.mkdir(mode=0o700, parents=True)
    try:
        created_at = datetime.now(UTC)
        ordered = {name: urls[name] for name in ORDER if name in urls}
        taken = asyncio.run(dump_all(ordered, partial, bin_dir, say))
        manifest = Manifest(
            format=FORMAT,
            created_at=created_at,
            platform_version=platform_version(),
            pg_dump_version=version_of(bin_dir, "pg_dump"),
            databases=dict(zip(ordered, taken, strict=True)),
        )
        (partial / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
        (partial / MANIFEST).chmod(0o600)
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def read_manifest(directory: Path) -> Manifest:
    try:
        return Manifest.model_validate(json.loads((directory / MANIFEST).read_text(encoding="utf-8")))
    except FileNotFoundError as error:
        raise Failed(f"{shown(directory)} has no {MANIFEST}: not a backup (or an unfinished one)") from error
    except ValueError as error:
        raise Failed(f"{shown(directory / MANIFEST)} is not a manifest this code reads: {error}") from error


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.backup",
        description="Back up every process's database (pg_dump, custom format) with a manifest.",
        epilog="Exit codes: 0 done, 2 could not (no backup is left). Restore: python -m deploy.restore DIR",
    )
    parser.add_argument("processes", nargs="*", choices=[[], *BY_NAME], default=[], help="some of them (default all)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, help="the backup's directory, new")
    where.add_argument(
        "--under", type=Path, default=DEFAULT_UNDER, help="or a new <UTC time> directory in this one (var/backups)"
    )
    parser.add_argument("--keep", type=int, metavar="N", help="then remove all but the N newest backups beside it")
    parser.add_argument("--pgdata", type=Path, default=ROOT / "var" / "pgdata", help="the embedded PostgreSQL's data")
    parser.add_argument(
        "--pg-bin", type=Path, default=DEFAULT_BIN, help="PostgreSQL's client programs (default pgserver's)"
    )
    args = parser.parse_args(argv)
    if args.keep is not None and args.keep < 1:
        parser.error("--keep: 1 or more")
    return args


def prune(parent: Path, keep: int) -> list[Path]:
    """Remove all but the ``keep`` newest backups in ``parent`` (directories with a manifest this code reads, by
    its ``created_at``); what was removed. Anything else there is left alone."""
    found = []
    for directory in parent.iterdir():
        if directory.is_dir() and (directory / MANIFEST).is_file():
            try:
                found.append((read_manifest(directory).created_at, directory))
            except Failed:
                continue
    removed = [directory for _, directory in sorted(found, reverse=True)[keep:]]
    for directory in removed:
        shutil.rmtree(directory)
    return removed


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def say(message: str) -> None:
        print(f"[backup] {message}", flush=True)

    out = (args.out or args.under / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")).resolve()
    specs = [BY_NAME[name] for name in args.processes or ORDER]
    # An embedded server this run started stops when it exits; one it joined (make run's) runs on.
    urls, _server = resolve_urls(args.pgdata.resolve(), specs, say=say)
    try:
        manifest = backup(urls, out, args.pg_bin, say=say)
    except Failed as error:
        print(f"backup: {error}", file=sys.stderr)
        return FAILED
    say(f"done: {len(manifest.databases)} databases in {shown(out)} ({MANIFEST}); keep the keys apart from it")
    if args.keep is not None:
        for removed in prune(out.parent, args.keep):
            say(f"removed the older backup {shown(removed)} (--keep {args.keep})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
