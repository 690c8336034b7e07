"""What a question looks like, whatever the channel: its text and its rows of buttons.

Channels draw these: Telegram as an inline keyboard, the terminal as numbered choices, the
web chat as form buttons. Texts are Telegram's HTML subset (see rich_text). `fit` then
makes a message fit one channel's capabilities (bot.messaging.fit), in the customer's
language; `narrowing` is the follow-up to a tapped band of scores.
"""

from __future__ import annotations

from typing import Any

from bot.flows.schema import ChoiceStep, Flow, QuestionStep, ScaleStep, StepKind, TextStep
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.fit import FitWording, fit
from bot.messaging.message import Choice, ChoiceAction, ChoiceRows, OutgoingMessage
from bot.messaging.texts import MessageTexts, pick_text
from bot.surveys.answers import Invalid
from bot.surveys.engine import Answer

# NPS 0-10 does not fit one row on a phone; it goes in two (0-5, 6-10).
_SPLIT_AFTER = {StepKind.NPS: 5}


class Presenter:
    """Renders questions, hints and closing texts of a flow in one locale."""

    def __init__(self, texts: MessageTexts) -> None:
        self.texts = texts

    def step_text(self, flow: Flow, step_id: str, locale: str, context: dict[str, Any]) -> str:
        step = flow.step(step_id)
        return self.texts.render(step.text, locale, context, default_locale=flow.default_locale)

    def question(
        self,
        flow: Flow,
        step: QuestionStep,
        locale: str,
        context: dict[str, Any],
        *,
        problem: Invalid | None = None,
        offer_skip: bool = False,
        intro: str | None = None,
    ) -> tuple[str, tuple[tuple[Choice, ...], ...]]:
        """The text (a hint or an intro first) and the button rows of a question."""
        text = self.step_text(flow, step.id, locale, context)
        if intro:
            text = f"{intro}\n\n{text}"
        if problem is not None:
            hint = self.hint(problem, locale)
            extra = self.texts.phrase("offer_skip", locale) if offer_skip else ""
            text = "\n\n".join(part for part in (hint, extra, text) if part)
        rows = list(self.answer_buttons(flow, step, locale))
        can_skip = isinstance(step, TextStep) and step.optional
        if offer_skip:
            rows.append((self._skip(locale), self._stop(locale)))
        elif can_skip:
            rows.append((self._skip(locale),))
        return text, tuple(rows)

    def answer_buttons(
        self, flow: Flow, step: QuestionStep, locale: str
    ) -> tuple[tuple[Choice, ...], ...]:
        if isinstance(step, ScaleStep):
            low, high = step.scale
            numbers = [Choice(str(n), ChoiceAction.ANSWER, str(n)) for n in range(low, high + 1)]
            split = _SPLIT_AFTER.get(step.kind)
            if split is None:
                return (tuple(numbers),)
            return tuple(numbers[: split + 1]), tuple(numbers[split + 1 :])
        if isinstance(step, ChoiceStep):
            buttons = [
                Choice(
                    self.option_label(flow, step, option.id, locale), ChoiceAction.ANSWER, option.id
                )
                for option in step.options
            ]
            size = step.columns
            return tuple(tuple(buttons[i : i + size]) for i in range(0, len(buttons), size))
        return ()

    def narrowing(
        self, flow: Flow, step: QuestionStep, locale: str, low: int, high: int
    ) -> tuple[str, ChoiceRows] | None:
        """A tapped band's follow-up: which score exactly, with the question's own buttons
        for the scores from `low` to `high` (None when the question has none of them)."""
        inside = tuple(
            choice
            for row in self.answer_buttons(flow, step, locale)
            for choice in row
            if choice.value.isdecimal() and low <= int(choice.value) <= high
        )
        if not inside:
            return None
        text = self.texts.phrase("narrow_prompt", locale, low=low, high=high)
        return text, (inside,)

    def fit(
        self, message: OutgoingMessage, capabilities: ChannelCapabilities, locale: str
    ) -> tuple[OutgoingMessage, ...]:
        """`message` as the channel can show it (several messages if its text is long)."""
        return fit(message, capabilities, self.wording(locale))

    def wording(self, locale: str) -> FitWording:
        phrase = self.texts.phrase
        return FitWording(
            bands=lambda low, high: phrase("bands_hint", locale, low=low, high=high),
            type_number=lambda low, high: phrase("type_a_number", locale, low=low, high=high),
            type_option=lambda count: phrase("type_option_number", locale, high=count),
        )

    def option_label(self, flow: Flow, step: ChoiceStep, option_id: str, locale: str) -> str:
        option = next(o for o in step.options if o.id == option_id)
        return pick_text(option.label, locale, flow.default_locale).strip()

    def hint(self, problem: Invalid, locale: str) -> str:
        return self.texts.phrase(
            f"hint_{problem.problem.value}",
            locale,
            low=problem.low,
            high=problem.high,
            limit=problem.limit,
        )

    def answered(self, flow: Flow, question_text: str, answer: Answer, locale: str) -> str:
        """The question as it should look once answered: buttons gone, the answer shown."""
        if answer.value is None:
            shown = self.texts.phrase("skipped", locale)
        else:
            step = flow.step(answer.step_id)
            if isinstance(step, ChoiceStep):
                label = self.option_label(flow, step, str(answer.value), locale)
                shown = self.texts.phrase("chosen", locale, answer=label)
            elif isinstance(step, TextStep):
                return question_text
            else:
                shown = self.texts.phrase("chosen", locale, answer=answer.value)
        return f"{question_text}\n\n{shown}"

    def _skip(self, locale: str) -> Choice:
        return Choice(self.texts.phrase("skip_label", locale), ChoiceAction.SKIP)

    def _stop(self, locale: str) -> Choice:
        return Choice(self.texts.phrase("stop_label", locale), ChoiceAction.STOP)
