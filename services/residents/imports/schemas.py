"""What an import answers: the rows read, the residents written and every bad row's reason."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImportError_(BaseModel):
    row: int
    column: str
    reason: str


class ImportReport(BaseModel):
    dry_run: bool
    rows: int
    created: int = Field(description="residents written (0 on a dry run or when any row is bad)")
    errors: list[ImportError_]
