"""The enumerated fields of the API with their Chinese labels (``shared.vocabularies``)."""
