"""The scopes a street admin may grant an integration client: exactly the machine scopes that some
route accepts (a test walks every process's routes and fails on one missing here). ``internal`` is
the gateway's own towards the services and is never granted."""

from __future__ import annotations

from gateway.clients import INTERNAL_SCOPE

GRANTABLE_SCOPES: dict[str, str] = {
    "stats:read": "read the street's figures: the gateway's statistics and each service's own",
    "orders:read": "read the street's orders and the menu",
    "grids:read": "read places, notices, activities, teams and property records",
    "jobs:read": "read postings, employers, seekers and applications",
    "webhooks:write": "register and manage webhook endpoints for the street's events",
    "open311": "Open311 GeoReport v2: report issues and read requests, look up places and residents",
    "hotline": "the 12345 hotline's system: its tickets as the street's cases, the case classes, the working "
    "calendar and the departments",
}

assert INTERNAL_SCOPE not in GRANTABLE_SCOPES
