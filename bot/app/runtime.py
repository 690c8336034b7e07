"""Wiring: build every part from Settings, then serve until SIGINT/SIGTERM.

`surveybot run` = HTTP server + Telegram channel (polling or webhook) + scheduler + outbox
dispatcher, in one process. Without a Telegram token it still serves HTTP and says so.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

import uvicorn
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app.maintenance import prune_processed_updates
from bot.app.scheduler import create_scheduler, every, on_schedule
from bot.campaigns.catalog import CampaignCatalog, load_campaigns
from bot.campaigns.compensation import Compensation
from bot.campaigns.draws import DrawService
from bot.campaigns.report import warn_low_pools
from bot.campaigns.vouchers import VoucherService
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.setup import create_bot, create_dispatcher, publish_commands
from bot.channels.telegram.startup import TelegramRuntime
from bot.channels.web.chat import WebChatService
from bot.clock import Clock, SystemClock
from bot.config import Settings, TelegramMode
from bot.durations import parse_duration
from bot.errors import ConfigError, StorageError
from bot.flows.catalog import FlowCatalog, load_catalog
from bot.flows.registry import FlowRegistry
from bot.insight.digest import DigestConfig, DigestService
from bot.insight.reports import Insight
from bot.messaging.channel import OutboundChannel
from bot.messaging.dispatcher import OutboxDispatcher
from bot.messaging.presenter import Presenter
from bot.messaging.rate_limit import RateLimiter, RateLimits
from bot.messaging.reachability import ReachabilityService
from bot.messaging.texts import MessageTexts
from bot.storage import migrate
from bot.storage.database import Database, storage_errors
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

log = logging.getLogger("surveybot")


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
    telegram: TelegramRuntime | None = None
    channels: dict[str, OutboundChannel] = field(default_factory=dict)

    def channel_states(self) -> dict[str, str]:
        if self.telegram is None:
            return {"telegram": "off"}
        return {"telegram": "webhook" if self.telegram.webhook else "polling"}


async def prepare_schema(db: Database) -> None:
    """SQLite (the embedded default) is created/upgraded on the spot; PostgreSQL must be
    upgraded on purpose (`surveybot db upgrade`), so several workers never race to migrate."""
    async with storage_errors(db):
        current = await migrate.current_revision(db)
    head = migrate.head_revision()
    if current == head:
        return
    if db.is_sqlite:
        async with storage_errors(db):
            await migrate.upgrade(db)
        log.info("database %s at revision %s", "created" if current is None else "upgraded", head)
        return
    raise StorageError(
        f"the database schema is at {current or 'nothing'} but this surveybot needs {head}; "
        "run `surveybot db upgrade` first"
    )


async def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    texts = MessageTexts(settings.templates_dir)
    catalog = load_catalog(settings.flows_dir, texts)
    campaigns = load_campaigns(settings.campaigns_dir, texts, catalog)
    db = Database(settings.database_url)
    try:
        await prepare_schema(db)
    except BaseException:
        await db.dispose()
        raise
    flows = FlowRegistry(catalog)
    presenter = Presenter(texts)
    runner = SurveyRunner(flows, presenter, clock)
    reachability = ReachabilityService(db, clock)
    channels: dict[str, OutboundChannel] = {}
    bot = create_bot(settings) if settings.telegram_enabled else None
    if bot is not None:
        channels["telegram"] = TelegramSender(bot)
    limits = RateLimits.per_second(
        settings.rate_global_per_second,
        settings.rate_chat_per_second,
        settings.rate_group_per_minute,
    )
    outbox = OutboxDispatcher(
        db,
        channels,
        RateLimiter(limits),
        clock,
        on_unreachable=reachability.mark_unreachable,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        # The request's timeout, and the second a message may wait for the rate limiter.
        send_timeout=timedelta(seconds=settings.telegram_timeout_seconds + 1),
    )
    conversation = ConversationService(db, runner, clock, outbox)
    cards = CaseCards(texts, support_config(settings))
    cases = CaseService(db, runner, clock, outbox, cards, cards.config)
    relay = CaseRelay(db, cases, cards, clock, outbox)
    shop_zone = zone(settings.default_timezone, "UTC")
    insight = Insight(db, catalog, clock, shop_zone)
    vouchers = VoucherService(db, campaigns, runner, clock, shop_zone)
    runner.hooks.append(cases.on_survey_event)
    runner.hooks.append(vouchers.on_survey_event)
    Compensation(cases, vouchers).install()
    conversation.elsewhere = relay
    timers = SurveyTimers(db, runner, clock, outbox, settings.default_timezone)
    timers.handlers[TimerKind.FOLLOWUP] = cases.start_followup
    telegram_holder: list[TelegramRuntime] = []
    links = SurveyLinks(
        settings.base_url,
        lambda: telegram_holder[0].username if telegram_holder else None,
    )
    runtime = Runtime(
        settings=settings,
        clock=clock,
        db=db,
        texts=texts,
        catalog=catalog,
        flows=flows,
        presenter=presenter,
        runner=runner,
        conversation=conversation,
        outbox=outbox,
        scheduler=create_scheduler(),
        channels=channels,
        links=links,
        ingest=IngestService(db, flows, clock, links, settings.default_timezone),
        timers=timers,
        cases=cases,
        relay=relay,
        sla=CaseSlaWatch(db, cases, clock),
        campaigns=campaigns,
        vouchers=vouchers,
        draws=DrawService(db, campaigns, vouchers, clock, shop_zone, outbox),
        web_chat=WebChatService(db, runner, clock, outbox),
        insight=insight,
        digest=DigestService(db, insight, texts, clock, digest_config(settings), outbox),
    )
    if bot is not None:
        runtime.telegram = TelegramRuntime(
            bot=bot,
            dispatcher=create_dispatcher(settings, db, clock, conversation, cases, relay),
            webhook=settings.telegram_mode == TelegramMode.WEBHOOK,
            webhook_secret=(
                settings.telegram_webhook_secret.get_secret_value()
                if settings.telegram_webhook_secret
                else secrets.token_urlsafe(32)
            ),
        )
        telegram_holder.append(runtime.telegram)
    return runtime


@asynccontextmanager
async def offline_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Every part, for a CLI command that works on the data; nothing is served or polled
    (messages it queues are sent by the running bot)."""
    runtime = await build_runtime(settings)
    try:
        yield runtime
    finally:
        if runtime.telegram is not None:
            await runtime.telegram.bot.session.close()
        await runtime.db.dispose()


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


