"""Seekers (求职者): the profiles of residents looking for work."""
