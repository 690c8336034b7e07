"""What one template may cost: bounded output, time and values, however it is written.

Templates are the shop's files, but a typo or a paste can still be a bomb: `'a' * 10**9`
builds a gigabyte in one step, `'x'|center(10**9)` as well, and two nested loops over
`range(100000)` run for hours. The sandbox already refuses unsafe attributes and ranges
over 100,000 items; `BoundedSandbox` adds:

- a size check *before* the operations that can build a huge value from a short
  expression (`*`, `**`, `+`, `%`, `~`, and widths or counts passed to filters and
  methods like `center`, `join`, `replace`, `format`), so the value is never built;
- a render budget: every loop step, call and checked operation looks at a deadline;
- a cap on the rendered output, checked chunk by chunk as it is produced.

A template over a limit fails with `RenderLimitExceeded`, which the texts module turns
into a `TemplateProblem` naming the template (so `surveybot flows check` reports it).
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from functools import update_wrapper
from os import PathLike
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, Template, nodes, pass_eval_context
from jinja2.environment import Environment
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import soft_str

MAX_OUTPUT_CHARS = 100_000  # a message is 4,096 characters at most on any channel we serve
MAX_VALUE_LENGTH = 100_000  # the longest string or list one expression may build
MAX_WIDTH = 10_000  # widths and counts given to center, indent, wordwrap, zfill, ...
MAX_INT_BITS = 4096  # integers beyond about 1,200 digits are not a shop's numbers
MAX_TEMPLATE_BYTES = 256 * 1024
DEFAULT_TIME_LIMIT = 1.0  # seconds; a real message renders in well under a millisecond

_CHECK_EVERY = 256  # loop steps between looks at the clock


class RenderLimitExceeded(Exception):
    """A template went over one of the limits above; the message says which."""


class _Budget:
    """CPU time of the rendering thread: a busy machine slows a render down but does not
    make an ordinary one fail (wall-clock time would)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.thread_time() + seconds

    def check(self) -> None:
        if time.thread_time() > self.deadline:
            raise RenderLimitExceeded(
                f"it takes longer than {self.seconds:g} s to render (a loop too long?)"
            )


_budget: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _charge() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.check()


def render_bounded(
    template: Template,
    context: Mapping[str, Any],
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    max_output: int = MAX_OUTPUT_CHARS,
) -> str:
    """Render `template` within the time and output limits."""
    token = _budget.set(_Budget(time_limit))
    try:
        size, chunks = 0, []
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > max_output:
                raise RenderLimitExceeded(
                    f"its output is over {max_output:,} characters; a message is far shorter"
                )
            chunks.append(chunk)
        return "".join(chunks)
    finally:
        _budget.reset(token)


# ---- values ----------------------------------------------------------------------------


def _length(value: Any) -> int | None:
    if isinstance(value, str | list | tuple):
        return len(value)
    return None


def _refuse_long(length: int, what: str) -> None:
    if length > MAX_VALUE_LENGTH:
        raise RenderLimitExceeded(
            f"{what} would build a value of {length:,} items; the limit is {MAX_VALUE_LENGTH:,}"
        )


def _check_value(value: Any, what: str) -> Any:
    length = _length(value)
    if length is not None:
        _refuse_long(length, what)
    elif isinstance(value, int) and not isinstance(value, bool):
        _check_int_bits(value.bit_length(), what)
    return value


def _check_int_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise RenderLimitExceeded(f"{what} would build a number of about {bits:,} bits")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_width(value: Any, what: str) -> None:
    if _is_int(value) and abs(value) > MAX_WIDTH:
        raise RenderLimitExceeded(f"{what} is given {value:,}; the limit is {MAX_WIDTH:,}")


def _precheck_binop(operator: str, left: Any, right: Any) -> None:
    what = f"the operator {operator!r}"
    if operator == "*":
        for sequence, count in ((left, right), (right, left)):
            length = _length(sequence)
            if length is not None and _is_int(count):
                _refuse_long(length * max(count, 0), what)
                return
        if _is_int(left) and _is_int(right):
            _check_int_bits(left.bit_length() + right.bit_length(), what)
    elif operator == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            _check_int_bits(abs(left).bit_length() * right, what)
    elif operator == "+":
        left_length, right_length = _length(left), _length(right)
        if left_length is not None and right_length is not None:
            _refuse_long(left_length + right_length, what)
    elif operator == "%" and isinstance(left, str):
        _check_printf(left, right)


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]?")


def _check_printf(pattern: str, arguments: Any) -> None:
    """`'%*d' % (10**9, 1)` and `'%999999999d' % 1` are widths, not text; and a pattern
    with many placeholders must not repeat a long argument into a huge result."""
    specs = _PRINTF_SPEC.findall(pattern)
    for width, precision in specs:
        for spec in (width, precision):
            if spec == "*":
                raise RenderLimitExceeded("a '*' width in a % format is not allowed")
            if spec:
                _check_width(int(spec), "a % format width")
    _refuse_long(len(pattern) + len(specs) * _longest(arguments), "a % format")


def _check_format_string(pattern: str, arguments: Any) -> None:
    """`'{:>999999999}'.format(1)`, nested `{:{w}}` widths, and `('{0}' * 30000).format(a)`."""
    try:
        fields = list(string.Formatter().parse(pattern))
    except ValueError:
        return  # str.format will raise its own clear error
    placeholders = 0
    for _literal, name, spec, _conversion in fields:
        if name is not None:
            placeholders += 1
        if not spec:
            continue
        if "{" in spec:
            raise RenderLimitExceeded("a nested {...} width in a format string is not allowed")
        for digits in re.findall(r"\d+", spec):
            _check_width(int(digits), "a format width")
    _refuse_long(len(pattern) + placeholders * _longest(arguments), "a format string")