def listen_socket(host: str, port: int) -> socket.socket:
    """Bind early, so a busy port is a clear error rather than a log line from deep inside."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}); set SURVEYBOT_HTTP_PORT to a "
            "free port or stop the other program"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside our own event loop: we handle the signals, not uvicorn."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(runtime: Runtime) -> None:
    """Run every part until SIGINT/SIGTERM, then stop them in order."""
    from bot.app.http_app import http_app

    settings = runtime.settings
    sock = listen_socket(settings.http_host, settings.http_port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        http_app(runtime),
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    server = _EmbeddedServer(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    sign_in = await _demo_sign_in(runtime)
    await _start_telegram(runtime)
    schedule_jobs(runtime)
    runtime.scheduler.start()
    tasks = [
        asyncio.create_task(server.serve(sockets=[sock]), name="http"),
        asyncio.create_task(runtime.outbox.run(), name="outbox"),
    ]
    telegram = runtime.telegram
    if telegram is not None and not telegram.webhook:
        tasks.append(asyncio.create_task(_poll(telegram), name="telegram-polling"))
    _announce(runtime, settings.http_host, port, sign_in)
    waiter = asyncio.create_task(stop.wait(), name="stop-signal")
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    failed = [task for task in done if task is not waiter and task.exception() is not None]
    log.info("stopping")
    await _shutdown(runtime, server, tasks, waiter)
    sock.close()
    if failed:
        raise failed[0].exception()  # type: ignore[misc]


async def _start_telegram(runtime: Runtime) -> None:
    telegram = runtime.telegram
    if telegram is None:
        return
    try:
        me = await telegram.bot.get_me()
    except TelegramUnauthorizedError:
        await telegram.bot.session.close()
        raise ConfigError(
            "Telegram refused SURVEYBOT_TELEGRAM_TOKEN; copy the token from @BotFather again"
        ) from None
    except (TelegramNetworkError, TelegramServerError) as exc:
        await telegram.bot.session.close()
        raise ConfigError(
            f"cannot reach the Telegram Bot API at {runtime.settings.telegram_api_url}: {exc}; "
            "check the network (or SURVEYBOT_TELEGRAM_API_URL)"
        ) from None
    telegram.username = me.username
    await publish_commands(telegram.bot, runtime.texts)
    if telegram.webhook:
        url = runtime.settings.telegram_webhook_url
        assert url, "Settings require a webhook URL in webhook mode"
        await telegram.bot.set_webhook(
            url,
            secret_token=telegram.webhook_secret,
            allowed_updates=telegram.dispatcher.resolve_used_update_types(),
        )
    else:
        await telegram.bot.delete_webhook(drop_pending_updates=False)


async def _poll(telegram: TelegramRuntime) -> None:
    await telegram.dispatcher.start_polling(
        telegram.bot, handle_signals=False, close_bot_session=False, polling_timeout=20
    )


def schedule_jobs(runtime: Runtime) -> None:
    every(
        runtime.scheduler,
        "survey-timers",
        runtime.settings.timer_tick_seconds,
        runtime.timers.run_due,
    )
    every(runtime.scheduler, "case-sla", runtime.settings.sla_check_seconds, runtime.sla.check)
    every(
        runtime.scheduler,
        "voucher-pools",
        3600,
        partial(warn_low_pools, runtime.db, list(runtime.campaigns.campaigns.values())),
    )
    for campaign in runtime.campaigns.draws():
        assert campaign.draw is not None
        on_schedule(
            runtime.scheduler,
            f"draw-{campaign.id}",
            campaign.draw.schedule,
            runtime.draws.timezone,
            partial(runtime.draws.run, campaign.id),
        )
    schedule_digest(runtime)
    every(
        runtime.scheduler,
        "prune-processed-updates",
        3600,
        partial(prune_processed_updates, runtime.db, runtime.clock),
    )


def schedule_digest(runtime: Runtime) -> None:
    """The weekly digest, when there is a managers' chat and Telegram to post to it."""
    settings = runtime.settings
    if settings.managers_chat_id is None or not settings.telegram_enabled:
        return
    try:
        on_schedule(
            runtime.scheduler,
            "weekly-digest",
            settings.digest_schedule,
            runtime.insight.timezone,
            runtime.digest.run,
        )
    except ValueError as exc:
        raise ConfigError(
            f"SURVEYBOT_DIGEST_SCHEDULE {settings.digest_schedule!r} is not a cron expression "
            f"({exc}); write five fields like '0 9 * * mon'"
        ) from None


