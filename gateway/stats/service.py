"""Statistics for street offices (``GET /api/v1/stats``): the services' own figures for the caller's
street, asked in parallel with the caller's own token (each service applies its scope), combined in
one answer, or exported as CSV or xlsx. A service that cannot answer leaves its part ``null`` with
a note; the rest still comes."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from gateway.stats.schemas import StreetStats
from shared.errors import DomainError
from shared.peers import authorization_of, peers_of

# part -> (service, path, whether it takes a period)
PARTS: dict[str, tuple[str, str, bool]] = {
    "residents": ("residents", "/api/v1/residents/stats", False),
    "visits": ("grids", "/api/v1/visits/stats", True),
    "coverage": ("grids", "/api/v1/visits/coverage", False),
    "orders": ("orders", "/api/v1/orders/stats", True),
    "indicators": ("orders", "/api/v1/orders/indicators", True),
    "points": ("orders", "/api/v1/points/stats", True),
    "jobs": ("jobs", "/api/v1/postings/stats", True),
}


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
            place = row.get("place_code") or row.get("grid_code") or row.get("code") or ""
            month = row.get("month", "")
            for figure, value in row.items():
                if figure not in ("place_code", "grid_code", "code", "month"):
                    writer.writerow([part, place, month, figure, "" if value is None else value])
    return ("\ufeff" + buffer.getvalue()).encode()


def as_xlsx(stats: StreetStats) -> bytes:
    """A sheet a part, a column a figure; the notes on a sheet of their own."""
    from openpyxl import Workbook  # 15 MiB, loaded at the first export

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
