"""The Zalo channel as it runs: the client, the token keeper, the sender for the outbox, and
the services its webhook hands events to. Nothing polls: Zalo posts to /zalo/webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from bot.channels.zalo import CHANNEL
from bot.channels.zalo.client import ZaloClient, ZaloEndpoints
from bot.channels.zalo.ratings import RatingReconciler
from bot.channels.zalo.sender import ZaloSender
from bot.channels.zalo.tokens import TokenState, ZaloNotAuthorised, ZaloTokens
from bot.config import Settings
from bot.storage.once import handle_once
from bot.surveys.conversation import RatedMessage

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.flows.catalog import FlowCatalog
    from bot.storage.database import Database
    from bot.surveys.conversation import ConversationService, TemplateRating

log = logging.getLogger("surveybot")

KEEP_FRESH_SECONDS = 300.0  # well inside tokens.EARLY, so a refresh is never missed
RECONCILE_SECONDS = 600.0  # a missed rating webhook is taken within about this long
RATING_WAIT_SECONDS = 5.0  # how long a webhook's rating waits for its send to be recorded
RATING_LOOK_AGAIN_SECONDS = 0.25


class ZaloParts(Protocol):
    """What the Zalo channel uses of the assembled surveybot."""

    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def conversation(self) -> ConversationService: ...
    @property
    def catalog(self) -> FlowCatalog: ...


class ZaloConnection:
    def __init__(self, settings: Settings) -> None:
        assert settings.zalo_app_id and settings.zalo_app_secret and settings.zalo_oa_secret
        self.settings = settings
        self.app_id = settings.zalo_app_id
        self.oa_secret = settings.zalo_oa_secret.get_secret_value()
        self.client = ZaloClient(
            ZaloEndpoints(
                settings.zalo_oauth_url, settings.zalo_api_url, settings.zalo_business_api_url
            ),
            settings.zalo_app_id,
            settings.zalo_app_secret.get_secret_value(),
            settings.zalo_timeout_seconds,
        )
        self._parts: ZaloParts | None = None
        self._tokens: ZaloTokens | None = None
        self.sender = ZaloSender(self.client, self)
        self.last_webhook_at: datetime | None = None
        self._stopping = asyncio.Event()
        self.token_state = TokenState(None, None, None)
        self.ratings = RatingReconciler(self.client)

    @property
    def parts(self) -> ZaloParts:
        assert self._parts is not None, "receive() joins the channel to the services"
        return self._parts

    @property
    def tokens(self) -> ZaloTokens:
        assert self._tokens is not None, "receive() joins the channel to the services"
        return self._tokens

    async def access_token(self) -> str:
        """For the sender: the tokens live in the database, joined by `receive`."""
        return await self.tokens.access_token()

    def invalidate(self, token: str) -> None:
        self.tokens.invalidate(token)

    async def record_limit(self, code: int, message: str) -> None:
        await self.tokens.record_limit(code, message)

    def receive(self, parts: ZaloParts) -> None:
        self._parts = parts
        seed = self.settings.zalo_refresh_token
        self._tokens = ZaloTokens(
            parts.db, parts.clock, self.client, seed.get_secret_value() if seed else None
        )

    async def once(self, external_id: str, work: Callable[[], Awaitable[object]]) -> None:
        """Handle an event once (bot.storage.once): a replay is dropped."""
        await handle_once(self.parts.db, self.parts.clock, CHANNEL, external_id, work)

    async def take_rating(
        self, rating: TemplateRating, *, wait: float = RATING_WAIT_SECONDS
    ) -> None:
        """A rating template answered (from the webhook or the rating API), taken once.

        A template sent by user id is known by the message id Zalo answered the send with,
        which is stored just after: a rating may come first (under load). So while a send
        is in flight, a rating that names no message of ours is looked for again for up to
        `wait` seconds. One still unknown is not recorded as handled: the next rating pass
        can take it."""
        conversation = self.parts.conversation
        waited = 0.0
        while (known := await conversation.rated_message(CHANNEL, rating)) != RatedMessage.OURS:
            if known == RatedMessage.UNKNOWN or waited >= wait:
                log.warning("Zalo: a rating names no message of ours (yet): %s", rating)
                return
            await asyncio.sleep(RATING_LOOK_AGAIN_SECONDS)
            waited += RATING_LOOK_AGAIN_SECONDS
        answer = partial(conversation.rated, CHANNEL, rating)
        await self.once(f"feedback:{rating.message_id}", answer)

    def saw_webhook(self) -> None:
        self.last_webhook_at = self.parts.clock.now()

    def state(self) -> str:
        return "webhook" if self.token_state.last_error is None else "not authorised"

    def describe(self) -> str:
        state = self.token_state
        if state.last_error is not None:
            return f"NOT AUTHORISED: {state.last_error}"
        expires = state.access_expires_at
        until = expires.isoformat(timespec="minutes") if expires else "?"
        by = state.refresh_expires_at.date().isoformat() if state.refresh_expires_at else "?"
        return (
            f"on, app {self.app_id} (webhook /zalo/webhook; token valid until {until}, "
            f"re-authorise by {by})"
        )

    def start_link(self, token: str) -> str | None:
        return None  # an OA has no deep link that carries a survey token

    async def start(self) -> None:
        """Get a working access token now, so a dead refresh token is said at start-up
        (loudly, in the banner) rather than at the first send. It does not stop the other
        channels."""
        try:
            await self.tokens.access_token()
        except ZaloNotAuthorised as exc:
            log.error("Zalo: %s", exc)
        self.token_state = await self.tokens.state()

    def background(self) -> list[Coroutine[Any, Any, None]]:
        """Keep the token chain alive without sends (a quiet shop would otherwise lose it
        after the refresh token's 3 months) and the banner's state current."""
        return [self._keep_fresh(), self._reconcile_ratings()]

    async def _keep_fresh(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.tokens.access_token()  # refreshes when near expiry
            except ZaloNotAuthorised as exc:
                log.error("Zalo: %s", exc)
            except Exception:  # the database is away: next round
                log.exception("Zalo: could not check the token")
            with contextlib.suppress(Exception):
                self.token_state = await self.tokens.state()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), KEEP_FRESH_SECONDS)

    def rating_templates(self) -> list[str]:
        return [flow.zalo.template for flow in self.parts.catalog.flows.values() if flow.zalo]

    async def _reconcile_ratings(self) -> None:
        """Take the ratings a webhook missed (surveybot was down, or Zalo gave up)."""
        while not self._stopping.is_set():
            templates = self.rating_templates()
            if templates:
                try:
                    token = await self.tokens.access_token()
                    now = self.parts.clock.now()
                    take = partial(self.take_rating, wait=0.0)  # it is listed: long recorded
                    await self.ratings.run_once(token, templates, now, take)
                except ZaloNotAuthorised as exc:
                    log.error("Zalo: %s", exc)
                except Exception:  # Zalo or the database is away: the next pass overlaps
                    log.exception("Zalo: could not fetch the template ratings")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), RECONCILE_SECONDS)

    async def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        await self.client.close()
