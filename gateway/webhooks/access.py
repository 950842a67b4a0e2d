"""Who keeps webhook endpoints: integration clients with the ``webhooks:write`` scope, each their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.security import AccessPolicy, Principal

Client = Annotated[Principal, Depends(AccessPolicy(machine_scopes=("webhooks:write",)))]
