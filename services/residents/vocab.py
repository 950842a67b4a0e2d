"""The registry's words: codes the API speaks and the Chinese that staff write in spreadsheets."""

from __future__ import annotations

from typing import Literal

ResidenceType = Literal["registered", "permanent", "floating", "relocated"]
RESIDENCE_TYPES: dict[str, str] = {
    "registered": "户籍",
    "permanent": "常住",
    "floating": "流动",
    "relocated": "易地搬迁安置",
}

Relation = Literal["head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other"]
RELATIONS: dict[str, str] = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "grandchild": "孙子女",
    "grandparent": "祖父母",
    "sibling": "兄弟姐妹",
    "other": "其他",
}

Employment = Literal["employed", "unemployed", "retired", "student", "none"]
EMPLOYMENT: dict[str, str] = {
    "employed": "在业",
    "unemployed": "失业",
    "retired": "退休",
    "student": "在校",
    "none": "无业",
}

Gender = Literal["M", "F"]
GENDERS: dict[str, str] = {"M": "男", "F": "女"}

# GB/T 31000 "9+X": the nine groups every community keeps, and whether a tag is sensitive (PIPL:
# health, minors, financial hardship), seen only by roles that need it.
# code: (name, sensitive)
STANDARD_TAGS: dict[str, tuple[str, bool]] = {
    "elderly": ("高龄老人", False),
    "empty_nest": ("空巢/独居老人", False),
    "solitary": ("孤寡老人", False),
    "disabled": ("残疾人", True),
    "left_behind_child": ("留守儿童", True),
    "low_income": ("低保/困难家庭", True),
    "veteran": ("退役军人", False),
    "party_member": ("党员", False),
    "volunteer": ("志愿者", False),
}


def code_of(table: dict[str, str], chinese: str) -> str | None:
    """The code whose Chinese is ``chinese`` (or the code itself), else None."""
    text = chinese.strip()
    if text in table:
        return text
    return next((code for code, name in table.items() if name == text), None)
