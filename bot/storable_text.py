"""The one rule for text from outside: what a database text column can take.

PostgreSQL refuses a NUL character in text (SQLite keeps it, so the two would disagree),
and a lone surrogate (valid as a JSON escape, "\\ud800") is not UTF-8 at all. No real name,
id, code or link holds either. Fields are refused with a message naming the rule
(`storable_text`, `StorableText`); free text typed by a person (a chat comment, a
message) keeps its words and loses only the NULs (`without_nul`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

NUL = "\x00"
NO_NUL_PATTERN = r"^[^\u0000]*$"  # the same rule, in a JSON Schema (the OpenAPI document)


def has_nul(text: str) -> bool:
    return NUL in text


def without_nul(text: str) -> str:
    return text.replace(NUL, "")


def storable_text(value: str) -> str:
    """`value` unchanged, or ValueError saying what a column cannot take."""
    if has_nul(value):
        raise ValueError("must not contain NUL characters (\\u0000); remove them")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "is not valid Unicode text (it has an unpaired surrogate, like \\ud800)"
        ) from None
    return value


STORABLE = AfterValidator(storable_text)
NO_NUL_SCHEMA = Field(json_schema_extra={"pattern": NO_NUL_PATTERN})
StorableText = Annotated[str, STORABLE, NO_NUL_SCHEMA]
