"""Reading one flow file: safe YAML, then the schema, with every problem pinned to a line."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.domain.flow import (
    ChoiceStep,
    EndStep,
    Escalation,
    Flow,
    Option,
    Rule,
    ScaleStep,
    StepKind,
    TextStep,
    Trigger,
)
from bot.domain.safe_yaml import Document, YamlProblem, load_yaml
from bot.domain.safe_yaml import Path as DataPath


@dataclass(frozen=True)
class FlowProblem:
    """One thing wrong in a flow file: where, what, and how to fix it."""

    file: str
    line: int
    column: int
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}\n    fix: {self.fix}"


@dataclass(frozen=True)
class LoadedFlow:
    flow: Flow
    file: str
    document: Document
    source: bytes

    def problem(self, path: DataPath, message: str, fix: str) -> FlowProblem:
        line, column = self.document.position(path)
        return FlowProblem(self.file, line, column, message, fix)


def flow_version(source: bytes) -> str:
    """A flow's version: a short hash of its file, so answers say exactly what was asked."""
    return hashlib.sha256(source).hexdigest()[:12]


def read_flow(source: bytes, file: str) -> tuple[LoadedFlow | None, list[FlowProblem]]:
    """Parse and validate one flow file's bytes."""
    try:
        document = load_yaml(source)
    except YamlProblem as exc:
        fix = "fix the YAML at that spot (indentation, quotes, a missing ':')"
        message = str(exc)
        if ";" in message:
            message, fix = (part.strip() for part in message.split(";", 1))
        return None, [FlowProblem(file, exc.line, exc.column, message, fix)]
    if not isinstance(document.data, dict):
        return None, [
            FlowProblem(
                file,
                1,
                1,
                "a flow file must be a mapping (id:, name:, steps: ...)",
                "start from flows/post_purchase.yaml",
            )
        ]
    try:
        flow = Flow.model_validate(document.data)
    except ValidationError as exc:
        return None, _schema_problems(exc, document, file)
    flow = flow.model_copy(update={"version": flow_version(source)})
    return LoadedFlow(flow, file, document, source), []


def read_flow_file(path: Path) -> tuple[LoadedFlow | None, list[FlowProblem]]:
    try:
        source = path.read_bytes()
    except OSError as exc:
        return None, [
            FlowProblem(
                str(path),
                1,
                1,
                f"cannot read the file: {exc.strerror}",
                "check the path and its permissions",
            )
        ]
    return read_flow(source, str(path))


# ---- schema errors -> problems ------------------------------------------------------------

_MODEL_KEYS: dict[str, type[Any]] = {
    "flow": Flow,
    "trigger": Trigger,
    "rule": Rule,
    "escalate": Escalation,
    "option": Option,
    StepKind.CSAT: ScaleStep,
    StepKind.NPS: ScaleStep,
    StepKind.CES: ScaleStep,
    StepKind.CHOICE: ChoiceStep,
    StepKind.TEXT: TextStep,
    StepKind.END: EndStep,
}

_ID_FIX = "use lowercase letters, digits and _, starting with a letter (at most 32 characters)"
_FIELD_FIXES = {
    "id": _ID_FIX,
    "goto": "name the id of a step in this flow",
    "reward": "name a campaign id (lowercase letters, digits and _)",
    "locales": "list language codes like [vi, en]; the first is the default",
    "sample": "use a share between 0 and 1, e.g. 0.25 for a quarter of the events",
    "on": "use an event type like order.delivered",
}


def _schema_problems(error: ValidationError, document: Document, file: str) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    seen: set[tuple[DataPath, str]] = set()
    for detail in error.errors(include_url=False):
        path = _data_path(detail["loc"], document.data)
        message, fix = _explain(detail, path, document.data)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        line, column = document.position(path)
        problems.append(FlowProblem(file, line, column, message, fix))
    return problems


def _data_path(loc: tuple[int | str, ...], data: Any) -> DataPath:
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


def _explain(detail: ErrorDetails, path: DataPath, data: Any) -> tuple[str, str]:
    kind = detail["type"]
    loc = detail["loc"]
    where = _describe_place(path, data)
    field_name = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(path[:-1], data)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key {key!r}{where}", f"{hint}allowed keys here: {', '.join(allowed)}"
    if kind == "missing":
        return f"missing key {field_name!r}{where}", f"add `{field_name}: ...`"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        given = _value_at(path, data)
        kinds = ", ".join(k.value for k in StepKind)
        found = given.get("kind") if isinstance(given, dict) else None
        if found is None:
            return f"step has no `kind`{where}", f"add `kind:` with one of: {kinds}"
        return f"unknown step kind {found!r}{where}", f"use one of: {kinds}"
    message = detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if ";" in message:
        message, fix = (part.strip() for part in message.split(";", 1))
        return f"{field_name}: {message}{where}", fix
    if kind == "string_pattern_mismatch":
        value = _value_at(path, data)
        return (
            f"{value!r} is not a valid {field_name}{where}",
            _FIELD_FIXES.get(field_name, "use lowercase letters, digits, _ and -"),
        )
    if kind in ("string_type", "dict_type") and field_name in ("text", "label"):
        return (
            f"{field_name} must be text, a template name or a mapping locale -> text{where}",
            f'write `{field_name}: "..."` or `{field_name}: {{vi: "...", en: "..."}}`',
        )
    return f"{field_name}: {message}{where}", _FIELD_FIXES.get(field_name, "see docs/flows.md")


def _describe_place(path: DataPath, data: Any) -> str:
    if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
        step = _value_at(path[:2], data)
        if isinstance(step, dict) and isinstance(step.get("id"), str):
            return f" in step {step['id']!r}"
        return f" in step {path[1] + 1}"
    if path and path[0] == "trigger":
        return " in trigger"
    return ""


def _allowed_keys(path: DataPath, data: Any) -> list[str]:
    """The keys the schema allows at mapping `path` (for "did you mean" hints)."""
    model = _model_at(path, data)
    return [name for name in model.model_fields if name != "version"] if model else []


def _model_at(path: DataPath, data: Any) -> type[Any] | None:
    if not path:
        return _MODEL_KEYS["flow"]
    if path == ("trigger",):
        return _MODEL_KEYS["trigger"]
    if len(path) == 2 and path[0] == "steps":
        step = _value_at(path, data)
        kind = step.get("kind") if isinstance(step, dict) else None
        return _MODEL_KEYS.get(kind) if isinstance(kind, str) else None
    if len(path) == 4 and path[0] == "steps" and path[2] == "next":
        return _MODEL_KEYS["rule"]
    if len(path) == 4 and path[0] == "steps" and path[2] == "options":
        return _MODEL_KEYS["option"]
    if len(path) == 3 and path[0] == "steps" and path[2] == "escalate":
        return _MODEL_KEYS["escalate"]
    return None


def _value_at(path: DataPath, data: Any) -> Any:
    current = data
    for part in path:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return None
    return current
