"""How a customer reaches a survey: a link that opens it in their app (Telegram's deep
link), a web link, a QR code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.storage.models import Survey
from bot.surveys.engine import SessionStatus


class SurveyLinks:
    def __init__(
        self, base_url: str, start_links: Mapping[str, Callable[[str], str | None]]
    ) -> None:
        """`start_links`: per connected channel, the link that opens a survey in its app
        (None until the channel knows it, as Telegram's bot name after start-up)."""
        self.base_url = base_url.rstrip("/")
        self._start_links = dict(start_links)

    def in_app(self, channel: str, token: str) -> str | None:
        link = self._start_links.get(channel)
        return link(token) if link else None

    def telegram(self, token: str) -> str | None:
        return self.in_app("telegram", token)

    def web(self, token: str) -> str:
        return f"{self.base_url}/s/{token}"

    def qr_code(self, token: str) -> str:
        return f"{self.base_url}/qr/{token}.png"

    def preferred(self, token: str) -> str:
        """What a printed QR code should open: Telegram when the bot is on, else the
        shop's Messenger Page, else the web."""
        return self.telegram(token) or self.in_app("messenger", token) or self.web(token)

    def describe(self, survey: Survey) -> dict[str, Any]:
        """A survey as the ingest API reports it."""
        return {
            "id": survey.id,
            "flow": survey.flow_id,
            "status": public_status(survey),
            "skip_reason": survey.skip_reason,
            "scheduled_for": survey.scheduled_for.isoformat() if survey.scheduled_for else None,
            "telegram_link": self.telegram(survey.token),
            "messenger_link": self.in_app("messenger", survey.token),
            "web_link": self.web(survey.token),
            "qr_code": self.qr_code(survey.token),
        }


def public_status(survey: Survey) -> str:
    """`scheduled` (we will send it), `awaiting_customer` (link/QR only), or the status."""
    if survey.status == SessionStatus.PENDING:
        return "scheduled" if survey.channel else "awaiting_customer"
    return survey.status
