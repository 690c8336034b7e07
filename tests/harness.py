"""A running surveybot without Telegram: real services, real database, recording channel."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app.runtime import channel_directory
from bot.campaigns.catalog import CampaignCatalog, load_campaigns
from bot.campaigns.compensation import Compensation
from bot.campaigns.draws import DrawService
from bot.campaigns.vouchers import VoucherService
from bot.channels.telegram.capabilities import TELEGRAM
from bot.channels.web.chat import WebChatService
from bot.clock import ManualClock
from bot.config import Settings
from bot.flows.catalog import FlowCatalog, load_catalog
from bot.flows.registry import FlowRegistry
from bot.messaging.channel import Delivery, OutboundChannel
from bot.messaging.dispatcher import OutboxDispatcher
from bot.messaging.fallback import DeliveryFallback
from bot.messaging.message import OutgoingMessage
from bot.messaging.outbox_writer import ChannelDirectory, OutboxWriter
from bot.messaging.presenter import Presenter
from bot.messaging.rate_limit import RateLimiter, RateLimits
from bot.messaging.texts import MessageTexts
from bot.storage.database import Database
from bot.storage.repositories.timers import TimerKind
from bot.support.cards import CaseCards, SupportConfig
from bot.support.cases import CaseService
from bot.support.relay import CaseRelay
from bot.support.sla import CaseSlaWatch
from bot.surveys.conversation import Contact, ConversationService
from bot.surveys.events import PurchaseEvent
from bot.surveys.ingest import IngestResult, IngestService
from bot.surveys.links import SurveyLinks
from bot.surveys.runner import SurveyRunner
from bot.surveys.timers import SurveyTimers

ROOT = Path(__file__).resolve().parents[1]
SUPPORT_CHAT = -100
MANAGERS_CHAT = -200
UNLIMITED = RateLimits(global_count=10_000, chat_window=0.0001, group_count=10_000)


@dataclass
class ChatMessage:
    message_id: int
    text: str
    payload: dict[str, Any]

    @property
    def buttons(self) -> list[tuple[str, str, str]]:
        return [
            (b["label"], b["action"], b.get("value", ""))
            for row in self.payload.get("buttons", [])
            for b in row
        ]


class RecordingChannel:
    """Delivers into per-chat lists (edits applied), or raises queued failures."""

    name = "telegram"
    capabilities = TELEGRAM

    def __init__(self) -> None:
        self.chats: dict[int, list[ChatMessage]] = {}
        self.log: list[Delivery] = []
        self.failures: deque[Exception] = deque()
        self._next_id = 100

    def is_group(self, address: str) -> bool:
        return address.startswith("-")

    async def deliver(self, delivery: Delivery) -> str | None:
        if self.failures:
            raise self.failures.popleft()
        self.log.append(delivery)
        chat = self.chats.setdefault(int(delivery.address), [])
        if delivery.kind == "edit":
            target = next(m for m in chat if str(m.message_id) == delivery.edit_message_id)
            target.text = delivery.payload["text"]
            target.payload = delivery.payload
            return str(target.message_id)
        self._next_id += 1
        chat.append(ChatMessage(self._next_id, delivery.payload["text"], delivery.payload))
        return str(self._next_id)


@dataclass
class World:
    db: Database
    clock: ManualClock
    catalog: FlowCatalog
    conversation: ConversationService
    dispatcher: OutboxDispatcher
    channel: RecordingChannel
    ingest: IngestService
    timers: SurveyTimers
    cases: CaseService
    relay: CaseRelay
    sla: CaseSlaWatch
    campaigns: CampaignCatalog
    vouchers: VoucherService
    draws: DrawService
    web: WebChatService
    contacts: dict[int, Contact] = field(default_factory=dict)

    async def tick(self) -> int:
        """What the scheduler does every second: fire due timers, deliver."""
        fired = await self.timers.run_due()
        await self.deliver()
        return fired

    async def event(self, **overrides: Any) -> IngestResult:
        return await self.ingest.ingest(purchase_event(**overrides))

    async def deliver(self) -> None:
        """Deliver everything that is due now."""
        while await self.dispatcher.drain():
            pass

    def contact(self, chat_id: int, language: str | None = "vi") -> Contact:
        return self.contacts.setdefault(
            chat_id, Contact("telegram", str(chat_id), language=language, name="Lan")
        )

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.channel.chats.get(chat_id, [])]

    def last(self, chat_id: int) -> ChatMessage:
        return self.channel.chats[chat_id][-1]

    def question(self, chat_id: int) -> OutgoingMessage:
        """The newest message that still has buttons."""
        for message in reversed(self.channel.chats[chat_id]):
            if message.buttons:
                return OutgoingMessage.from_payload(message.payload)
        raise AssertionError(f"no question with buttons in chat {chat_id}: {self.texts(chat_id)}")

    async def tap(self, chat_id: int, label: str) -> str:
        """Press the button labelled `label` on the newest question."""
        question = self.question(chat_id)
        for row in question.choices:
            for button in row:
                if button.label == label:
                    assert question.survey_id is not None and question.visit is not None
                    contact = self.contact(chat_id)
                    if button.action.value == "skip":
                        toast = await self.conversation.skip(
                            contact, question.survey_id, question.visit
                        )
                    elif button.action.value == "stop":
                        toast = await self.conversation.stop_survey(contact, question.survey_id)
                    else:
                        toast = await self.conversation.press(
                            contact, question.survey_id, question.visit, button.value
                        )
                    await self.deliver()
                    return toast
        raise AssertionError(f"no button {label!r} on {question.text!r}")

    async def say(self, chat_id: int, text: str) -> None:
        await self.conversation.typed(self.contact(chat_id), text)
        await self.deliver()

    async def web_tap(self, token: str, label: str) -> None:
        """Tap the answer labelled `label` on the survey's web page."""
        page = await self.web.open(token, ["en"])
        for row in page.choices:
            for choice in row:
                if choice.label == label and page.visit is not None:
                    await self.web.answer(token, page.visit, choice.value)
                    await self.deliver()
                    return
        raise AssertionError(f"no button {label!r} on the web page: {page.bubbles[-1:]}")

    async def web_say(self, token: str, text: str) -> None:
        page = await self.web.open(token, ["en"])
        assert page.wants_text and page.visit is not None, page
        await self.web.typed(token, page.visit, text)
        await self.deliver()


