"""Textual screens of the till. Thin: they read keys, call services and show plain data."""
