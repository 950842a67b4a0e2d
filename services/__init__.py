"""The four services."""

import shared  # noqa: F401  # first: see its docstring
