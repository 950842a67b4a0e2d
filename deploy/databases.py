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


def shown(path: Path) -> str:
    """A path as the user reads it: relative to the repository when it lies inside it."""
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def resolve_urls(
    pgdata: Path, specs: Iterable[ProcessSpec] = PROCESSES, *, say: Callable[[str], None] = print
) -> tuple[dict[str, str], Any]:
    """Each process's database URL: from its env var, or a database on the embedded server (created
    when missing). Also the embedded server's handle (None without one): it lives while it is held."""
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
