"""Who reads the street's figures: street admins, and integration clients with ``stats:read``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.security import Principal, allow

Analyst = Annotated[Principal, Depends(allow("street_admin", machine_scopes=("stats:read",)))]
