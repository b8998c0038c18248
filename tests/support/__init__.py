"""Shared test helpers: factories, database markers, a live gunicorn. Tests import these,
never each other."""
