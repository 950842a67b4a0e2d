"""Gateway: The only door: accounts, login, tokens and JWKS, routing to the services."""

import shared  # noqa: F401  # first: see its docstring