def limiter_time(clock: ManualClock) -> Callable[[], float]:
    """Real time that also jumps when the test advances its clock (a 429's pause ends when
    the test moves time on; tiny spacings pass on their own)."""
    return lambda: clock.now().timestamp() + time.monotonic()


def build_world(
    db: Database,
    clock: ManualClock | None = None,
    flows_dir: Path = ROOT / "flows",
    channel: RecordingChannel | None = None,
    campaigns_dir: Path = ROOT / "campaigns",
    extra_channels: dict[str, OutboundChannel] | None = None,
) -> World:
    """`extra_channels`: push channels besides the recording Telegram one (always reachable
    addresses, after Telegram in the channel order)."""
    clock = clock or ManualClock()
    texts = MessageTexts(ROOT / "templates")
    catalog = load_catalog(flows_dir, texts)
    campaigns = load_campaigns(campaigns_dir, texts, catalog)
    extra = dict(extra_channels or {})
    directory = channel_directory(Settings(_env_file=None))
    directory = ChannelDirectory(
        reach={**directory.reach, **{name: c.capabilities for name, c in extra.items()}},
        order=(*directory.order, *extra),
    )
    presenter = Presenter(texts)
    writer = OutboxWriter(clock, directory, presenter)
    runner = SurveyRunner(FlowRegistry(catalog), presenter, clock, writer)
    channel = channel or RecordingChannel()
    dispatcher = OutboxDispatcher(
        db,
        {"telegram": channel, **extra},
        {name: RateLimiter(UNLIMITED, limiter_time(clock)) for name in ("telegram", *extra)},
        clock,
        on_undelivered=DeliveryFallback(db, clock, writer).undelivered,
    )
    conversation = ConversationService(db, runner, clock, dispatcher)
    links = SurveyLinks("http://shop.test", lambda: "surveybot_test_bot")
    ingest = IngestService(db, runner.flows, clock, links, "Asia/Ho_Chi_Minh", writer)
    timers = SurveyTimers(db, runner, clock, dispatcher, "Asia/Ho_Chi_Minh")
    config = SupportConfig(
        chat_id=SUPPORT_CHAT,
        escalation_chat_id=MANAGERS_CHAT,
        locale="en",
        timezone=ZoneInfo("Asia/Ho_Chi_Minh"),
        show_staff_names=False,
        followup_flow="recovery",
        followup_delay=timedelta(hours=1),
    )
    cards = CaseCards(texts, config)
    cases = CaseService(db, runner, clock, dispatcher, cards, config)
    relay = CaseRelay(db, cases, cards, clock, dispatcher)
    shop = ZoneInfo("Asia/Ho_Chi_Minh")
    vouchers = VoucherService(db, campaigns, runner, clock, shop)
    runner.hooks.append(cases.on_survey_event)
    runner.hooks.append(vouchers.on_survey_event)
    Compensation(cases, vouchers).install()
    conversation.elsewhere = relay
    timers.handlers[TimerKind.FOLLOWUP] = cases.start_followup
    return World(
        db,
        clock,
        catalog,
        conversation,
        dispatcher,
        channel,
        ingest,
        timers,
        cases,
        relay,
        CaseSlaWatch(db, cases, clock),
        campaigns,
        vouchers,
        DrawService(db, campaigns, vouchers, clock, shop, dispatcher),
        WebChatService(db, runner, clock, dispatcher),
    )


