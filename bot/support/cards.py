"""What support staff see: the case card, reminders, escalations and the case list.

Rendered from templates/messages/<support locale>/support/*.j2, in the support team's
language and timezone (SURVEYBOT_SUPPORT_LOCALE / SURVEYBOT_SUPPORT_TIMEZONE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.durations import format_duration
from bot.flows.schema import ChoiceStep, Flow, ScaleStep, StepKind, TextStep
from bot.messaging.message import Choice, ChoiceAction, OutgoingMessage
from bot.messaging.texts import MessageTexts, pick_text
from bot.support.case_rules import CaseStatus, SlaState, sla_state
from bot.surveys.engine import Answer

COMMENT_LIMIT = 800  # a card quotes the customer's words, not an essay


@dataclass(frozen=True)
class SupportConfig:
    chat_id: int | None
    escalation_chat_id: int | None
    locale: str
    timezone: ZoneInfo
    show_staff_names: bool
    followup_flow: str | None
    followup_delay: timedelta
    staff_channel: str = "telegram"  # where the support group and the manager chat are


@dataclass(frozen=True)
class CaseView:
    """Everything a card shows, gathered from the case, its survey and its customer."""

    id: int
    severity: str
    status: str
    opened_at: datetime
    sla_due_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    customer_name: str | None
    customer_id: str | None
    order_id: str | None
    store: str | None
    scores: str
    reason: str | None
    comment: str | None


# One Telegram message holds about 40 lines of the list; the rest is on the dashboard.
CASES_LISTED = 30


class CaseCards:
    def __init__(self, texts: MessageTexts, config: SupportConfig) -> None:
        self.texts = texts
        self.config = config
        # (label phrase, action) of buttons other features put on open cases' cards
        self.extra_buttons: list[tuple[str, str]] = []

    def summarize(
        self, flow: Flow, answers: dict[str, Answer]
    ) -> tuple[str, str | None, str | None]:
        """(scores line, chosen reason, the customer's own words) from a survey's answers."""
        locale = flow.pick_locale(self.config.locale)
        scores, reason, comment = [], None, None
        for step in flow.steps:
            answer = answers.get(step.id)
            if answer is None or answer.value is None:
                continue
            if isinstance(step, ScaleStep):
                scores.append(f"{step.kind.value.upper()} {answer.value}/{step.scale[1]}")
            elif isinstance(step, ChoiceStep) and reason is None:
                option = next((o for o in step.options if o.id == answer.value), None)
                if option is not None:
                    reason = pick_text(option.label, locale, flow.default_locale).strip()
            elif isinstance(step, TextStep) and step.kind == StepKind.TEXT and comment is None:
                text = str(answer.value)
                comment = text if len(text) <= COMMENT_LIMIT else text[: COMMENT_LIMIT - 1] + "…"
        return " · ".join(scores), reason, comment

    def card(self, view: CaseView, now: datetime) -> OutgoingMessage:
        """The card: its text and the choices that fit its state."""
        buttons: list[Choice] = []
        if view.status == CaseStatus.OPEN:
            buttons.append(self._button("claim_label", "claim"))
        if view.status != CaseStatus.RESOLVED:
            buttons.append(self._button("resolve_label", "resolve"))
        rows = [tuple(buttons)] if buttons else []
        if view.status != CaseStatus.RESOLVED:
            rows += [(self._button(label, action),) for label, action in self.extra_buttons]
        return OutgoingMessage(self.render("card", view, now), tuple(rows), case_id=view.id)

    def render(self, template: str, view: CaseView, now: datetime, **extra: Any) -> str:
        return self.texts.render(
            f"support/{template}.j2", self.config.locale, {**self._context(view, now), **extra}
        )

    def cases_list(self, views: list[CaseView], now: datetime) -> str:
        rows = [
            {
                "id": v.id,
                "severity": v.severity,
                "customer": _short(v.customer_name or v.customer_id or "?"),
                "status_label": self.phrase("status_claimed", name=v.claimed_by)
                if v.status == CaseStatus.CLAIMED
                else self.phrase("status_open"),
                "sla_due": self.local_time(v.sla_due_at, now),
                "sla_label": self.sla_label(v, now),
            }
            for v in views[:CASES_LISTED]
        ]
        context = {"cases": rows, "more": max(0, len(views) - CASES_LISTED)}
        return self.texts.render("support/cases_list.j2", self.config.locale, context)

    def phrase(self, name: str, /, **context: Any) -> str:
        return self.texts.render(f"support/{name}.j2", self.config.locale, context)

    def local_time(self, moment: datetime | None, now: datetime) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(self.config.timezone)
        if local.date() == now.astimezone(self.config.timezone).date():
            return local.strftime("%H:%M")
        return local.strftime("%d/%m %H:%M")

    def sla_label(self, view: CaseView, now: datetime) -> str:
        state = sla_state(view.opened_at, view.sla_due_at, now, view.resolved_at)
        left = _rounded(view.sla_due_at - now)
        over = _rounded(now - view.sla_due_at)
        return self.phrase(f"sla_{state.value}", left=left, over=over)

    def is_breached(self, view: CaseView, now: datetime) -> bool:
        return sla_state(view.opened_at, view.sla_due_at, now, view.resolved_at) in (
            SlaState.BREACHED,
            SlaState.MISSED,
        )

    def _context(self, view: CaseView, now: datetime) -> dict[str, Any]:
        return {
            "case": {
                "id": view.id,
                "severity": view.severity,
                "status": view.status,
                "sla_due": self.local_time(view.sla_due_at, now),
                "sla_label": self.sla_label(view, now),
                "opened": self.local_time(view.opened_at, now),
                "claimed_by": view.claimed_by,
                "claimed_at": self.local_time(view.claimed_at, now),
                "resolved_by": view.resolved_by,
                "resolved_at": self.local_time(view.resolved_at, now),
            },
            "customer": {"name": view.customer_name, "id": view.customer_id},
            "order": {"id": view.order_id, "store": view.store},
            "scores": view.scores,
            "reason": view.reason,
            "comment": view.comment,
        }

    def _button(self, label: str, action: str) -> Choice:
        return Choice(self.phrase(label), ChoiceAction.CASE, action)


def _rounded(delta: timedelta) -> str:
    """A duration for people: minutes precision, never negative."""
    minutes = max(0, int(delta.total_seconds() // 60))
    return format_duration(timedelta(minutes=minutes)) if minutes else "<1m"


def _short(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
