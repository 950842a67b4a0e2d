"""Who reads a street's working calendar and who keeps it: the same readers as the case classes (the case
clocks count on it), and the street's admins (``services/orders/catalogue/access.py``)."""

from __future__ import annotations

from services.orders.catalogue.access import Reader, StreetAdmin, readable_streets, street_for

__all__ = ["Reader", "StreetAdmin", "readable_streets", "street_for"]
