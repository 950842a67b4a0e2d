"""The registry's words: codes the API speaks and the Chinese that staff write in spreadsheets."""

from __future__ import annotations

from typing import Literal

from shared import vocabularies
from shared.vocabularies import labels

ResidenceType = Literal["registered", "permanent", "floating", "relocated"]
Relation = Literal["head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other"]
Employment = Literal["employed", "unemployed", "retired", "student", "none"]
Gender = Literal["M", "F"]

# code -> Chinese, as staff write them in spreadsheets (the tables are in shared.vocabularies).
RESIDENCE_TYPES: dict[str, str] = labels(vocabularies.RESIDENCE_TYPES)
RELATIONS: dict[str, str] = labels(vocabularies.RELATIONS)
EMPLOYMENT: dict[str, str] = labels(vocabularies.EMPLOYMENT)
GENDERS: dict[str, str] = labels(vocabularies.GENDERS)
STANDARD_TAGS = vocabularies.STANDARD_TAGS


def code_of(table: dict[str, str], chinese: str) -> str | None:
    """The code whose Chinese is ``chinese`` (or the code itself), else None."""
    text = chinese.strip()
    if text in table:
        return text
    return next((code for code, name in table.items() if name == text), None)
