"""Notices to a community, a grid or a compound, and who has read them."""
