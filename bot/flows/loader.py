"""Reading one flow file: safe YAML, then the schema, with every problem pinned to a line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.flows.safe_yaml import Document, YamlProblem, load_yaml, read_yaml_file
from bot.flows.safe_yaml import Path as DataPath
from bot.flows.schema import (
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
from bot.flows.schema_errors import FileProblem, SchemaVocabulary, schema_problems, value_at


@dataclass(frozen=True)
class LoadedFlow:
    flow: Flow
    file: str
    document: Document
    source: bytes

    def problem(self, path: DataPath, message: str, fix: str) -> FileProblem:
        line, column = self.document.position(path)
        return FileProblem(self.file, line, column, message, fix)


def flow_version(source: bytes) -> str:
    """A flow's version: a short hash of its file, so answers say exactly what was asked."""
    return hashlib.sha256(source).hexdigest()[:12]


def read_flow(source: bytes, file: str) -> tuple[LoadedFlow | None, list[FileProblem]]:
    """Parse and validate one flow file's bytes."""
    try:
        document = load_yaml(source)
    except YamlProblem as exc:
        fix = "fix the YAML at that spot (indentation, quotes, a missing ':')"
        message = str(exc)
        if ";" in message:
            message, fix = (part.strip() for part in message.split(";", 1))
        return None, [FileProblem(file, exc.line, exc.column, message, fix)]
    if not isinstance(document.data, dict):
        return None, [
            FileProblem(
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
        return None, schema_problems(exc, document, file, _VOCABULARY)
    flow = flow.model_copy(update={"version": flow_version(source)})
    return LoadedFlow(flow, file, document, source), []


def read_flow_file(path: Path) -> tuple[LoadedFlow | None, list[FileProblem]]:
    try:
        source = read_yaml_file(path)
    except YamlProblem as exc:
        return None, [FileProblem(str(path), 1, 1, str(exc), "keep a flow file under 512 KiB")]
    except OSError as exc:
        return None, [
            FileProblem(
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
    "template": 'give the id of a template approved in Zalo\'s console: digits, e.g. "123456"',
    "[key]": "in texts a language code (vi, en); in zalo.template_data a template "
    "parameter's name as in Zalo's console (letters, digits and _)",
}


_VOCABULARY = SchemaVocabulary(
    model_at=lambda path, data: _model_at(path, data),
    describe_place=lambda path, data: _describe_place(path, data),
    field_fixes=_FIELD_FIXES,
    kinds=tuple(kind.value for kind in StepKind),
    hidden=frozenset({"version"}),
    docs="see docs/flows.md",
)


def _describe_place(path: DataPath, data: Any) -> str:
    if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
        step = value_at(path[:2], data)
        if isinstance(step, dict) and isinstance(step.get("id"), str):
            return f" in step {step['id']!r}"
        return f" in step {path[1] + 1}"
    if path and path[0] == "trigger":
        return " in trigger"
    return ""


def _model_at(path: DataPath, data: Any) -> type[Any] | None:
    if not path:
        return _MODEL_KEYS["flow"]
    if path == ("trigger",):
        return _MODEL_KEYS["trigger"]
    if len(path) == 2 and path[0] == "steps":
        step = value_at(path, data)
        kind = step.get("kind") if isinstance(step, dict) else None
        return _MODEL_KEYS.get(kind) if isinstance(kind, str) else None
    if len(path) == 4 and path[0] == "steps" and path[2] == "next":
        return _MODEL_KEYS["rule"]
    if len(path) == 4 and path[0] == "steps" and path[2] == "options":
        return _MODEL_KEYS["option"]
    if len(path) == 3 and path[0] == "steps" and path[2] == "escalate":
        return _MODEL_KEYS["escalate"]
    return None
