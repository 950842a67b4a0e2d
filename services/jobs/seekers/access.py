"""Who may call the seekers' own routes (the aliases every concept uses are in ``services.jobs.access``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.security import Principal, allow

# Those who help residents with their profiles.
Helper = Annotated[Principal, Depends(allow("community_staff", "grid_worker", "street_admin"))]
