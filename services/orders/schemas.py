"""What the orders service's inputs share (the menu's and the orders'): unknown fields are refused,
and no text may hold a NUL character. Each concept's schemas are in its package."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

TEXT = r"^[^\x00]*$"


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")
