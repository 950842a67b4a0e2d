"""Residents service: The resident registry: compounds, buildings, households, residents, tags, and the PII vault."""
