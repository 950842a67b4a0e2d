"""Gateway: The only door: accounts, login, tokens and JWKS, routing to the services."""
