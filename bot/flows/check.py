"""What the schema cannot see: the shape of the conversation and its texts.

Checks, each reported with file, line and a fix: duplicate step ids, `goto` to a missing
step, unknown names in conditions, a question with no way forward, unreachable steps, loops
with no way out, an `escalate.idle` the survey's `expire` always beats, texts missing for
a locale, templates that do not exist or fail to render with sample data, and markup
outside Telegram's HTML subset (the format of every text).
Given the capabilities of the channels in use, texts and button labels longer than a
channel allows are reported too, naming each such channel (the caller chooses the
channels: bot/flows knows none).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import Any

from bot.durations import format_duration
from bot.errors import TemplateProblem
from bot.flows.channel_limits import label_too_long, text_too_long
from bot.flows.loader import LoadedFlow
from bot.flows.sample_data import sample_answers, sample_context
from bot.flows.schema import ChoiceStep, EndStep, Flow, Step
from bot.flows.schema_errors import FileProblem
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.rich_text import html_problems, to_plain_text
from bot.messaging.texts import PHRASES, MessageTexts, is_template_name, pick_text
from bot.surveys.engine import answer_scope


def check_flow(
    loaded: LoadedFlow,
    texts: MessageTexts | None,
    channels: Sequence[ChannelCapabilities] = (),
) -> list[FileProblem]:
    """Every problem in one schema-valid flow (texts are checked when `texts` is given,
    against the limits of each of `channels`)."""
    problems = list(_duplicate_ids(loaded))
    if problems:
        return problems  # the graph is ambiguous until ids are unique
    problems += _rule_order_problems(loaded)
    problems += _option_problems(loaded)
    problems += _graph_problems(loaded)
    problems += _condition_problems(loaded)
    problems += _idle_problems(loaded)
    if texts is not None:
        problems += _text_problems(loaded, texts, channels)
    return problems


def _duplicate_ids(loaded: LoadedFlow) -> Iterator[FileProblem]:
    first_seen: dict[str, int] = {}
    for index, step in enumerate(loaded.flow.steps):
        if step.id in first_seen:
            line, _ = loaded.document.position(("steps", first_seen[step.id]))
            yield loaded.problem(
                ("steps", index, "id"),
                f"step id {step.id!r} is used twice (first on line {line})",
                "give every step its own id",
            )
        else:
            first_seen[step.id] = index


def _rule_order_problems(loaded: LoadedFlow) -> Iterator[FileProblem]:
    for index, step in enumerate(loaded.flow.steps):
        rules = [] if isinstance(step, EndStep) else step.next
        for rule_index, rule in enumerate(rules[:-1]):
            if rule.when is None:
                yield loaded.problem(
                    ("steps", index, "next", rule_index),
                    f"rule {rule_index + 1} of step {step.id!r} has no `when`, so the rules "
                    "after it can never match",
                    "move the rule without `when` to the end",
                )


def _option_problems(loaded: LoadedFlow) -> Iterator[FileProblem]:
    for index, step in enumerate(loaded.flow.steps):
        if not isinstance(step, ChoiceStep):
            continue
        seen: set[str] = set()
        for option_index, option in enumerate(step.options):
            if option.id in seen:
                yield loaded.problem(
                    ("steps", index, "options", option_index, "id"),
                    f"option id {option.id!r} is used twice in step {step.id!r}",
                    "give each option a unique id",
                )
            seen.add(option.id)


def _graph_problems(loaded: LoadedFlow) -> list[FileProblem]:
    flow = loaded.flow
    problems: list[FileProblem] = []
    ids = list(flow.by_id)
    for index, step in enumerate(flow.steps):
        if isinstance(step, EndStep):
            continue
        for rule_index, rule in enumerate(step.next):
            if rule.goto not in flow.by_id:
                close = difflib.get_close_matches(rule.goto, ids, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(
                    loaded.problem(
                        ("steps", index, "next", rule_index, "goto"),
                        f"goto {rule.goto!r} in step {step.id!r} names no step",
                        f"{hint}steps are: {', '.join(ids)}",
                    )
                )
        falls_off = not step.next or step.next[-1].when is not None
        if falls_off and flow.fallthrough(step.id) is None:
            problems.append(
                loaded.problem(
                    ("steps", index),
                    f"step {step.id!r} is last but is not an end step, so the survey has nowhere "
                    "to go after it",
                    "add an end step below it, or a final rule without `when`",
                )
            )
    if not any(isinstance(step, EndStep) for step in flow.steps):
        problems.append(
            loaded.problem(
                ("steps",),
                "the flow has no end step",
                "add a step with `kind: end` to thank people",
            )
        )
        return problems
    reachable = flow.reachable_from(flow.first_step.id)
    for index, step in enumerate(flow.steps):
        if step.id not in reachable:
            problems.append(
                loaded.problem(
                    ("steps", index),
                    f"step {step.id!r} can never be reached",
                    "point a `goto` at it, or delete it",
                )
            )
    problems += _dead_ends(loaded, reachable)
    return problems


def _dead_ends(loaded: LoadedFlow, reachable: set[str]) -> list[FileProblem]:
    """Reachable steps from which no end step can be reached: a loop with no exit."""
    flow = loaded.flow
    can_finish = {step.id for step in flow.steps if isinstance(step, EndStep)}
    changed = True
    while changed:
        changed = False
        for step in flow.steps:
            if step.id not in can_finish and any(t in can_finish for t in flow.successors(step.id)):
                can_finish.add(step.id)
                changed = True
    trapped = [step.id for step in flow.steps if step.id in reachable - can_finish]
    loop = _find_loop(flow, trapped[0], set(trapped)) if trapped else None
    if loop is None:
        return []  # a dead end without a loop is a broken goto, reported on its own
    return [
        loaded.problem(
            ("steps", flow.index_of(loop[0])),
            f"steps {' -> '.join(loop)} form a loop with no way to an end step",
            f"add a rule in one of them (e.g. {loop[0]!r}) that leads out of the loop, "
            "or make its last rule conditional so the survey can move on",
        )
    ]


def _find_loop(flow: Flow, start: str, trapped: set[str]) -> list[str] | None:
    path = [start]
    while True:
        following = next((t for t in flow.successors(path[-1]) if t in trapped), None)
        if following is None:
            return None
        if following in path:
            return [*path[path.index(following) :], following]
        path.append(following)


def _condition_problems(loaded: LoadedFlow) -> list[FileProblem]:
    flow = loaded.flow
    known = sorted(flow.answer_names())
    problems = []
    for index, step in enumerate(flow.steps):
        for path, condition in _conditions(step, index):
            for name in sorted(condition.names - set(known)):
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(
                    loaded.problem(
                        path,
                        f"condition {condition.source!r} in step {step.id!r} uses {name!r}, which "
                        "is not an answer in this flow",
                        f"{hint}answers are: {', '.join(known)}",
                    )
                )
    return problems


def _idle_problems(loaded: LoadedFlow) -> list[FileProblem]:
    """An `escalate.idle` the survey's own `expire` always beats would never open a case:
    the last answer comes after the survey was sent, so it closes first. Only an `idle`
    the author wrote: a flow with a short `expire` written before the key existed stays
    valid (its default simply never comes to pass)."""
    flow = loaded.flow
    expire = flow.trigger.expire if flow.trigger is not None else None
    if expire is None:
        return []
    return [
        loaded.problem(
            ("steps", index, "escalate", "idle"),
            f"escalate.idle ({format_duration(step.escalate.idle)}) in step {step.id!r} is "
            f"not shorter than trigger.expire ({format_duration(expire)}), so a survey always "
            "closes before a customer who stopped part-way gets their case",
            "shorten idle, lengthen expire, or write `idle: null` to open cases only at the "
            "end step",
        )
        for index, step in enumerate(flow.steps)
        if isinstance(step, EndStep)
        and step.escalate is not None
        and "idle" in step.escalate.model_fields_set
        and step.escalate.idle is not None
        and step.escalate.idle >= expire
    ]


def _conditions(step: Step, index: int) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(step, EndStep):
        if step.escalate is not None:
            yield ("steps", index, "escalate", "when"), step.escalate.when
        return
    for rule_index, rule in enumerate(step.next):
        if rule.when is not None:
            yield ("steps", index, "next", rule_index, "when"), rule.when


def _text_problems(
    loaded: LoadedFlow, texts: MessageTexts, channels: Sequence[ChannelCapabilities]
) -> list[FileProblem]:
    """Every text in every locale, rendered twice: with every answer given, and with none
    given and no order (a walk-in customer who skipped every question)."""
    flow = loaded.flow
    problems: list[FileProblem] = []
    for locale in flow.locales:
        full = sample_context(locale)
        full["answers"] = answer_scope(flow, sample_answers(flow))
        bare = sample_context(locale)
        bare["answers"] = answer_scope(flow, {})
        bare["order"] = {key: None for key in full["order"]} | {"items": []}
        for index, step in enumerate(flow.steps):
            found = _step_text_problems(loaded, texts, index, step, locale, full, channels)
            if not found:
                found = _step_text_problems(loaded, texts, index, step, locale, bare, channels)
            problems += found
            if isinstance(step, ChoiceStep):
                problems += _label_problems(loaded, index, step, locale, channels)
        problems += _phrase_problems(loaded, texts, locale)
    return problems


def _phrase_problems(loaded: LoadedFlow, texts: MessageTexts, locale: str) -> list[FileProblem]:
    """The bot's own phrases must exist (in this locale or English) and render."""
    problems = []
    for name, sample in PHRASES.items():
        try:
            texts.phrase(name, locale, **sample)
        except TemplateProblem as exc:
            problems.append(
                loaded.problem(
                    ("locales",),
                    f"the bot's phrase {name!r} for {locale!r}: {exc}",
                    f"add or fix templates/messages/{locale}/bot/{name}.j2",
                )
            )
    return problems


