"""The place codes of the tests. The demo's street, community and grids (``shared.demo``), and the
places beside them that tests use to see what lies outside a scope: a neighbouring community in the
same street, and another street with a community of its own."""

from __future__ import annotations

from shared.demo import COMMUNITY, GRIDS, STREET

NEIGHBOUR_COMMUNITY = "110105001002"  # the demo street's second community (not the demo's)
OTHER_STREET = "110105002"  # a street beside the demo's
OTHER_STREET_COMMUNITY = "110105002001"  # a community of that other street

__all__ = ["COMMUNITY", "GRIDS", "NEIGHBOUR_COMMUNITY", "OTHER_STREET", "OTHER_STREET_COMMUNITY", "STREET"]
