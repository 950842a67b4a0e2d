"""Visits (走访) by grid workers and party members, with their photos, coverage and statistics."""
