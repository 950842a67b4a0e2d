"""The photo store out of space: a party member's photo of the work done on an order is refused with 507
problem+json, and nothing of it is kept, neither a file (nor a fragment of one) nor a row, whether the disk
has less free space than the process keeps (``ORDERS_PHOTO_MIN_FREE_BYTES``) or the write itself fails
for want of room (here the process's file size limit, RLIMIT_FSIZE: EFBIG, as ENOSPC would on a full
disk). With room again, the same upload is kept."""

from __future__ import annotations

import asyncio
import io
import random
import resource
import shutil
import signal
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image

from shared.demo import GRIDS
from tests.faults.conftest import TEST_SECONDS
from tests.support.db import value
from tests.support.live import GatewayPlatform
from tests.support.problems import assert_problem
from tests.support.signin import as_user

pytestmark = [pytest.mark.e2e, pytest.mark.keep_tables, pytest.mark.timeout(TEST_SECONDS)]

FILE_SIZE_LIMIT = 64 * 1024


def file_size_limit(limit: int) -> Callable[[], None]:
    """What the child runs before the service starts: no file larger than ``limit`` bytes (a write past it
    fails with EFBIG rather than killing the process with SIGXFSZ)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def photo() -> bytes:
    """A PNG of noise, several times larger than the file size limit."""
    noise = random.Random(11).randbytes(300 * 300 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (300, 300), noise).save(buffer, "PNG")
    assert len(buffer.getvalue()) > 3 * FILE_SIZE_LIMIT
    return buffer.getvalue()


async def test_an_upload_to_a_full_photo_store_is_507_and_leaves_nothing(
    fault_platform: GatewayPlatform, tmp_path: Path
) -> None:
    orders = fault_platform.processes["orders"]
    orders_db = fault_platform.database_urls["orders"]
    photo_dir = tmp_path / "order-photos"
    photo_dir.mkdir()
    async with httpx.AsyncClient(base_url=fault_platform.url("gateway"), timeout=30) as client:
        staff, pm1 = await as_user(client, "staff"), await as_user(client, "pm1")
        members = await client.get("/api/v1/members", params={"q": "党员1", "grid_code": GRIDS[0]}, headers=staff)
        pm1_account = next(m["account_id"] for m in members.json()["items"] if m["name"] == "党员1")
        body = {"kind": "issue", "grid_code": GRIDS[0], "description": f"路灯不亮 ({uuid.uuid4()})"}
        order = (await client.post("/api/v1/orders", json=body, headers=staff)).json()
        url = f"/api/v1/orders/{order['id']}"
        assert (await client.post(f"{url}/dispatch", json={"assignee_id": pm1_account}, headers=staff)).is_success
        assert (await client.post(f"{url}/accept", headers=pm1)).is_success

        async def upload() -> httpx.Response:
            files = {"file": ("work.png", photo(), "image/png")}
            return await client.post(f"{url}/photos", files=files, headers=pm1)

        async def kept() -> tuple[list[Path], int]:
            rows = await value(
                orders_db, "SELECT count(*) FROM order_photo WHERE order_id = $1", uuid.UUID(order["id"])
            )
            return sorted(photo_dir.rglob("*")), rows

        async def run_orders(env: dict[str, str], preexec_fn: Callable[[], None] | None = None) -> None:
            await asyncio.to_thread(orders.stop)
            await asyncio.to_thread(orders.restart, {"ORDERS_PHOTO_DIR": str(photo_dir), **env}, preexec_fn)

        # Less free space on the disk than the process keeps.
        free = shutil.disk_usage(photo_dir).free
        await run_orders({"ORDERS_PHOTO_MIN_FREE_BYTES": str(free + 2**40)})
        assert_problem(await upload(), 507)
        assert await kept() == ([], 0)

        # The write itself fails for want of room.
        await run_orders({"ORDERS_PHOTO_MIN_FREE_BYTES": "0"}, file_size_limit(FILE_SIZE_LIMIT))
        assert_problem(await upload(), 507)
        files, rows = await kept()
        assert [path for path in files if path.is_file()] == [] and rows == 0

        # Room again.
        await run_orders({"ORDERS_PHOTO_MIN_FREE_BYTES": "0"})
        stored = await upload()
        assert stored.status_code == 201, stored.text
        files, rows = await kept()
        assert [path.name for path in files if path.is_file()] == [f"{stored.json()['id']}.png"] and rows == 1
