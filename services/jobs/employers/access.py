"""Who may call the employers' own routes (the aliases every concept uses are in ``services.jobs.access``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.jobs.access import READ_SCOPES
from shared.security import Principal, allow

Employer = Annotated[Principal, Depends(allow("employer"))]
Overseer = Annotated[
    Principal, Depends(allow("community_staff", "street_admin", "employer", machine_scopes=READ_SCOPES))
]
