"""Where the deploy commands find each process's database: its ``<PREFIX>DATABASE_URL``, or a database
of the same name on the embedded PostgreSQL of ``make run`` (``deploy/local.py``, ``deploy/bootstrap.py``).

pgserver lets several processes share one embedded server: the first starts it, the others attach to
it, and the last one to exit stops it. So a command run beside a running ``make run`` reaches the
platform's own databases, and one run before it starts (and then stops) the server itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from deploy.processes import PROCESSES, ProcessSpec, connection_budget
from shared.embedded import database_url, ensure_databases_sync, replace_database, start_embedded

ROOT = Path(__file__).resolve().parent.parent


def require_profiles(specs: Iterable[ProcessSpec] = PROCESSES) -> None:
    """Operator commands read their settings as the processes do (``<PREFIX>...`` from the environment),
    and never guess the profile of a server's database: a process whose ``<PREFIX>DATABASE_URL`` is set
    needs its ``<PREFIX>PROFILE`` too (else a command would seal with the development placeholder what
    production processes then cannot open); on make run's embedded server it is development unless
    said otherwise."""
    missing = []
    for spec in specs:
        profile = f"{spec.env_prefix}PROFILE"
        if os.environ.get(profile):
            continue
        if os.environ.get(f"{spec.env_prefix}DATABASE_URL"):
            missing.append(profile)
        else:
            os.environ[profile] = "development"
    if missing:
        raise SystemExit(
            f"{', '.join(missing)} not set: set the profile the processes run with (production on a server;"
            " development only on purpose). A command never guesses it for a database other than make run's."
        )


def shown(path: Path) -> str:
    """A path as the user reads it: relative to the repository when it lies inside it."""
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def resolve_urls(
    pgdata: Path,
    specs: Iterable[ProcessSpec] = PROCESSES,
    *,
    say: Callable[[str], None] = print,
    operator: bool = True,
) -> tuple[dict[str, str], Any]:
    """Each process's database URL: from its env var, or a database on the embedded server (created
    when missing). Also the embedded server's handle (None without one): it lives while it is held.
    An operator command (not make run) also needs the profile of each server's database
    (``require_profiles``)."""
    specs = list(specs)
    if operator:
        require_profiles(specs)
    urls = {spec.name: os.environ.get(f"{spec.env_prefix}DATABASE_URL", "") for spec in specs}
    missing = [name for name, url in urls.items() if not url]
    server = None
    if missing:
        say(f"starting (or joining) embedded PostgreSQL 16 in {shown(pgdata)}")
        server = start_embedded(pgdata, max_connections=connection_budget())
        admin = database_url(server, "postgres")
        ensure_databases_sync(admin, missing)
        for name in missing:
            urls[name] = replace_database(admin, name)
    else:
        say("every process has its own DATABASE_URL: no embedded PostgreSQL")
    return urls, server
