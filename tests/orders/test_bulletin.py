"""The monthly bulletin (考核通报): the month's communities and departments ranked by their score, in
JSON and as the workbook a street office publishes, in the caller's scope."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from shared.periods import CHINA
from shared.testing import TestKeys
from tests.orders.support import resident, staff, street
from tests.support.cases import add_case, add_department
from tests.support.places import COMMUNITY, NEIGHBOUR_COMMUNITY
from tests.support.problems import assert_problem

URL = "/api/v1/orders/bulletin"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
THIRD_COMMUNITY = f"{COMMUNITY[:-3]}003"
IN_OCTOBER = datetime(2026, 10, 15, 10, tzinfo=CHINA)


@pytest.fixture
async def october(database_urls: dict[str, str]) -> dict[str, str]:
    """October 2026's cases:

    demo community: 2 closed on time (D01), 1 closed late and reworked, dispatched twice and returned
    once (D02), 1 dispatched (D02): 结案率 3/4, 按期 2/3, 返工 1/3, 准确派遣 1 − 1/5: score 70.5
    neighbour: 2 closed on time (D03): every rate perfect, score 100
    a third community: one case just reported: no rate, no score, last

    The demo community's dispatched case was reported at 00:30 on October 1st in China (still September
    in UTC): it is October's. One at 23:59 on September 30th in China and one of November are not.
    """
    url = database_urls["orders"]
    d01 = await add_department(url, 1, "城管执法队")
    d02 = await add_department(url, 2, "市场监管所")
    d03 = await add_department(url, 3, "住建所")
    grid, neighbour, third = f"{COMMUNITY}001", f"{NEIGHBOUR_COMMUNITY}001", f"{THIRD_COMMUNITY}001"
    for minutes in (420, 420):
        await add_case(
            url, state="closed", grid=grid, department_code=d01, on_time=True, handling_minutes=minutes,
            placed_at=IN_OCTOBER,
        )  # fmt: skip
    await add_case(
        url, state="closed", grid=grid, department_code=d02, on_time=False, handling_minutes=840, reworks=1,
        dispatches=2, returns=1, placed_at=IN_OCTOBER,
    )  # fmt: skip
    # Reported 00:30 on October 1st in China: still September 30th in UTC.
    first_hour = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    await add_case(url, state="dispatched", grid=grid, department_code=d02, placed_at=first_hour)
    for _ in range(2):
        await add_case(
            url, state="closed", grid=neighbour, department_code=d03, on_time=True, handling_minutes=60,
            placed_at=IN_OCTOBER,
        )  # fmt: skip
    await add_case(url, state="placed", grid=third, placed_at=IN_OCTOBER)
    # Outside October: the last minute of September in China, and November.
    await add_case(url, state="closed", grid=grid, on_time=True, placed_at=datetime(2026, 9, 30, 23, 59, tzinfo=CHINA))
    await add_case(url, state="closed", grid=grid, on_time=True, placed_at=datetime(2026, 11, 2, tzinfo=CHINA))
    return {"d01": d01, "d02": d02, "d03": d03}


def table(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(row["rank"], row["code"], row["score"]) for row in rows]


async def test_the_ranked_tables(orders: httpx.AsyncClient, keys: TestKeys, october: dict[str, str]) -> None:
    answer = await orders.get(URL, params={"month": "2026-10"}, headers=street(keys))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["title"] == "2026年10月 城市管理案件考核通报" and body["month"] == "2026-10"
    assert datetime.fromisoformat(body["since"]) == datetime(2026, 10, 1, tzinfo=CHINA)
    assert datetime.fromisoformat(body["until"]) == datetime(2026, 11, 1, tzinfo=CHINA)
    assert "40 % 按期结案率" in body["score_formula"]
    communities = body["communities"]
    assert table(communities) == [(1, NEIGHBOUR_COMMUNITY, 100.0), (2, COMMUNITY, 70.5), (3, THIRD_COMMUNITY, None)]
    ours = communities[1]
    assert ours == {
        "rank": 2,
        "code": COMMUNITY,
        "name": None,
        "reported": 4,
        "filed": 4,
        "closed": 3,
        "closed_on_time": 2,
        "closure_rate": 0.75,
        "on_time_rate": 0.667,
        "rework_rate": 0.333,
        "accurate_dispatch_rate": 0.8,
        "mean_handling_hours": 9.33,
        "score": 70.5,
    }
    assert communities[2]["closure_rate"] is None and communities[2]["reported"] == 1
    # D01 and D03 both score 100: ranked by code. D02: 按期 0/1, 结案 1/2, 返工 1/1, 准确派遣 1 − 1/3.
    departments = body["departments"]
    assert table(departments) == [(1, october["d01"], 100.0), (2, october["d03"], 100.0), (3, october["d02"], 21.7)]
    assert [row["name"] for row in departments] == ["城管执法队", "住建所", "市场监管所"]


async def test_the_workbook(orders: httpx.AsyncClient, keys: TestKeys, october: dict[str, str]) -> None:
    answer = await orders.get(URL, params={"month": "2026-10", "format": "xlsx"}, headers=street(keys))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"] == 'attachment; filename="case-bulletin-2026-10.xlsx"'
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["社区排名", "职能部门排名"]
    sheet = book["社区排名"]
    assert sheet["A1"].value == "2026年10月 城市管理案件考核通报"
    assert [cell.value for cell in sheet[2]] == [
        "排名",
        "社区代码",
        "社区名称",
        "上报数",
        "立案数",
        "结案数",
        "按期结案数",
        "结案率",
        "按期结案率",
        "返工率",
        "准确派遣率",
        "平均处置时长(工作小时)",
        "综合得分",
    ]
    first, second = [cell.value for cell in sheet[3]], [cell.value for cell in sheet[4]]
    assert first[:2] == [1, NEIGHBOUR_COMMUNITY] and first[-1] == 100
    assert second == [2, COMMUNITY, None, 4, 4, 3, 2, 0.75, 0.667, 0.333, 0.8, 9.33, 70.5]
    assert [sheet.cell(4, column).number_format for column in (8, 9, 10, 11)] == ["0.0%"] * 4
    assert sheet["B4"].data_type == "s"  # a code stays text, never a number
    assert [cell.value for cell in sheet[5]][:2] == [3, THIRD_COMMUNITY]
    assert any("综合得分" in str(row[0].value) for row in sheet.iter_rows(min_row=6) if row[0].value)
    departments = book["职能部门排名"]
    assert departments["A1"].value == "2026年10月 城市管理案件考核通报"
    assert departments["B2"].value == "部门代码" and departments["C2"].value == "部门名称"
    assert [departments.cell(row, 3).value for row in (3, 4, 5)] == ["城管执法队", "住建所", "市场监管所"]
    assert departments["M5"].value == 21.7


async def test_scope_and_the_default_month(orders: httpx.AsyncClient, keys: TestKeys, october: dict[str, str]) -> None:
    mine = (await orders.get(URL, params={"month": "2026-10"}, headers=staff(keys))).json()
    assert table(mine["communities"]) == [(1, COMMUNITY, 70.5)]  # staff see their own community only
    assert {row["code"] for row in mine["departments"]} == {october["d01"], october["d02"]}
    d03 = keys.headers(roles=["department"], places={"department": [october["d03"]]})
    theirs = (await orders.get(URL, params={"month": "2026-10"}, headers=d03)).json()
    assert table(theirs["departments"]) == [(1, october["d03"], 100.0)]
    assert table(theirs["communities"]) == [(1, NEIGHBOUR_COMMUNITY, 100.0)]
    assert (await orders.get(URL, headers=resident(keys))).status_code == 403
    # Without a month: last month in China's time.
    today = datetime.now(CHINA)
    last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert (await orders.get(URL, headers=street(keys))).json()["month"] == last


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-1"}, "month"),
        ({"month": "10/2026"}, "month"),
        ({"month": "9999-12"}, "month"),
        ({"month": "2026-10", "format": "pdf"}, "format"),
    ],
)
async def test_bad_input(orders: httpx.AsyncClient, keys: TestKeys, params: dict[str, str], field: str) -> None:
    assert_problem(await orders.get(URL, params=params, headers=street(keys)), 422, field)
