"""Integration clients: the OAuth2 client credentials of a street office's own systems, kept by its
street admins (docs/services/gateway.md "Integration clients")."""
