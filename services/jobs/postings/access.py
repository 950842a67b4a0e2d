"""Who may call the postings' own routes (the aliases every concept uses are in ``services.jobs.access``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.security import Principal, allow

StatsReader = Annotated[
    Principal, Depends(allow("community_staff", "street_admin", machine_scopes=("jobs:read", "stats:read")))
]
