"""What the web chat's routes read from the app, beyond what every route does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from fastapi import Request

from bot.web.services import WebServices

if TYPE_CHECKING:
    from bot.channels.web.chat import WebChatService
    from bot.surveys.links import SurveyLinks


class WebChatServices(WebServices, Protocol):
    @property
    def web_chat(self) -> WebChatService: ...
    @property
    def links(self) -> SurveyLinks: ...


def chat_services_of(request: Request) -> WebChatServices:
    services: WebChatServices = request.app.state.services
    return services
