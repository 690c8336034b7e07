"""Message texts: Jinja2 templates rendered in a sandbox, per locale.

A flow step's `text` is either a template file name (`post_purchase/csat.j2`, looked up under
templates/messages/<locale>/) or inline Jinja2, optionally per locale. The bot's own
phrases (help, opt-out confirmation, hints) are files under templates/messages/<locale>/bot/
so a shop can reword them. Variables are HTML-escaped (autoescape): a customer called
`<Lan>` cannot break Telegram's HTML parse mode. Rendering is bounded in time, output and
the size of the values a template builds (bot.messaging.template_limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChainableUndefined,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    Undefined,
)

from bot.errors import TemplateProblem
from bot.flows.schema import TEMPLATE_SUFFIX, LocalizedText
from bot.messaging.template_limits import (
    DEFAULT_TIME_LIMIT,
    BoundedFileLoader,
    BoundedSandbox,
    RenderLimitExceeded,
    render_bounded,
)

FALLBACK_LOCALE = "en"

# The bot's own phrases (templates/messages/<locale>/bot/<name>.j2) and what they may use.
PHRASES: dict[str, dict[str, object]] = {
    "help": {},
    "opted_out": {},
    "opted_in": {},
    "survey_stopped": {},
    "no_survey": {},
    "no_default_flow": {},
    "unknown_link": {},
    "already_done": {},
    "survey_closed": {},
    "stale_button": {},
    "try_again": {},
    "reminder": {},
    "hint_not_a_number": {"low": 1, "high": 5},
    "hint_out_of_range": {"low": 1, "high": 5},
    "hint_unknown_option": {"low": 1, "high": 4},
    "hint_empty": {},
    "hint_too_long": {"limit": 1000},
    "bands_hint": {"low": 0, "high": 10},
    "narrow_prompt": {"low": 7, "high": 8},
    "type_a_number": {"low": 0, "high": 10},
    "type_option_number": {"high": 6},
    "offer_skip": {},
    "skip_label": {},
    "stop_label": {},
    "chosen": {"answer": "Giao hàng trễ"},
    "skipped": {},
    "escalation_reply": {},
    "staff_reply": {"name": "Cửa hàng", "text": "Chào bạn"},
    "shop_name": {},
    "reward_exhausted": {},
    "command_start": {},
    "command_help": {},
    "command_stop": {},
}


def is_template_name(value: str) -> bool:
    """`post_purchase/csat.j2` names a file; anything else is inline template text."""
    stripped = value.strip()
    return stripped.endswith(TEMPLATE_SUFFIX) and not any(c.isspace() for c in stripped)


def pick_text(spec: LocalizedText, locale: str, default_locale: str) -> str:
    """The text (file name or inline) for `locale`, falling back to the flow's default."""
    if isinstance(spec, str):
        return spec
    if locale in spec:
        return spec[locale]
    if default_locale in spec:
        return spec[default_locale]
    return next(iter(spec.values()))


class MessageTexts:
    """Renders flow texts and the bot's own phrases from one templates directory."""

    def __init__(self, templates_dir: Path, *, time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        self.messages_dir = Path(templates_dir) / "messages"
        self.time_limit = time_limit
        self._lenient = self._environment(ChainableUndefined)
        self._strict = self._environment(StrictUndefined)

    def _environment(self, undefined: type[Undefined]) -> BoundedSandbox:
        return BoundedSandbox(
            loader=BoundedFileLoader(self.messages_dir),
            autoescape=True,
            undefined=undefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )

    def render(
        self,
        spec: LocalizedText,
        locale: str,
        context: Mapping[str, Any],
        *,
        default_locale: str = FALLBACK_LOCALE,
        strict: bool = False,
    ) -> str:
        """Render a step text. `strict` turns unknown variables into errors (flow checks)."""
        source = pick_text(spec, locale, default_locale)
        template = self._template(source, locale, strict)
        try:
            return render_bounded(template, context, time_limit=self.time_limit).strip()
        except Exception as exc:  # a template can fail in any way (None >= 9, 1/0...)
            raise TemplateProblem(
                f"{_describe(source, locale)} fails to render: {type(exc).__name__}: {exc}"
            ) from None

    def template_path(self, name: str, locale: str) -> Path:
        return self.messages_dir / locale / name.strip()

    def has_template(self, name: str, locale: str) -> bool:
        return self.template_path(name, locale).is_file()

    def phrase(self, name: str, locale: str, /, **context: Any) -> str:
        """One of the bot's own phrases (`bot/<name>.j2`), in `locale` or else English."""
        for candidate in (locale, FALLBACK_LOCALE):
            if self.has_template(f"bot/{name}.j2", candidate):
                return self.render(f"bot/{name}.j2", candidate, context)
        raise TemplateProblem(
            f"the phrase {name!r} is missing: add "
            f"templates/messages/{FALLBACK_LOCALE}/bot/{name}.j2"
        )

    def _template(self, source: str, locale: str, strict: bool) -> Template:
        environment = self._strict if strict else self._lenient
        if is_template_name(source):
            try:
                return environment.get_template(f"{locale}/{source.strip()}")
            except TemplateNotFound:
                raise TemplateProblem(
                    f"template {source.strip()!r} does not exist for locale {locale!r}: "
                    f"create {self.template_path(source, locale)}"
                ) from None
            except TemplateError as exc:
                raise TemplateProblem(f"{_describe(source, locale)} is broken: {exc}") from None
            except RenderLimitExceeded as exc:
                raise TemplateProblem(f"{_describe(source, locale)} is refused: {exc}") from None
        return _inline(environment, source)


@lru_cache(maxsize=1024)
def _inline(environment: BoundedSandbox, source: str) -> Template:
    try:
        return environment.from_string(source)
    except TemplateError as exc:
        raise TemplateProblem(f"the inline text {source[:40]!r}... is broken: {exc}") from None


def _describe(source: str, locale: str) -> str:
    if is_template_name(source):
        return f"template {locale}/{source.strip()}"
    return f"the inline text {source[:40]!r}"
