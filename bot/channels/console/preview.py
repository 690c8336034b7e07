"""`surveybot try FLOW`: take a flow in the terminal, with sample customer and order data.

Nothing is stored and nothing is sent: the same engine and texts as in Telegram, read from
standard input, so it also works with piped answers (handy in docs and tests).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.durations import format_duration
from bot.flows.sample_data import sample_context
from bot.flows.schema import EndStep, Flow, StepKind
from bot.messaging.message import ChoiceAction
from bot.messaging.presenter import Presenter
from bot.messaging.rich_text import to_plain_text
from bot.surveys import engine
from bot.surveys.engine import (
    Ask,
    Escalate,
    Finish,
    Record,
    Reward,
    SessionState,
    SessionStatus,
    SkipStep,
    Stopped,
    StopSurvey,
    Transition,
    Typed,
)

SKIP_WORDS = {"skip", "bỏ qua", "bo qua"}
STOP_WORDS = {"stop", "quit", "exit", "dừng", "dung"}


class ConsolePreview:
    def __init__(
        self,
        flow: Flow,
        presenter: Presenter,
        locale: str,
        read: Callable[[str], str],
        write: Callable[[str], None],
    ) -> None:
        self.flow = flow
        self.presenter = presenter
        self.locale = locale
        self.read = read
        self.write = write
        self.context = sample_context(locale)
        self._can_skip = False

    def run(self) -> SessionState:
        """Play the flow to its end (or until the input ends); returns the final state."""
        transition = engine.start(self.flow)
        while True:
            self._show(transition)
            state = transition.state
            if state.status != SessionStatus.ACTIVE:
                return state
            try:
                line = self.read("> ")
            except EOFError:
                self.write("\n(input ended: survey left unfinished)")
                return state
            transition = engine.handle(self.flow, state, self._input(line, state))

    def _input(self, line: str, state: SessionState) -> engine.Input:
        word = line.strip().casefold()
        if word in STOP_WORDS:
            return StopSurvey()
        if word in SKIP_WORDS and self._can_skip:
            return SkipStep(state.visit)
        return Typed(line)

    def _show(self, transition: Transition) -> None:
        self.context["answers"] = engine.answer_scope(self.flow, transition.state.answers)
        for action in transition.actions:
            if isinstance(action, Ask):
                self._ask(action)
            elif isinstance(action, Record):
                shown = "skipped" if action.answer.skipped else repr(action.answer.value)
                self.write(f"  ✓ {action.answer.step_id} = {shown}")
            elif isinstance(action, Finish):
                text = self.presenter.step_text(
                    self.flow, action.step_id, self.locale, self.context
                )
                self.write(f"\n{to_plain_text(text)}\n")
            elif isinstance(action, Escalate):
                self.write(
                    "→ a support case would open now "
                    f"(SLA {format_duration(action.escalation.sla)}): "
                    f"{action.escalation.when} holds"
                )
            elif isinstance(action, Reward):
                self.write(f"→ a voucher from campaign {action.campaign_id!r} would be issued")
            elif isinstance(action, Stopped):
                self.write(
                    to_plain_text(self.presenter.texts.phrase("survey_stopped", self.locale))
                )

    def _ask(self, action: Ask) -> None:
        step = self.flow.step(action.step_id)
        assert not isinstance(step, EndStep)
        text, rows = self.presenter.question(
            self.flow,
            step,
            self.locale,
            self.context,
            problem=action.problem,
            offer_skip=action.offer_skip,
        )
        self.write(f"\n{to_plain_text(text)}")
        self._can_skip = False
        numbered = step.kind == StepKind.CHOICE
        position = 0
        for row in rows:
            shown = []
            for button in row:
                if button.action == ChoiceAction.ANSWER and numbered:
                    position += 1
                    shown.append(f"{position}) {button.label}")
                elif button.action == ChoiceAction.SKIP:
                    self._can_skip = True
                    shown.append(f"[{button.label}: type skip]")
                elif button.action == ChoiceAction.STOP:
                    shown.append(f"[{button.label}: type stop]")
                else:
                    shown.append(f"[{button.label}]")
            self.write("  " + "   ".join(shown))
