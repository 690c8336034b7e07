"""Repositories sharing one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.repositories.answers import AnswerRepository
from bot.storage.repositories.cases import CaseRepository
from bot.storage.repositories.contacts import ContactRepository
from bot.storage.repositories.customers import CustomerRepository
from bot.storage.repositories.events import EventRepository
from bot.storage.repositories.flow_versions import FlowVersionRepository
from bot.storage.repositories.inbound import InboundRepository
from bot.storage.repositories.insight import InsightRepository
from bot.storage.repositories.limit_errors import LimitErrorRepository
from bot.storage.repositories.orders import OrderRepository
from bot.storage.repositories.outbox import OutboxRepository
from bot.storage.repositories.surveys import SurveyRepository
from bot.storage.repositories.timers import TimerRepository
from bot.storage.repositories.tokens import TokenRepository
from bot.storage.repositories.users import LoginThrottleRepository, UserRepository
from bot.storage.repositories.vouchers import VoucherRepository


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.customers = CustomerRepository(session)
        self.contacts = ContactRepository(session)
        self.orders = OrderRepository(session)
        self.surveys = SurveyRepository(session)
        self.answers = AnswerRepository(session)
        self.outbox = OutboxRepository(session)
        self.flow_versions = FlowVersionRepository(session)
        self.inbound = InboundRepository(session)
        self.tokens = TokenRepository(session)
        self.limit_errors = LimitErrorRepository(session)
        self.events = EventRepository(session)
        self.timers = TimerRepository(session)
        self.cases = CaseRepository(session)
        self.vouchers = VoucherRepository(session)
        self.insight = InsightRepository(session)
        self.users = UserRepository(session)
        self.login_throttles = LoginThrottleRepository(session)
