"""The library every process of the platform imports: settings, database, errors, HTTP plumbing.

Imported first by ``gateway`` and ``services``, it keeps httpx's command-line tool out of the
processes: httpx imports its CLI (click, rich and pygments, some 80 modules and about 5 MiB a process)
whenever those are installed, as the development tools install them. The processes only use httpx as
a client; ``httpx._main.main`` still works, importing the real tool when it is called.
"""

from __future__ import annotations

import sys
import types


def _httpx_without_its_cli() -> None:
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main", "httpx's command-line tool, imported when it is run")

    def main() -> None:
        del sys.modules["httpx._main"]
        from httpx._main import main as real_main

        real_main()

    stand_in.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in


_httpx_without_its_cli()
