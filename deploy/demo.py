"""Load the demo community, each process's part from its own ``demo.py``, in dependency order.

    python -m deploy.demo     # URLs from <PREFIX>DATABASE_URL, as for deploy.migrate

Every loader is idempotent: running it twice loads nothing twice.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from deploy.processes import PROCESSES, ProcessSpec
from shared.settings import to_sqlalchemy_url

PASSWORD = "demo12345"
ACCOUNTS_TABLE = """\
Demo accounts (password demo12345 for all):
  username                     role             bound to
  street                       street_admin     示范街道 110105001
  staff                        community_staff  江南社区 110105001001
  gw1 … gw4                    grid_worker      grid 1 … 4 (110105001001001 … 004)
  gw5 … gw28                   grid_worker      round the grids: gw5 grid 1, gw6 grid 2, ...
  pm1 … pm8                    party_member     pm1-pm2 grid 1, pm3-pm4 grid 2, pm5-pm6 grid 3, pm7-pm8 grid 4
  pm9 … pm124                  party_member     round the grids; each linked to 10 households (十联户)
  13900000001 … 13900000010    resident         households in grids 1-4 (log in by phone)
  employer1                    employer         江南社区 110105001001, acts for 粽叶扶贫车间 (jobs)
  cg1, scjg1                   department       示范街道城管执法队 110105001D01, 示范街道市场监管所 110105001D02
  client street-demo / demo-secret  integration client for the demo street"""


async def load_process(spec: ProcessSpec, database_url: str) -> bool:
    """Run ``<package>.demo.load`` in one transaction; False when the process has no demo part yet."""
    try:
        module = importlib.import_module(f"{spec.package}.demo")
    except ModuleNotFoundError:
        return False
    await run_loader(module.load, database_url)
    return True


async def run_loader(loader: Callable[[AsyncSession], Awaitable[None]], database_url: str) -> None:
    """Run a demo loader in one transaction on the given database."""
    engine = create_async_engine(to_sqlalchemy_url(database_url))
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await loader(session)
    finally:
        await engine.dispose()


async def load_all(urls: dict[str, str]) -> list[str]:
    loaded = []
    for spec in PROCESSES:
        if await load_process(spec, urls[spec.name]):
            loaded.append(spec.name)
    await align_household_copy(urls)
    return loaded


async def align_household_copy(urls: dict[str, str]) -> int:
    """The grids service's copy of the demo households, as the registry's facts say (heads' masked
    names and phones included), as the events would have made it; how many. Idempotent. (The demo's
    grids part is written before the registry exists, so it cannot know who the heads are.)"""
    from services.grids.households import apply_facts
    from services.residents.events import fact_of, facts_statement

    residents = create_async_engine(to_sqlalchemy_url(urls["residents"]))
    try:
        async with async_sessionmaker(residents)() as session:
            facts = [fact_of(row) for row in (await session.execute(facts_statement())).all()]
    finally:
        await residents.dispose()

    async def apply(session: AsyncSession) -> None:
        for start in range(0, len(facts), 1000):
            await apply_facts(session, facts[start : start + 1000])

    await run_loader(apply, urls["grids"])
    return len(facts)


def main() -> None:
    from deploy.databases import require_profiles
    from deploy.migrate import database_url_of

    require_profiles(PROCESSES)  # the loaders seal phones and ID numbers with the processes' own keys
    urls = {spec.name: database_url_of(spec) for spec in PROCESSES}
    loaded = asyncio.run(load_all(urls))
    print("demo data loaded for: " + ", ".join(loaded))


if __name__ == "__main__":
    main()
