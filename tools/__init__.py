"""Maintenance scripts of the book: run from the repository root (``python tools/<script>.py``)."""
