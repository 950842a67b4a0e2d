"""Restore a backup of ``python -m deploy.backup`` into empty databases.

    python -m deploy.restore DIR [--replace] [--pgdata PATH] [--pg-bin DIR] [PROCESS ...]

Databases: as ``deploy.backup`` (each ``<PREFIX>DATABASE_URL``, else the embedded PostgreSQL of ``make run`` under
``--pgdata``, whose missing databases are created). Stop the platform's processes first.

Before anything is written, every database of the backup (or those named) is checked, and the restore refused
when one fails: its dump's sha256 must be the manifest's; its Alembic head must be a revision this code knows
(a dump made by a newer version of the platform is refused: restore it with that version); the target database
must be empty (no table, sequence, view or type), unless ``--replace``: then what its schema ``public`` holds is
dropped, in the transaction that restores it. Each database is then restored in one transaction (pg_restore's
script through psql, without the source's owners and grants: the restoring user owns everything), so a failed one
is left as it was, and its tables' row counts and Alembic head are compared with the manifest's.

The restored databases hold what the dumps held, with personal data still sealed: the processes read it only
with the keys they had when it was backed up (``*_PII_KEYS``, ``*_BLIND_INDEX_KEY``,
``GATEWAY_KEY_ENCRYPTION_SECRET``; docs/OPERATIONS.md "Backups"). A database at an older revision than the code's
head is restored as it was: migrate it (``python -m deploy.migrate``) before starting the processes.

Exit codes: 0 restored and as the manifest says; 1 restored, but a count or a head differs from the manifest;
2 refused or failed (the databases restored before a failure stay restored; nothing else is written).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from alembic.script import ScriptDirectory

from deploy.backup import (
    DEFAULT_BIN,
    DatabaseDump,
    Failed,
    Manifest,
    alembic_heads,
    libpq,
    program,
    read_manifest,
    sha256_of,
    table_counts,
    without_password,
)
from deploy.databases import ROOT, resolve_urls, shown
from deploy.processes import BY_NAME
from shared.migrate import alembic_config
from shared.settings import to_asyncpg_dsn

DIFFERENT, REFUSED = 1, 2

# What makes a database not empty: a relation or a type of its own, in any schema but PostgreSQL's.
OBJECTS = r"""
SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
UNION ALL
SELECT format('type %I.%I', n.nspname, t.typname)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd', 'r') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY 1
"""
REPLACE = ("DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public")


class Refused(Failed):
    """A check before anything is written failed."""


@dataclass(frozen=True)
class Outcome:
    name: str
    differences: list[str]
    behind: bool  # at a revision older than the code's head


def known_revisions(name: str) -> tuple[set[str], set[str]]:
    """Every Alembic revision of the process's code, and its heads."""
    script = ScriptDirectory.from_config(alembic_config(BY_NAME[name].migrations, "postgresql://unused/unused"))
    return {revision.revision for revision in script.walk_revisions()}, set(script.get_heads())


def check_dump(directory: Path, manifest: Manifest, name: str) -> None:
    taken = manifest.databases[name]
    path = directory / taken.file
    if not path.is_file():
        raise Refused(f"{name}: {shown(path)} is missing")
    if sha256_of(path) != taken.sha256:
        raise Refused(f"{name}: {shown(path)} does not match its sha256 in the manifest: damaged or not this backup's")
    known, _heads = known_revisions(name)
    unknown = [head for head in taken.alembic_heads if head not in known]
    if unknown:
        raise Refused(
            f"{name}: the dump is at Alembic revision {', '.join(unknown)}, which this code does not know: it was made"
            f" by a newer version of the platform (platform {manifest.platform_version}, the manifest says): restore"
            " it with that one"
        )


async def objects_in(url: str) -> list[str]:
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        return [row["name"] for row in await conn.fetch(OBJECTS)]
    finally:
        await conn.close()


async def check_target(name: str, url: str, *, replace: bool) -> None:
    try:
        objects = await objects_in(url)
    except (OSError, asyncpg.PostgresError) as error:
        raise Refused(f"{name}: cannot connect to {without_password(url)}: {error}") from error
    if objects and not replace:
        listed = ", ".join(objects[:3]) + (", ..." if len(objects) > 3 else "")
        raise Refused(
            f"{name}: {without_password(url)} is not empty ({len(objects)} objects: {listed}); restore into an empty"
            " database, or give --replace to drop what its schema public holds"
        )


