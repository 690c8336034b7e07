"""The small, safe condition language used in `next.when` and `escalate.when`.

    nps <= 6
    csat >= 4 and ces <= 3
    reason == "late" or reason in ["damaged", "wrong_item"]
    not comment

Names are answers (by step id, or by kind when a flow has one step of that kind); literals
are numbers, strings, `true`/`false`/`null` and lists of literals. Operators: comparisons
(`== != < <= > >= in`, `not in`, chained like `1 <= csat <= 2`), `and`, `or`, `not`.

Python's parser reads the text, but only a short whitelist of node types is accepted and our
own walker evaluates it: no attribute access, calls, subscripts or arithmetic, never `eval`.
An unanswered question is `null`; ordering comparisons with `null` or between a number and a
string are simply false, so a condition never raises at run time.

`Condition.decide` evaluates three-valued (Kleene's logic) for a survey still under way:
answers that may yet be given are unknown, and the verdict is True or False only when no
value they could take would change it (`csat <= 2 or nps <= 6` holds with CSAT 1 and NPS
unknown; `csat <= 2 and nps <= 6` is undecided). `evaluate` is the same walk with nothing
unknown.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from bot.errors import ExpressionError

MAX_EXPRESSION_LENGTH = 500

Evaluator = Callable[[Mapping[str, Any]], Any]

_LITERAL_NAMES: dict[str, Any] = {"true": True, "false": False, "null": None, "none": None}

_ORDERING: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}

_HELP = (
    'use answers, numbers, "strings", comparisons (== != < <= > >= in), and, or, not; '
    'for example: nps <= 6 or reason == "late"'
)


class _Unknown:
    """An answer that may still be given: it could turn out to be anything."""

    def __bool__(self) -> bool:
        raise TypeError("an unknown answer is neither true nor false; use Condition.decide")

    def __repr__(self) -> str:
        return "unknown"


UNKNOWN: Final = _Unknown()


@dataclass(frozen=True)
class Condition:
    """A parsed condition: keeps its source, the names it reads, and how to evaluate it."""

    source: str
    names: frozenset[str]
    _evaluate: Evaluator

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        """Whether it holds; a name missing from `answers` is null (unanswered)."""
        return bool(self._evaluate(answers))

    def decide(self, answers: Mapping[str, Any], unknown: Collection[str] = ()) -> bool | None:
        """Whether it holds while the answers named in `unknown` are still to come: True
        or False when it does so whatever they turn out to be, None when it depends on
        them. Other names read from `answers` as in `evaluate`."""
        scope = {**answers, **dict.fromkeys(unknown, UNKNOWN)}
        verdict = self._evaluate(scope)
        return None if verdict is UNKNOWN else bool(verdict)

    def __str__(self) -> str:
        return self.source


def parse_condition(source: str) -> Condition:
    """Parse a condition, or raise ExpressionError saying what is wrong and where."""
    text = str(source).strip()
    if not text:
        raise ExpressionError(f"the condition is empty; {_HELP}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"the condition is {len(text)} characters long; keep it under "
            f"{MAX_EXPRESSION_LENGTH} (split the logic over several rules)"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        column = (exc.offset or 1) - 1
        raise ExpressionError(
            f"cannot read {text!r} near column {column + 1}; {_HELP}", column
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"cannot read {text!r}; {_HELP}") from None
    names: set[str] = set()
    evaluate = _compile(tree.body, names)
    return Condition(source=text, names=frozenset(names), _evaluate=evaluate)


def _compile(node: ast.expr, names: set[str]) -> Evaluator:
    if isinstance(node, ast.BoolOp):
        return _compile_bool(node, names)
    if isinstance(node, ast.UnaryOp):
        return _compile_unary(node, names)
    if isinstance(node, ast.Compare):
        return _compile_compare(node, names)
    if isinstance(node, ast.Name):
        return _compile_name(node, names)
    if isinstance(node, ast.Constant):
        return _compile_constant(node)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return _compile_list(node, names)
    raise _unsupported(node)


def _compile_list(node: ast.List | ast.Tuple | ast.Set, names: set[str]) -> Evaluator:
    items = [_compile(element, names) for element in node.elts]

    def evaluate(answers: Mapping[str, Any]) -> Any:
        values = [item(answers) for item in items]
        return UNKNOWN if any(value is UNKNOWN for value in values) else values

    return evaluate


def _compile_bool(node: ast.BoolOp, names: set[str]) -> Evaluator:
    """`and` is false once a part is false, `or` true once a part is true, whatever the
    unknown parts; otherwise an unknown part leaves it unknown."""
    parts = [_compile(value, names) for value in node.values]
    deciding = not isinstance(node.op, ast.And)  # the truth value that settles it

    def evaluate(answers: Mapping[str, Any]) -> Any:
        verdict: Any = not deciding
        for part in parts:
            value = part(answers)
            if value is UNKNOWN:
                verdict = UNKNOWN
            elif bool(value) is deciding:
                return deciding
        return verdict

    return evaluate


def _compile_unary(node: ast.UnaryOp, names: set[str]) -> Evaluator:
    if isinstance(node.op, ast.Not):
        inner = _compile(node.operand, names)

        def negate(answers: Mapping[str, Any]) -> Any:
            value = inner(answers)
            return UNKNOWN if value is UNKNOWN else not value

        return negate
    if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            negative = -value
            return lambda _answers: negative
    raise _unsupported(node)


def _compile_compare(node: ast.Compare, names: set[str]) -> Evaluator:
    left = _compile(node.left, names)
    steps = []
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        steps.append((_comparison(op, node), _compile(right_node, names)))

    def evaluate(answers: Mapping[str, Any]) -> Any:
        """A chain is the `and` of its links: one false link decides it."""
        current, verdict = left(answers), True
        for compare, right in steps:
            other = right(answers)
            if current is UNKNOWN or other is UNKNOWN:
                verdict = UNKNOWN
            elif not compare(current, other):
                return False
            current = other
        return verdict

    return evaluate


def _comparison(op: ast.cmpop, node: ast.AST) -> Callable[[Any, Any], bool]:
    if isinstance(op, ast.Eq):
        return _equal
    if isinstance(op, ast.NotEq):
        return lambda a, b: not _equal(a, b)
    if isinstance(op, ast.In):
        return _contains
    if isinstance(op, ast.NotIn):
        return lambda a, b: not _contains(a, b)
    ordering = _ORDERING.get(type(op))
    if ordering is None:
        raise _unsupported(node)
    return lambda a, b: _ordered(ordering, a, b)


def _equal(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _contains(item: Any, collection: Any) -> bool:
    if isinstance(collection, list):
        return any(_equal(item, member) for member in collection)
    if isinstance(collection, str) and isinstance(item, str):
        return item in collection
    return False


def _ordered(compare: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return compare(a, b)
    if isinstance(a, str) and isinstance(b, str):
        return compare(a, b)
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compile_name(node: ast.Name, names: set[str]) -> Evaluator:
    if node.id.lower() in _LITERAL_NAMES:
        constant = _LITERAL_NAMES[node.id.lower()]
        return lambda _answers: constant
    if node.id in ("True", "False", "None"):
        constant = {"True": True, "False": False, "None": None}[node.id]
        return lambda _answers: constant
    name = node.id
    names.add(name)
    return lambda answers: answers.get(name)


def _compile_constant(node: ast.Constant) -> Evaluator:
    value = node.value
    if value is None or isinstance(value, bool | int | float | str):
        return lambda _answers: value
    raise _unsupported(node)


def _unsupported(node: ast.AST) -> ExpressionError:
    column = getattr(node, "col_offset", None)
    try:
        fragment = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse of a parsed node does not fail
        fragment = type(node).__name__
    where = f" at column {column + 1}" if column is not None else ""
    return ExpressionError(f"{fragment!r}{where} is not allowed in a condition; {_HELP}", column)
