"""The orders tests' fixtures: the ``orders`` client, the demo ``roster`` and ``registry`` come from
tests/conftest.py (the grids and gateway tests use them too)."""
