"""Volunteer teams, their members and the menu items they serve."""
