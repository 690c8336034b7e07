"""Pydantic validation errors of a hand-written file -> problems with line, message, fix.

Shared by flow and campaign files: a `SchemaVocabulary` says which model sits where (for
"did you mean" hints on unknown keys), how to name a place ("in step 'csat'") and what to
suggest for each field.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.flows.safe_yaml import Document
from bot.flows.safe_yaml import Path as DataPath


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong in a file: where, what, and how to fix it."""

    file: str
    line: int
    column: int
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}\n    fix: {self.fix}"


@dataclass(frozen=True)
class SchemaVocabulary:
    model_at: Callable[[DataPath, Any], type[BaseModel] | None]
    describe_place: Callable[[DataPath, Any], str] = lambda path, data: ""
    field_fixes: Mapping[str, str] = field(default_factory=dict)
    kinds: Sequence[str] = ()  # the values of a `kind` tag, for unknown-kind errors
    hidden: frozenset[str] = frozenset()  # model fields authors never write
    docs: str = "see the docs"


def schema_problems(
    error: ValidationError, document: Document, file: str, vocabulary: SchemaVocabulary
) -> list[FileProblem]:
    problems: list[FileProblem] = []
    seen: set[tuple[DataPath, str]] = set()
    for detail in error.errors(include_url=False):
        path = data_path(detail["loc"], document.data)
        message, fix = _explain(detail, path, document.data, vocabulary)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        line, column = document.position(path)
        problems.append(FileProblem(file, line, column, message, fix))
    return problems


def data_path(loc: tuple[int | str, ...], data: Any) -> DataPath:
    """The part of an error location that exists in the file.

    Pydantic adds union and tag labels (`csat`, `str`...) and names missing keys; those are
    skipped, so the error points at the nearest real mapping or list item.
    """
    path: list[str | int] = []
    current = data
    for part in loc:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            continue  # a label, or a missing key
        path.append(part)
    return tuple(path)


def value_at(path: DataPath, data: Any) -> Any:
    current = data
    for part in path:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return None
    return current


def _explain(
    detail: ErrorDetails, path: DataPath, data: Any, vocabulary: SchemaVocabulary
) -> tuple[str, str]:
    kind = detail["type"]
    loc = detail["loc"]
    where = vocabulary.describe_place(path, data)
    field_name = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = vocabulary.model_at(path[:-1], data)
        allowed = [n for n in model.model_fields if n not in vocabulary.hidden] if model else []
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key {key!r}{where}", f"{hint}allowed keys here: {', '.join(allowed)}"
    if kind == "missing":
        return f"missing key {field_name!r}{where}", f"add `{field_name}: ...`"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        given = value_at(path, data)
        kinds = ", ".join(vocabulary.kinds)
        found = given.get("kind") if isinstance(given, dict) else None
        if found is None:
            return f"step has no `kind`{where}", f"add `kind:` with one of: {kinds}"
        return f"unknown step kind {found!r}{where}", f"use one of: {kinds}"
    message = detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if ";" in message:
        message, fix = (part.strip() for part in message.split(";", 1))
        return f"{field_name}: {message}{where}", fix
    if kind == "string_pattern_mismatch":
        value = value_at(path, data)
        return (
            f"{value!r} is not a valid {field_name}{where}",
            vocabulary.field_fixes.get(field_name, "use lowercase letters, digits, _ and -"),
        )
    if kind in ("string_type", "dict_type") and field_name in ("text", "label"):
        return (
            f"{field_name} must be text, a template name or a mapping locale -> text{where}",
            f'write `{field_name}: "..."` or `{field_name}: {{vi: "...", en: "..."}}`',
        )
    return f"{field_name}: {message}{where}", vocabulary.field_fixes.get(
        field_name, vocabulary.docs
    )
