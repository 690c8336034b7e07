"""Safe YAML for files people write by hand: plain data, positions kept, nothing clever.

- Only maps, lists and scalars: any tag (`!!python/object`, `!!binary`, custom `!tags`) and
  any alias (`*name`, the trick behind "billion laughs" bombs) is refused with a clear error.
- Scalars follow YAML 1.2's core schema, so `on`, `yes`, `no` stay text (in PyYAML's YAML
  1.1 `on:` would become the boolean True) and `09:00` is not a base-60 number.
- Mapping keys are always text, duplicate keys are an error (YAML silently keeps the last).
- Every value remembers its line and column, so errors can point at the exact place.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_YAML_BYTES = 512 * 1024

Path = tuple[str | int, ...]

_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_HEX = re.compile(r"^0x[0-9a-fA-F_]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    # Implicit resolvers of YAML 1.1 may label plain scalars with these; we re-read them.
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:merge",
    "tag:yaml.org,2002:value",
}


class YamlProblem(Exception):
    """The text is not acceptable YAML; carries the 1-based line and column."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        self.line = line
        self.column = column
        super().__init__(message)


@dataclass
class Document:
    """Plain data plus where every value came from."""

    data: Any
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path) -> tuple[int, int]:
        """Line and column of `path`, or of its nearest ancestor that exists."""
        probe = tuple(path)
        while probe:
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            mark = event.start_mark
            raise YamlProblem(
                f"alias *{event.anchor} is not allowed; write the value out in full "
                "(anchors and aliases are refused to keep flow files simple and safe)",
                mark.line + 1,
                mark.column + 1,
            )
        return super().compose_node(parent, index)


def read_yaml_file(path: pathlib.Path) -> bytes:
    """A YAML file's bytes, refusing one over MAX_YAML_BYTES before reading it all (a 2 GB
    file must not be loaded to learn that it is too big). OSError if it cannot be read."""
    with path.open("rb") as file:
        data = file.read(MAX_YAML_BYTES + 1)
    if len(data) > MAX_YAML_BYTES:
        raise YamlProblem(f"the file is over {MAX_YAML_BYTES // 1024} KiB; split it up")
    return data


def load_yaml(text: str | bytes) -> Document:
    """Parse one YAML document into plain Python data with positions."""
    if isinstance(text, bytes):
        if len(text) > MAX_YAML_BYTES:
            raise YamlProblem(f"the file is over {MAX_YAML_BYTES // 1024} KiB; split it up")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlProblem(
                f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None
    if len(text) > MAX_YAML_BYTES:
        raise YamlProblem(f"the file is over {MAX_YAML_BYTES // 1024} KiB; split it up")
    loader = _NoAliasLoader(text)
    try:
        root = loader.get_single_node()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(f"this is not valid YAML: {exc.problem or exc}", line, column) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"this is not valid YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem("the YAML is nested too deeply to be a flow file") from None
    finally:
        loader.dispose()
    document = Document(data=None)
    if root is None:
        return document
    try:
        document.data = _convert(root, (), document.positions)
    except RecursionError:
        raise YamlProblem("the YAML is nested too deeply to be a flow file") from None
    return document


def _convert(node: Node, path: Path, positions: dict[Path, tuple[int, int]]) -> Any:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    _refuse_custom_tag(node)
    if isinstance(node, MappingNode):
        return dict(_mapping_items(node, path, positions))
    if isinstance(node, SequenceNode):
        return [_convert(item, (*path, i), positions) for i, item in enumerate(node.value)]
    assert isinstance(node, ScalarNode)
    return _scalar(node)


def _mapping_items(
    node: MappingNode, path: Path, positions: dict[Path, tuple[int, int]]
) -> Iterator[tuple[str, Any]]:
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            raise _at(key_node, "a key must be plain text, not a list or a mapping")
        _refuse_custom_tag(key_node)
        key = str(key_node.value)
        if key == "<<":
            raise _at(key_node, "merge keys (<<) are not allowed; write the keys out in full")
        if key in seen:
            raise _at(
                key_node,
                f"key {key!r} appears twice in this mapping (first on line {seen[key]}); keep one",
            )
        seen[key] = key_node.start_mark.line + 1
        yield key, _convert(value_node, (*path, key), positions)


def _refuse_custom_tag(node: Node) -> None:
    if node.tag not in _STANDARD_TAGS:
        raise _at(
            node,
            f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed; "
            "flow files hold plain text, numbers, lists and mappings only",
        )


def _scalar(node: ScalarNode) -> Any:
    value: str = node.value
    if node.style is not None:  # quoted or block scalar: always text
        return value
    explicit = node.tag if node.tag in {"tag:yaml.org,2002:str"} else None
    if explicit:
        return value
    lowered = value.lower()
    if lowered in ("", "~", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.match(value):
        return int(value.replace("_", ""))
    if _HEX.match(value):
        return int(value.replace("_", ""), 16)
    if _FLOAT.match(value) and any(c.isdigit() for c in value):
        return float(value.replace("_", ""))
    return value


def _at(node: Node, message: str) -> YamlProblem:
    return YamlProblem(message, node.start_mark.line + 1, node.start_mark.column + 1)
