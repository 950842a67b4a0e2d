"""Who may call the applications' routes (the aliases every concept uses are in ``services.jobs.access``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.jobs.access import READ_SCOPES
from shared.security import Principal, allow

ApplicationViewer = Annotated[
    Principal,
    Depends(
        allow("resident", "community_staff", "street_admin", "grid_worker", "employer", machine_scopes=READ_SCOPES)
    ),
]
Applicant = Annotated[Principal, Depends(allow("resident", "community_staff", "street_admin", "grid_worker"))]