def _announce(runtime: Runtime, host: str, port: int, sign_in: str | None = None) -> None:
    telegram = runtime.telegram
    if telegram is None:
        channel = "off (set SURVEYBOT_TELEGRAM_TOKEN to turn it on)"
    else:
        mode = "webhook" if telegram.webhook else "polling"
        channel = f"on, @{telegram.username} ({mode})"
    default = runtime.catalog.default()
    flows = ", ".join(
        f"{flow_id} (default)" if default and flow_id == default.id else flow_id
        for flow_id in sorted(runtime.catalog.flows)
    )
    log.info("surveybot is running")
    if runtime.settings.demo:
        log.info("  Try it    http://%s:%s/demo  (a sample survey in your browser)", host, port)
    log.info("  HTTP      http://%s:%s  (health: /healthz, API docs: /docs)", host, port)
    if runtime.settings.dashboard:
        how = sign_in or "sign in as a user from `surveybot users add`"
        log.info("  Dashboard http://%s:%s/dashboard/  (%s)", host, port, how)
    log.info("  Telegram  %s", channel)
    log.info("  Database  %s", runtime.db.describe())
    log.info("  Flows     %s", flows or "none")
    log.info("  Campaigns %s", ", ".join(sorted(runtime.campaigns.campaigns)) or "none")
    support = runtime.settings.support_chat_id
    if support is None:
        log.info("  Support   cases are kept, not posted (set SURVEYBOT_SUPPORT_CHAT_ID)")
    else:
        log.info("  Support   cases posted to chat %s", support)
    if runtime.settings.api_key_list:
        log.info("  API       POST %s/api/v1/events (Bearer key)", runtime.settings.base_url)
    else:
        log.warning("  API       refusing all writes: no key set (SURVEYBOT_API_KEYS)")


async def _demo_sign_in(runtime: Runtime) -> str | None:
    """In demo mode, the demo admin's fresh sign-in; otherwise no demo admin at all."""
    from bot.staff.accounts import Accounts
    from bot.web.dashboard.demo_admin import demo_admin, retire_demo_admin

    accounts = Accounts(runtime.db, runtime.clock)
    if not runtime.settings.demo:
        if await retire_demo_admin(accounts):
            log.info("demo mode is off: the demo dashboard account is removed")
        return None
    login, password = await demo_admin(accounts)
    return f"demo sign-in: {login} / {password}"


async def _shutdown(
    runtime: Runtime,
    server: uvicorn.Server,
    tasks: list[asyncio.Task[None]],
    waiter: asyncio.Task[bool],
) -> None:
    waiter.cancel()
    telegram = runtime.telegram
    if telegram is not None and not telegram.webhook:
        with suppress(RuntimeError):  # polling had not started
            await telegram.dispatcher.stop_polling()
    runtime.outbox.stop()
    server.should_exit = True
    if runtime.scheduler.running:
        runtime.scheduler.shutdown(wait=False)
    # Sends in flight may take their whole timeout; one cancelled after Telegram took it
    # would be sent again after the restart. Then a moment to write their outcomes.
    await asyncio.wait(tasks, timeout=runtime.settings.telegram_timeout_seconds + 2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if telegram is not None:
        await telegram.bot.session.close()
    await runtime.db.dispose()
