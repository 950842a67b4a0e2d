"""Statistics for street offices (``GET /api/v1/stats``): the services' own figures for the caller's
street, asked in parallel with the caller's own token (each service applies its scope), combined in
one answer, or exported as CSV or xlsx. A service that cannot answer leaves its part ``null`` with
a note; the rest still comes."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from openpyxl import Workbook
from pydantic import AwareDatetime, BaseModel, Field
from starlette.responses import Response

from shared.errors import DomainError, problem_responses
from shared.peers import authorization_of, peers_of
from shared.security import Principal, allow

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])
Analyst = Annotated[Principal, Depends(allow("street_admin", machine_scopes=("stats:read",)))]
GroupBy = Literal["grid", "community", "street"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# part -> (service, path, whether it takes a period)
PARTS: dict[str, tuple[str, str, bool]] = {
    "residents": ("residents", "/api/v1/residents/stats", False),
    "visits": ("grids", "/api/v1/visits/stats", True),
    "coverage": ("grids", "/api/v1/visits/coverage", False),
    "orders": ("orders", "/api/v1/orders/stats", True),
    "points": ("orders", "/api/v1/points/stats", True),
    "jobs": ("jobs", "/api/v1/postings/stats", True),
}


class StreetStats(BaseModel):
    """Each part is the owning service's own answer, or null when it could not be asked."""

    group_by: GroupBy
    since: datetime | None
    until: datetime | None
    generated_at: datetime
    residents: dict[str, Any] | None = Field(description="residents by residence type and tag, per place")
    visits: dict[str, Any] | None = Field(description="visits, must-visits, follow-ups per place and month")
    coverage: dict[str, Any] | None = Field(description="households visited in the last 30 days, per grid")
    orders: dict[str, Any] | None = Field(
        description="orders by state and kind, SLA medians, ratings, overdue, problems found and solved"
    )
    points: dict[str, Any] | None = Field(description="party members' points per place and month")
    jobs: dict[str, Any] | None = Field(description="postings, applications, hires, trainees")
    notes: list[str]


async def collect(request: Request, *, group_by: str, since: datetime | None, until: datetime | None) -> StreetStats:
    peers, authorization = peers_of(request), authorization_of(request)

    async def ask(part: str) -> dict[str, Any] | str:
        service, path, periodic = PARTS[part]
        params: dict[str, Any] = {} if part == "coverage" else {"group_by": group_by}
        if periodic:
            params.update({k: v.isoformat() for k, v in (("since", since), ("until", until)) if v is not None})
        try:
            answer = await peers.get(service, path, authorization=authorization, **params)
        except DomainError as error:
            return f"{part}: {error.detail or error.title}"
        return answer if answer is not None else f"{part}: the {service} service has no such figures"

    answers = dict(zip(PARTS, await asyncio.gather(*(ask(part) for part in PARTS)), strict=True))
    return StreetStats(
        group_by=group_by,
        since=since,
        until=until,
        generated_at=datetime.now(UTC),
        notes=[answer for answer in answers.values() if isinstance(answer, str)],
        **{part: answer if isinstance(answer, dict) else None for part, answer in answers.items()},
    )


def _flatten(item: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif not isinstance(value, list):
            flat[name] = value
    return flat


def tables(stats: StreetStats) -> dict[str, list[dict[str, Any]]]:
    """Each part as rows of flat columns (``by_state.rated``), for the spreadsheet exports."""
    found: dict[str, list[dict[str, Any]]] = {}
    for part in PARTS:
        answer = getattr(stats, part)
        if answer is not None:
            found[part] = [_flatten(item) for item in answer.get("items", []) if isinstance(item, dict)]
    return found


def as_csv(stats: StreetStats) -> bytes:
    """Long format: one figure a line (part, place, month, figure, value); UTF-8 with a BOM for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["part", "place_code", "month", "figure", "value"])
    for part, rows in tables(stats).items():
        for row in rows:
            place = row.get("place_code") or row.get("grid_code") or ""
            month = row.get("month", "")
            for figure, value in row.items():
                if figure not in ("place_code", "grid_code", "month"):
                    writer.writerow([part, place, month, figure, "" if value is None else value])
    return ("\ufeff" + buffer.getvalue()).encode()


def as_xlsx(stats: StreetStats) -> bytes:
    """A sheet a part, a column a figure; the notes on a sheet of their own."""
    book = Workbook(write_only=True)
    for part, rows in tables(stats).items():
        sheet = book.create_sheet(part)
        columns = list(dict.fromkeys(name for row in rows for name in row))
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(name) for name in columns])
    notes = book.create_sheet("notes")
    notes.append(["generated_at", stats.generated_at.isoformat()])
    for note in stats.notes:
        notes.append([note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@router.get(
    "",
    response_model=StreetStats,
    responses={
        200: {
            "content": {"text/csv": {}, XLSX: {}},
            "description": "JSON, or with format=csv / xlsx the same figures as a file",
        },
        **problem_responses(401, 403, 422),
    },
)
async def street_stats(
    principal: Analyst,
    request: Request,
    group_by: GroupBy = "community",
    since: Annotated[
        AwareDatetime | None, Query(description="from (orders placed, visits made, points earned)")
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="until, exclusive")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a file")] = "json",  # noqa: A002
) -> Any:
    """The street's figures from every service, per grid, community or street and month."""
    stats = await collect(request, group_by=group_by, since=since, until=until)
    if format == "csv":
        return Response(
            as_csv(stats),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="street-stats.csv"'},
        )
    if format == "xlsx":
        return Response(
            as_xlsx(stats), media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="street-stats.xlsx"'}
        )
    return stats
