"""The monthly bulletin (考核通报): the month's cases ranked per community and per department, as street
offices publish it, in JSON or as an xlsx workbook (docs/DOMAIN.md "Indicators and the monthly bulletin")."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.orders.indicators import service
from services.orders.indicators.schemas import Bulletin, BulletinRow
from services.orders.indicators.service import Counts, accuracy, ratio
from shared.periods import CHINA, month_bounds
from shared.security import Principal

MONTH_PATTERN = r"^(19|20)\d\d-(0[1-9]|1[0-2])$"
# 综合得分: the weights of the rates (1 − 返工率 counts for the rework rate: less rework is better).
WEIGHTS = (("on_time", 0.4), ("closure", 0.3), ("no_rework", 0.2), ("accurate_dispatch", 0.1))
SCORE_FORMULA = (
    "100 × (40 % 按期结案率 + 30 % 结案率 + 20 % (1 − 返工率) + 10 % 准确派遣率); a rate that cannot be had "
    "(no case to make it of) is left out and the other weights scaled up to 100 %; ranked by score, high to "
    "low, ties by code; no score at all ranks last"
)


def last_month(now: datetime | None = None) -> str:
    """The month before this one, in China's time: the bulletin's default."""
    today = (now or datetime.now(UTC)).astimezone(CHINA)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def title_of(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year}年{number}月 城市管理案件考核通报"


def score(counts: Counts) -> float | None:
    """综合得分 0-100 (``SCORE_FORMULA``), from the unrounded rates."""
    rework = ratio(counts.reworked, counts.handled)
    rates = {
        "on_time": ratio(counts.closed_on_time, counts.closed),
        "closure": ratio(counts.closed, counts.filed),
        "no_rework": None if rework is None else 1 - rework,
        "accurate_dispatch": accuracy(counts),
    }
    known = [(rates[name], weight) for name, weight in WEIGHTS if rates[name] is not None]
    if not known:
        return None
    total = sum(weight for _, weight in known)
    return round(100 * sum(rate * weight for rate, weight in known if rate is not None) / total, 1)


def ranked(groups: list[tuple[str, Counts]], names: dict[str, str]) -> list[BulletinRow]:
    scored = [(code, counts, score(counts)) for code, counts in groups]
    scored.sort(key=lambda item: (item[2] is None, -(item[2] or 0.0), item[0]))
    rows = []
    for rank, (code, counts, points) in enumerate(scored, start=1):
        figures = service.figures(counts)
        rows.append(
            BulletinRow(
                rank=rank,
                code=code,
                name=names.get(code),
                score=points,
                **{name: figures[name] for name in BulletinRow.model_fields if name in figures},
            )
        )
    return rows


async def bulletin(*, session: AsyncSession, principal: Principal, month: str) -> Bulletin:
    year, number = (int(part) for part in month.split("-"))
    since, until = month_bounds(year, number)
    now = datetime.now(UTC)

    async def table(group_by: str) -> list[tuple[str, Counts]]:
        groups = await service.count(
            session=session,
            principal=principal,
            group_by=group_by,
            since=since,
            until=until,
            now=now,
        )
        return [(code, counts) for code, counts, _ in groups if code is not None]

    communities = await table("community")
    departments = await table("department")
    names = await service.department_names(session, [code for code, _ in departments])
    return Bulletin(
        month=month,
        title=title_of(month),
        since=since,
        until=until,
        score_formula=SCORE_FORMULA,
        communities=ranked(communities, {}),
        departments=ranked(departments, names),
    )


# The workbook's columns: header, the row's field, its number format.
COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("排名", "rank", None),
    ("{code}", "code", "@"),
    ("{name}", "name", None),
    ("上报数", "reported", None),
    ("立案数", "filed", None),
    ("结案数", "closed", None),
    ("按期结案数", "closed_on_time", None),
    ("结案率", "closure_rate", "0.0%"),
    ("按期结案率", "on_time_rate", "0.0%"),
    ("返工率", "rework_rate", "0.0%"),
    ("准确派遣率", "accurate_dispatch_rate", "0.0%"),
    ("平均处置时长(工作小时)", "mean_handling_hours", "0.00"),
    ("综合得分", "score", "0.0"),
)
SHEETS = (
    ("社区排名", "communities", "社区代码", "社区名称"),
    ("职能部门排名", "departments", "部门代码", "部门名称"),
)


def filename_of(month: str) -> str:
    return f"case-bulletin-{month}.xlsx"


def as_xlsx(report: Bulletin) -> bytes:
    """A sheet per table: the title row, the headers, a row per community (department), the score's formula."""
    from openpyxl import Workbook  # 15 MiB, loaded at the first export
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for title, part, code_header, name_header in SHEETS:
        sheet = book.create_sheet(title)
        sheet.append([report.title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
        sheet["A1"].font = Font(bold=True, size=14)
        sheet["A1"].alignment = Alignment(horizontal="center")
        headers = [header.format(code=code_header, name=name_header) for header, _, _ in COLUMNS]
        sheet.append(headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        rows: list[BulletinRow] = getattr(report, part)
        for row in rows:
            values: dict[str, Any] = row.model_dump()
            sheet.append([values[field] for _, field, _ in COLUMNS])
            for cell, (_, _, number_format) in zip(sheet[sheet.max_row], COLUMNS, strict=True):
                if number_format is not None:
                    cell.number_format = number_format
        sheet.append([])
        sheet.append([f"综合得分 = {SCORE_FORMULA}"])
        if part == "communities":
            sheet.append(["社区名称空缺：案件只记社区代码，名称见网格服务的社区名录。"])
        sheet.freeze_panes = "A3"
        for index, header in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(header) + 4)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
