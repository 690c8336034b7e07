"""The composition root: every part of a running surveybot, built from Settings.

`assemble` is the one place where the parts are joined, each given what it needs when it
is built; `build_runtime` (for `surveybot run` and the CLI) reads the shop's files, opens
the database and the channels the settings turn on (bot/app/channels.py), then assembles.
The tests assemble the same way, with fake channels, their clock and their database
(tests/harness.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app.channels import (
    ChannelConnection,
    configured_rate_limits,
    enabled_channels,
    open_channels,
    push_channels,
)
from bot.app.scheduler import create_scheduler
from bot.app.startup import prepare_schema
from bot.campaigns.catalog import CampaignCatalog, load_campaigns
from bot.campaigns.compensation import Compensation
from bot.campaigns.draws import DrawService
from bot.campaigns.vouchers import VoucherService
from bot.channels.web.chat import WebChatService
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.durations import parse_duration
from bot.flows.catalog import FlowCatalog, load_catalog
from bot.flows.registry import FlowRegistry
from bot.insight.digest import DigestConfig, DigestService
from bot.insight.reports import Insight
from bot.messaging.channel import OutboundChannel
from bot.messaging.dispatcher import OutboxDispatcher
from bot.messaging.fallback import DeliveryFallback
from bot.messaging.outbox_writer import ChannelDirectory, OutboxWriter
from bot.messaging.presenter import Presenter
from bot.messaging.rate_limit import RateLimiter, limiters_for
from bot.messaging.texts import MessageTexts
from bot.storage.database import Database
from bot.storage.repositories.timers import TimerKind
from bot.support.cards import CaseCards, SupportConfig
from bot.support.cases import CaseService
from bot.support.relay import CaseRelay
from bot.support.sla import CaseSlaWatch
from bot.surveys.conversation import ConversationService
from bot.surveys.ingest import IngestService
from bot.surveys.links import SurveyLinks
from bot.surveys.runner import SurveyRunner
from bot.surveys.timers import SurveyTimers
from bot.surveys.timing import zone


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    db: Database
    texts: MessageTexts
    catalog: FlowCatalog
    flows: FlowRegistry
    presenter: Presenter
    runner: SurveyRunner
    conversation: ConversationService
    outbox: OutboxDispatcher
    scheduler: AsyncIOScheduler
    links: SurveyLinks
    ingest: IngestService
    timers: SurveyTimers
    cases: CaseService
    relay: CaseRelay
    sla: CaseSlaWatch
    campaigns: CampaignCatalog
    vouchers: VoucherService
    draws: DrawService
    insight: Insight
    digest: DigestService
    web_chat: WebChatService
    channels: dict[str, OutboundChannel] = field(default_factory=dict)  # the senders
    connections: dict[str, ChannelConnection] = field(default_factory=dict)

    def channel_states(self) -> dict[str, str]:
        """Each push channel and how it runs here (`off` when its settings leave it off)."""
        return {
            name: connection.state() if (connection := self.connections.get(name)) else "off"
            for name in push_channels()
        }


@dataclass(frozen=True)
class ShopFiles:
    """What the shop wrote: message templates, survey flows, incentive campaigns."""

    texts: MessageTexts
    catalog: FlowCatalog
    campaigns: CampaignCatalog


def read_shop_files(settings: Settings) -> ShopFiles:
    texts = MessageTexts(settings.templates_dir)
    catalog = load_catalog(settings.flows_dir, texts, enabled_channels(settings))
    return ShopFiles(texts, catalog, load_campaigns(settings.campaigns_dir, texts, catalog))


async def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    files = read_shop_files(settings)  # a broken file is reported before the database is touched
    db = Database(settings.database_url)
    try:
        await prepare_schema(db)
    except BaseException:
        await db.dispose()
        raise
    return assemble(settings, db, clock or SystemClock(), files, open_channels(settings))


@asynccontextmanager
async def offline_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Every part, for a CLI command that works on the data; nothing is served or polled
    (messages it queues are sent by the running bot)."""
    runtime = await build_runtime(settings)
    try:
        yield runtime
    finally:
        await close_runtime(runtime)


async def close_runtime(runtime: Runtime) -> None:
    for connection in runtime.connections.values():
        await connection.close()
    await runtime.db.dispose()