def event_body(**overrides: Any) -> dict[str, Any]:
    """The issue's example event as JSON data. `customer__name=...` changes a nested field
    (`order__items__0__qty`: an item), None removes it."""
    body: dict[str, Any] = {
        "id": "evt-123",
        "type": "order.delivered",
        "occurred_at": "2026-11-20T08:00:00+07:00",
        "order": {
            "id": "SO-1",
            "amount": 350000,
            "currency": "VND",
            "items": [{"sku": "A1", "name": "Áo thun", "qty": 1}],
            "store": "HN-01",
        },
        "customer": {
            "id": "C-9",
            "name": "Lan",
            "locale": "vi",
            "timezone": "Asia/Ho_Chi_Minh",
            "telegram_chat_id": 123,
        },
    }
    for key, value in overrides.items():
        target = body
        *parents, leaf = key.split("__")
        for parent in parents:
            target = target[int(parent)] if isinstance(target, list) else target[parent]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return body


def purchase_event(**overrides: Any) -> PurchaseEvent:
    """The issue's example event (see `event_body`)."""
    return PurchaseEvent.model_validate(event_body(**overrides))


async def seed_survey(
    db: Database,
    *,
    external_id: str = "C-9",
    name: str = "Lan",
    locale: str = "vi",
    flow_id: str = "post_purchase",
    flows_dir: Path = ROOT / "flows",
) -> tuple[str, int]:
    """A pending survey for a customer the shop told us about; returns (token, survey id)."""
    from datetime import UTC, datetime

    from bot.storage.models import Customer
    from bot.surveys.engine import SessionStatus

    now = datetime.now(UTC)
    catalog = load_catalog(flows_dir, MessageTexts(ROOT / "templates"))
    flow = catalog.get(flow_id)
    assert flow is not None
    async with db.transaction() as tx:
        customer = Customer(
            external_id=external_id, name=name, locale=locale, created_at=now, updated_at=now
        )
        tx.session.add(customer)
        await tx.session.flush()
        await FlowRegistry(catalog).remember(tx, flow, now)
        survey = await tx.surveys.add(
            flow_id=flow.id,
            flow_version=flow.version,
            customer_id=customer.id,
            order_id=None,
            locale=locale,
            status=SessionStatus.PENDING,
            channel=None,
            now=now,
        )
        return survey.token, survey.id
