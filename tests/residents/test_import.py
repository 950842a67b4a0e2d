"""Staff import a register with mistakes, see them all on a dry run, fix them, import, export."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import openpyxl

from shared.demo import COMMUNITY, GRIDS
from shared.testing import TestKeys
from tests.residents.ids import bad_check_digit, id_number
from tests.support import db

HEADER = "姓名,身份证号,手机号,小区,楼栋,单元,门牌号,与户主关系,居住类型,原籍乡镇,标签,网格编码"


def register(*lines: str) -> bytes:
    return ("\ufeff" + "\n".join([HEADER, *lines]) + "\n").encode()


GOOD = [
    f"王大明,{id_number('19560312', '013')},13900001234,幸福小区,1号楼,1单元,101,户主,户籍,,高龄老人,{GRIDS[0]}",
    f"李秀英,{id_number('19580420', '024')},,幸福小区,1号楼,1单元,101,配偶,户籍,,,{GRIDS[0]}",
    f"王小宝,{id_number('20180101', '035')},,幸福小区,1号楼,1单元,101,孙子女,户籍,,留守儿童,{GRIDS[0]}",
    f"张建国,{id_number('19800808', '047')},13900005678,幸福小区,2号楼,2单元,502,户主,"
    f"易地搬迁安置,黄平县旧州镇,,{GRIDS[1]}",
]


async def upload(client: httpx.AsyncClient, keys: TestKeys, data: bytes, **params: Any) -> httpx.Response:
    headers = keys.headers(sub=str(uuid.uuid4()), roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    files = {"file": ("登记表.csv", data, "text/csv")}
    return await client.post("/api/v1/residents/import", files=files, params=params, headers=headers)


async def count(url: str) -> int:
    return int(await db.value(url, "SELECT count(*) FROM resident"))


async def test_a_register_with_mistakes_writes_nothing_and_lists_them_all(
    client_for: Any, keys: TestKeys, database_urls: dict[str, str], demo_grids: None
) -> None:
    residents: httpx.AsyncClient = await client_for("residents")
    wrong_digit = GOOD[1].replace(id_number("19580420", "024"), bad_check_digit(id_number("19580420", "024")))
    bad = register(
        GOOD[0],
        wrong_digit,
        GOOD[2].replace("孙子女", "侄子"),
        GOOD[3].replace("13900005678", "1390000567"),
        GOOD[0].replace("王大明", "王二明"),  # the same ID number again
    )
    for dry_run in (True, False):
        report = await upload(residents, keys, bad, dry_run=str(dry_run).lower())
        assert report.status_code == 200, report.text
        body = report.json()
        assert body["created"] == 0 and body["dry_run"] is dry_run and body["rows"] == 5
        assert {(e["row"], e["column"]) for e in body["errors"]} >= {
            (3, "身份证号"),
            (4, "与户主关系"),
            (5, "手机号"),
            (6, "身份证号"),
        }
        assert "1390000567" not in report.text and id_number("19580420", "024")[:-1] not in report.text
    assert await count(database_urls["residents"]) == 0

    fixed = await upload(residents, keys, register(*GOOD), dry_run="true")
    assert fixed.json() == {"dry_run": True, "rows": 4, "created": 0, "errors": []}
    assert await count(database_urls["residents"]) == 0
    imported = await upload(residents, keys, register(*GOOD))
    assert imported.json()["created"] == 4, imported.text
    assert await count(database_urls["residents"]) == 4
    again = await upload(residents, keys, register(*GOOD))
    assert again.json()["created"] == 0
    assert {e["reason"] for e in again.json()["errors"]} == {"a resident with this ID number is already registered"}

    staff = keys.headers(sub="s", roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    child = (await residents.get("/api/v1/residents", params={"q": "王小宝"}, headers=staff)).json()["items"][0]
    detail = (await residents.get(f"/api/v1/residents/{child['id']}", headers=staff)).json()
    assert detail["guardian_id"] is not None and child["tags"] == ["left_behind_child"]

    exported = await residents.get("/api/v1/residents/export", headers=staff)
    assert exported.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["姓名", "性别", "出生日期", "身份证号", "手机号"]
    assert len(rows) == 5
    text = repr(rows)
    assert "13900001234" not in text and id_number("19560312", "013") not in text
    assert "139****1234" in text