def restore_one(path: Path, url: str, bin_dir: Path, *, replace: bool) -> None:
    """pg_restore's script of the dump, run by psql in one transaction (the drop first, with ``replace``). The
    transaction is committed only once pg_restore has written the whole script: a dump it cannot read to the end
    leaves the database as it was."""
    conninfo, env = libpq(url)
    script = [program(bin_dir, "pg_restore"), "--no-owner", "--no-privileges", "--no-subscriptions", "--file=-"]
    psql = [program(bin_dir, "psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", f"--dbname={conninfo}"]
    with (
        tempfile.TemporaryFile() as read_errors,
        tempfile.TemporaryFile() as run_errors,
        subprocess.Popen(psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=run_errors, env=env) as runner,
        subprocess.Popen([*script, str(path)], stdout=subprocess.PIPE, stderr=read_errors) as reader,
    ):
        assert runner.stdin is not None and reader.stdout is not None
        psql_stopped = False
        try:
            runner.stdin.write(b"BEGIN;\n" + b"".join(f"{statement};\n".encode() for statement in REPLACE if replace))
            shutil.copyfileobj(reader.stdout, runner.stdin)
            if reader.wait() == 0:
                runner.stdin.write(b"COMMIT;\n")
            runner.stdin.close()  # without COMMIT, psql's session ends and its transaction is rolled back
        except BrokenPipeError:
            psql_stopped = True  # at an error of its own: said below
        reader.kill()
        reader.wait()
        runner.wait()
        read_errors.seek(0)
        run_errors.seek(0)
        if reader.returncode != 0 and not psql_stopped:
            message = read_errors.read().decode(errors="replace").strip()
            raise Failed(f"pg_restore could not read {shown(path)}, nothing of it was restored: {message}")
        if runner.returncode != 0 or psql_stopped:
            message = run_errors.read().decode(errors="replace").strip()
            raise Failed(f"psql failed, nothing of it was restored: {message}")


async def compare(name: str, url: str, taken: DatabaseDump) -> Outcome:
    """The restored database against the manifest: every table's rows and the Alembic head."""
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        counts = await table_counts(conn)
        heads = await alembic_heads(conn)
    finally:
        await conn.close()
    differences = [
        f"{table}: {counts.get(table)} rows, the manifest says {taken.tables.get(table)}"
        for table in sorted(set(counts) | set(taken.tables))
        if counts.get(table) != taken.tables.get(table)
    ]
    if heads != taken.alembic_heads:
        differences.append(f"alembic_version {heads}, the manifest says {taken.alembic_heads}")
    _known, code_heads = known_revisions(name)
    return Outcome(name, differences, behind=not set(heads) <= code_heads)


async def restore(
    directory: Path,
    manifest: Manifest,
    urls: dict[str, str],
    bin_dir: Path,
    *,
    replace: bool,
    say: Callable[[str], None] = print,
) -> list[Outcome]:
    for name in urls:
        await asyncio.to_thread(check_dump, directory, manifest, name)
    for name, url in urls.items():
        await check_target(name, url, replace=replace)
    outcomes = []
    for name, url in urls.items():
        taken = manifest.databases[name]
        try:
            await asyncio.to_thread(restore_one, directory / taken.file, url, bin_dir, replace=replace)
        except Failed as error:
            raise Failed(f"{name}: {error}") from error
        outcome = await compare(name, url, taken)
        outcomes.append(outcome)
        rows = sum(taken.tables.values())
        if outcome.differences:
            say(f"{name}: restored, but it differs from the manifest: " + "; ".join(outcome.differences))
        else:
            where = without_password(url)
            say(f"{name}: restored {len(taken.tables)} tables, {rows} rows, as the manifest says ({where})")
    return outcomes


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.restore",
        description="Restore a backup of python -m deploy.backup into empty databases.",
        epilog="Exit codes: 0 restored, 1 restored but differs from the manifest, 2 refused or failed.",
    )
    parser.add_argument("directory", type=Path, help="the backup's directory (with manifest.json)")
    parser.add_argument("processes", nargs="*", choices=[[], *BY_NAME], default=[], help="some of them (default all)")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="drop what the target databases' schema public holds (their data is lost)",
    )
    parser.add_argument("--pgdata", type=Path, default=ROOT / "var" / "pgdata", help="the embedded PostgreSQL's data")
    parser.add_argument(
        "--pg-bin", type=Path, default=DEFAULT_BIN, help="PostgreSQL's client programs (default pgserver's)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def say(message: str) -> None:
        print(f"[restore] {message}", flush=True)

    directory = args.directory.resolve()
    try:
        manifest = read_manifest(directory)
        absent = [name for name in args.processes if name not in manifest.databases]
        if absent:
            raise Refused(f"the backup holds no database of {', '.join(absent)}")
        names = [name for name in manifest.databases if not args.processes or name in args.processes]
        taken_at = f"{manifest.created_at:%Y-%m-%d %H:%M:%S} UTC"
        say(f"backup of {taken_at}, platform {manifest.platform_version}: {', '.join(names)}")
        urls, _server = resolve_urls(args.pgdata.resolve(), [BY_NAME[name] for name in names], say=say)
        outcomes = asyncio.run(restore(directory, manifest, urls, args.pg_bin, replace=args.replace, say=say))
    except Failed as error:
        print(f"restore: {error}", file=sys.stderr)
        return REFUSED
    behind = [outcome.name for outcome in outcomes if outcome.behind]
    if behind:
        say(f"older than this code: {', '.join(behind)}; run python -m deploy.migrate before starting the processes")
    say(
        "start the processes with the keys they had when it was backed up (*_PII_KEYS, *_BLIND_INDEX_KEY,"
        " GATEWAY_KEY_ENCRYPTION_SECRET); then python -m deploy.resync households --check"
    )
    return DIFFERENT if any(outcome.differences for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
