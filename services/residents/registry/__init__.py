"""The registry: residents (list, get, update, search), the tag catalogue and the registry's statistics."""