def _longest(arguments: Any) -> int:
    """About the longest text one placeholder may print of `arguments`."""
    if isinstance(arguments, Mapping):
        arguments = list(arguments.values())
    if not isinstance(arguments, list | tuple):
        arguments = [arguments]
    return max((_printed_length(value) for value in arguments), default=0)


def _printed_length(value: Any, depth: int = 0) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple | set | frozenset | Mapping) and depth < 2:
        items = value.items() if isinstance(value, Mapping) else value
        return sum(_printed_length(item, depth + 1) + 2 for item in items) + 2
    if isinstance(value, list | tuple | set | frozenset | Mapping):
        return MAX_VALUE_LENGTH  # deeper than we look: assume the worst
    return 32  # a number, None, a date: short when printed


# ---- calls and filters -------------------------------------------------------------------

_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _precheck_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    method = getattr(method, "__wrapped__", method)  # the sandbox wraps str.format
    owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in _WIDTH_METHODS:
        for value in (*args, *kwargs.values()):
            _check_width(value, f"str.{name}")
    elif name == "join" and args:
        _precheck_join(owner, args[0])
    elif name == "replace" and len(args) >= 2:
        _precheck_replace(owner, args[0], args[1])
    elif name in ("format", "format_map"):
        _check_format_string(owner, [*args, *kwargs.values()])


def _precheck_join(separator: Any, items: Any) -> None:
    if not isinstance(items, list | tuple):
        return  # an iterator is consumed by the join itself; its items are bounded values
    total = sum(len(item) if isinstance(item, str) else 20 for item in items)
    total += len(str(separator)) * max(len(items) - 1, 0)
    _refuse_long(total, "join")


def _precheck_replace(text: str, old: Any, new: Any) -> None:
    if isinstance(old, str) and isinstance(new, str):
        count = text.count(old) if old else len(text) + 1
        _refuse_long(len(text) + count * max(len(new) - len(old), 0), "replace")


def _guard_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter, refusing huge widths first and huge results after."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        _charge()
        _precheck_filter(name, args, kwargs)
        return _check_value(function(*args, **kwargs), f"the filter {name!r}")

    return update_wrapper(guarded, function)  # keeps jinja's pass_context marks


_JINJA_STATE = (Context, Environment, EvalContext)  # what pass_context & co. put first
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "batch", "slice", "truncate"})


def _precheck_filter(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    values = [value for value in args if not isinstance(value, _JINJA_STATE)]
    if name in _WIDTH_FILTERS:
        for value in (*values[1:], *kwargs.values()):
            _check_width(value, f"the filter {name!r}")
    elif name == "join" and values:
        separator = values[1] if len(values) > 1 else kwargs.get("d", "")
        _precheck_join(separator, values[0])
    elif name == "replace" and len(values) >= 3 and isinstance(values[0], str):
        _precheck_replace(values[0], values[1], values[2])
    elif name == "format" and values and isinstance(values[0], str):
        _check_printf(values[0], [*values[1:], *kwargs.values()])


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """A loop's items, looking at the budget every few steps."""
    for step, item in enumerate(iterable):
        if step % _CHECK_EVERY == 0:
            _charge()
        yield item


@pass_eval_context
def _bounded_concat(eval_context: EvalContext, parts: list[Any]) -> str:
    """`a ~ b ~ c`, refused before joining when the parts are too long together."""
    _charge()
    texts = [soft_str(part) for part in parts]
    _refuse_long(sum(len(text) for text in texts), "the operator '~'")
    joined: str = markup_join(texts) if eval_context.autoescape else str_join(texts)
    _check_value(joined, "the operator '~'")  # escaping may have lengthened it
    return joined


class _BoundLoopsAndConcat(NodeTransformer):
    """Route every loop's items and every `~` through the checks above."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _COUNTED, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(parts, _BOUNDED_CONCAT, [], [], None, None, lineno=node.lineno)


_COUNTED, _BOUNDED_CONCAT = "surveybot counted", "surveybot bounded concat"


class BoundedSandbox(SandboxedEnvironment):
    """A sandbox whose templates cannot exhaust time or memory (see the module doc)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)  # lipsum(10**9) is a bomb, and shops have no use for it
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        # Names with a space cannot be written in a template, so they cannot be shadowed.
        self.filters[_COUNTED] = _counted
        self.filters[_BOUNDED_CONCAT] = _bounded_concat

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        bounded = _BoundLoopsAndConcat().visit(tree)
        assert isinstance(bounded, nodes.Template)
        return bounded

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _charge()
        _precheck_binop(operator, left, right)
        return _check_value(
            super().call_binop(context, operator, left, right), f"the operator {operator!r}"
        )

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _charge()
        _precheck_method(__obj, args, kwargs)
        return _check_value(
            super().call(__context, __obj, *args, **kwargs), "a call in the template"
        )


class BoundedFileLoader(FileSystemLoader):
    """Template files, refusing one over MAX_TEMPLATE_BYTES before reading it."""

    def __init__(self, searchpath: str | PathLike[str], max_bytes: int = MAX_TEMPLATE_BYTES):
        super().__init__(str(searchpath))
        self.max_bytes = max_bytes

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        for root in self.searchpath:
            path = Path(root, *template.split("/"))
            if path.is_file() and path.stat().st_size > self.max_bytes:
                raise RenderLimitExceeded(
                    f"the file is over {self.max_bytes // 1024} KiB; a message text is far shorter"
                )
        return super().get_source(environment, template)
