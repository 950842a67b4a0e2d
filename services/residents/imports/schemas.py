"""What an import answers: the rows read, the residents written and every bad row's reason."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImportError_(BaseModel):
    row: int = Field(description="the sheet's row: 1 is the header (a column's problem), 0 the whole sheet")
    column: str = Field(description="the Chinese column header as written in the sheet; empty for the whole sheet")
    reason: str = Field(description="what is wrong, without repeating the cell's value")


class ImportReport(BaseModel):
    dry_run: bool = Field(description="true when it was a dry run: rows checked, nothing written")
    rows: int = Field(description="data rows read, good or bad")
    created: int = Field(description="residents written (0 on a dry run or when any row is bad)")
    errors: list[ImportError_] = Field(
        description="every bad cell or column, by row then column; empty when all is well"
    )
