"""The residents tables: its own SQLModel registry, so its metadata holds only its tables."""

from __future__ import annotations

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.db import naming_convention_metadata
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table


class ResidentsModel(SQLModel, registry=registry(metadata=naming_convention_metadata())):
    pass


metadata = ResidentsModel.metadata
idempotency_record = idempotency_table(metadata)
outbox_event = outbox_table(metadata)