def _step_text_problems(
    loaded: LoadedFlow,
    texts: MessageTexts,
    index: int,
    step: Step,
    locale: str,
    context: dict[str, Any],
    channels: Sequence[ChannelCapabilities],
) -> list[FileProblem]:
    path: tuple[str | int, ...] = ("steps", index, "text")
    spec = step.text
    if isinstance(spec, dict):
        if locale not in spec:
            return [
                loaded.problem(
                    path,
                    f"step {step.id!r} has no text for locale {locale!r}",
                    f"add `{locale}: ...` under text, or remove {locale!r} from locales",
                )
            ]
        path = (*path, locale)
    source = pick_text(spec, locale, loaded.flow.default_locale)
    if is_template_name(source) and not texts.has_template(source, locale):
        return [
            loaded.problem(
                path,
                f"template {source!r} does not exist for locale {locale!r}",
                f"create {texts.template_path(source, locale)}",
            )
        ]
    try:
        rendered = texts.render(
            spec,
            locale,
            {**context, "locale": locale},
            default_locale=loaded.flow.default_locale,
            strict=True,
        )
    except TemplateProblem as exc:
        return [
            loaded.problem(
                path,
                f"text of step {step.id!r} ({locale}) fails with sample data: {exc}",
                "use only customer, order and answers (see docs/flows.md for their fields)",
            )
        ]
    return _rendered_problems(loaded, path, step.id, locale, rendered, channels)


