"""A running surveybot without Telegram: real services, real database, recording channel."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app.runtime import Runtime, assemble, channel_directory, read_shop_files
from bot.campaigns.catalog import CampaignCatalog
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
from bot.messaging.message import OutgoingMessage
from bot.messaging.outbox_writer import ChannelDirectory
from bot.messaging.rate_limit import RateLimiter, RateLimits
from bot.messaging.texts import MessageTexts
from bot.storage.database import Database
from bot.support.cases import CaseService
from bot.support.relay import CaseRelay
from bot.support.sla import CaseSlaWatch
from bot.surveys.conversation import Contact, ConversationService
from bot.surveys.events import PurchaseEvent
from bot.surveys.ingest import IngestResult, IngestService
from bot.surveys.timers import SurveyTimers

ROOT = Path(__file__).resolve().parents[1]
SUPPORT_CHAT = -100
MANAGERS_CHAT = -200
SHOP_TIMEZONE = "Asia/Ho_Chi_Minh"
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
    """The runtime `surveybot run` builds (the same composition root), on the test's
    database, clock and recording channel; and ways to talk to it as a customer."""

    runtime: Runtime
    clock: ManualClock
    channel: RecordingChannel
    contacts: dict[int, Contact] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        return self.runtime.db

    @property
    def catalog(self) -> FlowCatalog:
        return self.runtime.catalog

    @property
    def conversation(self) -> ConversationService:
        return self.runtime.conversation

    @property
    def dispatcher(self) -> OutboxDispatcher:
        return self.runtime.outbox

    @property
    def ingest(self) -> IngestService:
        return self.runtime.ingest

    @property
    def timers(self) -> SurveyTimers:
        return self.runtime.timers

    @property
    def cases(self) -> CaseService:
        return self.runtime.cases

    @property
    def relay(self) -> CaseRelay:
        return self.runtime.relay

    @property
    def sla(self) -> CaseSlaWatch:
        return self.runtime.sla

    @property
    def campaigns(self) -> CampaignCatalog:
        return self.runtime.campaigns

    @property
    def vouchers(self) -> VoucherService:
        return self.runtime.vouchers

    @property
    def draws(self) -> DrawService:
        return self.runtime.draws

    @property
    def web(self) -> WebChatService:
        return self.runtime.web_chat

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
    """`extra_channels`: push channels besides the recording Telegram one, after it in the
    channel order."""
    clock = clock or ManualClock()
    channel = channel or RecordingChannel()
    extra = dict(extra_channels or {})
    settings = world_settings(flows_dir, campaigns_dir)
    files = read_shop_files(settings)
    directory = channel_directory(settings, files.catalog)
    runtime = assemble(
        settings,
        db,
        clock,
        files,
        channels={"telegram": channel, **extra},
        limiters={
            name: RateLimiter(UNLIMITED, limiter_time(clock)) for name in ("telegram", *extra)
        },
        directory=ChannelDirectory(
            reach={**directory.reach, **{name: c.capabilities for name, c in extra.items()}},
            order=(*directory.order, *extra),
            flow_orders=directory.flow_orders,
        ),
        start_links={"telegram": lambda token: f"https://t.me/surveybot_test_bot?start={token}"},
    )
    return World(runtime, clock, channel)


def world_settings(flows_dir: Path, campaigns_dir: Path) -> Settings:
    """A shop in Vietnam with a support group, cases in English, a follow-up survey."""
    return Settings(
        flows_dir=flows_dir,
        templates_dir=ROOT / "templates",
        campaigns_dir=campaigns_dir,
        telegram_token=None,
        public_url="http://shop.test",
        default_timezone=SHOP_TIMEZONE,
        support_chat_id=SUPPORT_CHAT,
        escalation_chat_id=MANAGERS_CHAT,
        support_locale="en",
        support_timezone=SHOP_TIMEZONE,
        show_staff_names=False,
        followup_flow="recovery",
        followup_delay="1h",
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
