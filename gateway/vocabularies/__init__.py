"""The enumerated fields of the registry and the orders (``shared.vocabularies``)."""
