"""The five processes of the platform, in the order their demo data depends on each other."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from shared.settings import ProcessSettings


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    package: str
    port: int

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def database(self) -> str:
        return self.name

    @property
    def app_factory(self) -> str:
        return f"{self.package}.app:create_app"

    @property
    def directory(self) -> Path:
        module = importlib.import_module(self.package)
        assert module.__file__ is not None
        return Path(module.__file__).parent

    @property
    def migrations(self) -> Path:
        return self.directory / "migrations"

    def connections_at_most(self) -> int:
        """The most connections the process opens, with its settings from this environment."""
        settings_class = importlib.import_module(f"{self.package}.config").Settings
        settings: ProcessSettings = settings_class(profile=os.environ.get(f"{self.env_prefix}PROFILE", "development"))
        return settings.connections_at_most


# Demo data is loaded in this order: places first, then the registry, accounts, orders, jobs.
PROCESSES: tuple[ProcessSpec, ...] = (
    ProcessSpec("grids", "services.grids", 8102),
    ProcessSpec("residents", "services.residents", 8101),
    ProcessSpec("gateway", "gateway", 8000),
    ProcessSpec("orders", "services.orders", 8103),
    ProcessSpec("jobs", "services.jobs", 8104),
)

BY_NAME = {spec.name: spec for spec in PROCESSES}

# Connections beyond the processes' pools: migrations, the demo loader, bootstrap, resync, a psql.
TOOLS_HEADROOM = 20


def connection_budget(specs: tuple[ProcessSpec, ...] = PROCESSES) -> int:
    """``max_connections`` a server holding every process's database needs: one replica each."""
    return sum(spec.connections_at_most() for spec in specs) + TOOLS_HEADROOM
