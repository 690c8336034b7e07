"""Hostile input: every surface gets bad input and must answer with a clear 4xx, never a 5xx.

The app fixtures are the web tests' own (the real app, built from settings, on SQLite and
PostgreSQL)."""

from tests.web.conftest import client, make_client

__all__ = ["client", "make_client"]