def assemble(
    settings: Settings,
    db: Database,
    clock: Clock,
    files: ShopFiles,
    connections: Mapping[str, ChannelConnection] | None = None,
    *,
    channels: Mapping[str, OutboundChannel] | None = None,
    limiters: Mapping[str, RateLimiter] | None = None,
    directory: ChannelDirectory | None = None,
    start_links: Mapping[str, Callable[[str], str | None]] | None = None,
) -> Runtime:
    """Join the parts. `connections`: the channels connected to their platforms; a test
    passes its own `channels` (senders: a fake Telegram, others), `limiters`, `directory`
    and `start_links`."""
    connected = dict(connections or {})
    senders = {name: connection.sender for name, connection in connected.items()}
    senders.update(channels or {})
    flows = FlowRegistry(files.catalog)
    presenter = Presenter(files.texts)
    writer = OutboxWriter(clock, directory or channel_directory(settings, files.catalog), presenter)
    fallback = DeliveryFallback(db, clock, writer)
    outbox = _outbox(
        settings, db, clock, senders, limiters or rate_limiters(settings, senders), fallback
    )
    links = SurveyLinks(settings.base_url, start_links or _start_links(connected))
    runner = SurveyRunner(
        flows, presenter, clock, writer, web_link=links.web, privacy_url=settings.privacy_page
    )
    cards = CaseCards(files.texts, support_config(settings))
    cases = CaseService(db, runner, clock, outbox, cards, cards.config)
    relay = CaseRelay(db, cases, cards, clock, outbox)
    shop_zone = zone(settings.default_timezone, "UTC")
    vouchers = VoucherService(db, files.campaigns, runner, clock, shop_zone)
    _connect_both_ways(runner, cases, vouchers, fallback, relay)
    conversation = ConversationService(db, runner, clock, outbox, elsewhere=relay)
    insight = Insight(db, files.catalog, clock, shop_zone)
    runtime = Runtime(
        settings=settings,
        clock=clock,
        db=db,
        texts=files.texts,
        catalog=files.catalog,
        flows=flows,
        presenter=presenter,
        runner=runner,
        conversation=conversation,
        outbox=outbox,
        scheduler=create_scheduler(),
        channels=senders,
        links=links,
        ingest=IngestService(db, flows, clock, links, settings.default_timezone, writer),
        timers=SurveyTimers(
            db,
            runner,
            clock,
            outbox,
            settings.default_timezone,
            handlers={TimerKind.FOLLOWUP: cases.start_followup},
        ),
        cases=cases,
        relay=relay,
        sla=CaseSlaWatch(db, cases, clock),
        campaigns=files.campaigns,
        vouchers=vouchers,
        draws=DrawService(db, files.campaigns, vouchers, clock, shop_zone, outbox),
        web_chat=WebChatService(db, runner, clock, outbox),
        insight=insight,
        digest=DigestService(
            db, insight, files.texts, clock, digest_config(settings), outbox, writer
        ),
        connections=connected,
    )
    for connection in connected.values():
        connection.receive(runtime)
    return runtime


def _connect_both_ways(
    runner: SurveyRunner,
    cases: CaseService,
    vouchers: VoucherService,
    fallback: DeliveryFallback,
    relay: CaseRelay,
) -> None:
    """The links that go both ways, made once both ends exist: the survey runner hands its
    closing actions (escalate, reward) to the features built on it, each compensation
    campaign puts its "Send voucher" button on the case cards, and a staff reply that no
    contact took is said to staff by the relay (which sends through the outbox)."""
    runner.hooks.append(cases.on_survey_event)
    runner.hooks.append(vouchers.on_survey_event)
    Compensation(cases, vouchers).install()
    fallback.reply_lost = relay.reply_lost


def _outbox(
    settings: Settings,
    db: Database,
    clock: Clock,
    channels: Mapping[str, OutboundChannel],
    limiters: Mapping[str, RateLimiter],
    fallback: DeliveryFallback,
) -> OutboxDispatcher:
    return OutboxDispatcher(
        db,
        channels,
        limiters,
        clock,
        on_undelivered=fallback.undelivered,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        # The request's timeout, and the second a message may wait for the rate limiter.
        send_timeout=timedelta(seconds=settings.telegram_timeout_seconds + 1),
    )


def _start_links(
    connections: Mapping[str, ChannelConnection],
) -> dict[str, Callable[[str], str | None]]:
    return {name: connection.start_link for name, connection in connections.items()}


def rate_limiters(
    settings: Settings, channels: Mapping[str, OutboundChannel]
) -> dict[str, RateLimiter]:
    """One limiter per channel from its capabilities, or from the settings where the
    channel takes them from there (Telegram's SURVEYBOT_RATE_*)."""
    return limiters_for(channels, overrides=configured_rate_limits(settings))


def channel_directory(settings: Settings, catalog: FlowCatalog | None = None) -> ChannelDirectory:
    """The push channels messages are routed to, in the shop's order
    (SURVEYBOT_CHANNEL_ORDER), and each flow's own order (its `channels` key)."""
    flows = catalog.flows.values() if catalog else ()
    return ChannelDirectory(
        reach=push_channels(settings),
        order=settings.channel_order_list,
        flow_orders={flow.id: tuple(flow.channels) for flow in flows if flow.channels},
    )


def support_config(settings: Settings) -> SupportConfig:
    return SupportConfig(
        chat_id=settings.support_chat_id,
        escalation_chat_id=settings.escalation_chat_id,
        locale=settings.support_locale,
        timezone=zone(settings.support_timezone, settings.default_timezone),
        show_staff_names=settings.show_staff_names,
        followup_flow=settings.followup_flow,
        followup_delay=parse_duration(settings.followup_delay),
    )


def digest_config(settings: Settings) -> DigestConfig:
    return DigestConfig(
        chat_id=settings.managers_chat_id,
        locale=settings.digest_locale,
        timezone=zone(settings.default_timezone, "UTC"),
        # The follow-up's NPS is asked of customers whose case was just resolved: not the
        # shop's NPS.
        exclude_flows=(settings.followup_flow,) if settings.followup_flow else (),
    )
