"""What the HTTP app reads: the services behind its routes, as the composition root built
them (bot/app fills this with the running surveybot; nothing here imports bot.app).

Routes find it on `request.app.state.services` (`services_of`); a channel's routes declare
what more they read in their own folder, extending this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from fastapi import Request

if TYPE_CHECKING:
    from bot.campaigns.catalog import CampaignCatalog
    from bot.campaigns.vouchers import VoucherService
    from bot.clock import Clock
    from bot.config import Settings
    from bot.flows.catalog import FlowCatalog
    from bot.insight.reports import Insight
    from bot.messaging.texts import MessageTexts
    from bot.storage.database import Database
    from bot.support.cases import CaseService
    from bot.support.relay import CaseRelay
    from bot.surveys.ingest import IngestService


class WebServices(Protocol):
    """Read at request time, so a test that swaps the clock is seen by the next request."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def db(self) -> Database: ...
    @property
    def texts(self) -> MessageTexts: ...
    @property
    def catalog(self) -> FlowCatalog: ...
    @property
    def ingest(self) -> IngestService: ...
    @property
    def cases(self) -> CaseService: ...
    @property
    def relay(self) -> CaseRelay: ...
    @property
    def campaigns(self) -> CampaignCatalog: ...
    @property
    def vouchers(self) -> VoucherService: ...
    @property
    def insight(self) -> Insight: ...

    def channel_states(self) -> dict[str, str]:
        """Each channel and how it runs (`off`, `polling`, ...), for /healthz."""
        ...


def services_of(request: Request) -> WebServices:
    services: WebServices = request.app.state.services
    return services
