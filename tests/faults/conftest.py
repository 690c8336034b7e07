"""The fault battery: the real `surveybot run` against the fake Bot API, while things break.

The process, the fake and the database fixtures are the end-to-end tests' own."""

from tests.e2e.conftest import db, surveybot, telegram

__all__ = ["db", "surveybot", "telegram"]