def _rendered_problems(
    loaded: LoadedFlow,
    path: tuple[str | int, ...],
    step_id: str,
    locale: str,
    rendered: str,
    channels: Sequence[ChannelCapabilities],
) -> list[FileProblem]:
    problems = [
        loaded.problem(
            path,
            f"text of step {step_id!r} ({locale}): {problem}",
            "Telegram accepts only b, i, u, s, a, code, pre, blockquote markup",
        )
        for problem in html_problems(rendered)
    ]
    if not to_plain_text(rendered).strip():
        problems.append(
            loaded.problem(
                path,
                f"text of step {step_id!r} ({locale}) is empty",
                "write the question or message",
            )
        )
    too_long = text_too_long(step_id, locale, rendered, channels)
    if too_long is not None:
        problems.append(loaded.problem(path, *too_long))
    return problems


def _label_problems(
    loaded: LoadedFlow,
    index: int,
    step: ChoiceStep,
    locale: str,
    channels: Sequence[ChannelCapabilities],
) -> list[FileProblem]:
    problems = []
    for option_index, option in enumerate(step.options):
        path: tuple[str | int, ...] = ("steps", index, "options", option_index, "label")
        if isinstance(option.label, dict) and locale not in option.label:
            problems.append(
                loaded.problem(
                    path,
                    f"option {option.id!r} in step {step.id!r} has no label for {locale!r}",
                    f"add `{locale}: ...` to its label",
                )
            )
            continue
        label = pick_text(option.label, locale, loaded.flow.default_locale).strip()
        if not label:
            problems.append(
                loaded.problem(
                    path, f"option {option.id!r} has an empty label", "write a short label"
                )
            )
        elif too_long := label_too_long(option.id, locale, label, channels):
            problems.append(loaded.problem(path, *too_long))
    return problems
