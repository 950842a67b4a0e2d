"""Run each process's Alembic migrations against its own database.

python -m deploy.migrate                 # every process, URLs from <PREFIX>DATABASE_URL
python -m deploy.migrate orders grids    # some of them
python -m deploy.migrate --autogenerate "add visits" grids   # developers: write a new revision
"""

from __future__ import annotations

import argparse
import os
import sys

from alembic import command

from deploy.databases import require_profiles
from deploy.processes import BY_NAME, PROCESSES, ProcessSpec
from shared.migrate import alembic_config, upgrade


def database_url_of(spec: ProcessSpec) -> str:
    url = os.environ.get(f"{spec.env_prefix}DATABASE_URL")
    if not url:
        sys.exit(f"{spec.env_prefix}DATABASE_URL is not set")
    return url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("processes", nargs="*", choices=[[], *BY_NAME], default=[])
    parser.add_argument("--autogenerate", metavar="MESSAGE")
    args = parser.parse_args(argv)
    specs = [BY_NAME[name] for name in args.processes] or list(PROCESSES)
    require_profiles(specs)
    for spec in specs:
        url = database_url_of(spec)
        if args.autogenerate:
            upgrade(spec.migrations, url)
            command.revision(alembic_config(spec.migrations, url), message=args.autogenerate, autogenerate=True)
        else:
            upgrade(spec.migrations, url)
            print(f"{spec.name}: migrated to head")


if __name__ == "__main__":
    main()
