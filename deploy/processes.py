"""The five processes of the platform, in the order their demo data depends on each other."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path


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


# Demo data is loaded in this order: places first, then the registry, accounts, orders, jobs.
PROCESSES: tuple[ProcessSpec, ...] = (
    ProcessSpec("grids", "services.grids", 8102),
    ProcessSpec("residents", "services.residents", 8101),
    ProcessSpec("gateway", "gateway", 8000),
    ProcessSpec("orders", "services.orders", 8103),
    ProcessSpec("jobs", "services.jobs", 8104),
)

BY_NAME = {spec.name: spec for spec in PROCESSES}
