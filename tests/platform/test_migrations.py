"""Each process's migrations build exactly the tables its models describe: Alembic's autogenerate,
run against the migrated test database, finds nothing to add, drop or change."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.processes import PROCESSES, ProcessSpec
from shared.settings import to_sqlalchemy_url


@pytest.mark.filterwarnings("ignore:Did not recognize type:sqlalchemy.exc.SAWarning")
@pytest.mark.parametrize("spec", PROCESSES, ids=lambda spec: spec.name)
async def test_migrations_match_the_models(spec: ProcessSpec, database_urls: dict[str, str]) -> None:
    metadata = importlib.import_module(f"{spec.package}.models").metadata
    engine = create_async_engine(to_sqlalchemy_url(database_urls[spec.name]))
    try:
        async with engine.connect() as conn:

            def differences(sync_conn: Any) -> list[Any]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(context, metadata))

            found = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert found == [], f"{spec.name}: models and migrations differ: {found}"
