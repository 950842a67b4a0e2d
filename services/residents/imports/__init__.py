"""Registers in and out: a community's spreadsheet imported all or nothing, the registry exported as xlsx."""
