"""Ratings a webhook missed, fetched from Zalo's rating API (/rating/get) and answered
like the webhook's: the same event id (the rated message's), so a rating is taken once
whichever way it came, by whichever worker.

Each pass lists the ratings of every flow's template submitted since the last pass (with
an overlap, for ratings that reach Zalo's list late); the first pass after start-up looks
back LOOKBACK, over the time surveybot may have been down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.channels.zalo.client import RATINGS_PAGE, ZaloClient
from bot.storable_text import without_nul
from bot.surveys.conversation import TemplateRating

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=7)
OVERLAP = timedelta(minutes=30)
MOST_PAGES = 50  # a pass reads at most this many pages of one template; the next goes on

Take = Callable[[TemplateRating], Awaitable[None]]
ID_LIMIT = 100  # Zalo's ids are far shorter; ours are stored in 128 characters


REASONS_LIMIT = 25  # 5 per star in Zalo's console; more is not a real rating
REASON_LENGTH = 200
NOTE_LENGTH = 2000


def template_rating(message: Any, *, camel: bool = False) -> TemplateRating | None:
    """A rating as the webhook (`msg_id`, `tracking_id`) or the rating API (`msgId`,
    `trackingId`: `camel`) gives it; None when it is not a usable rating."""
    if not isinstance(message, dict):
        return None
    msg_id = message.get("msgId" if camel else "msg_id")
    tracking = message.get("trackingId" if camel else "tracking_id")
    rate, feedbacks, note = message.get("rate"), message.get("feedbacks"), message.get("note")
    if isinstance(rate, str) and rate.isascii() and rate.isdigit() and len(rate) == 1:
        rate = int(rate)
    if not is_id(msg_id) or not isinstance(rate, int) or isinstance(rate, bool):
        return None
    if not 1 <= rate <= 5:
        return None
    reasons = feedbacks if isinstance(feedbacks, list) else []
    return TemplateRating(
        message_id=str(msg_id),
        tracking_id=str(tracking) if isinstance(tracking, str | int) else None,
        stars=rate,
        reasons=tuple(
            without_nul(r)[:REASON_LENGTH] for r in reasons[:REASONS_LIMIT] if isinstance(r, str)
        ),
        note=without_nul(note)[:NOTE_LENGTH] if isinstance(note, str) else "",
    )


def is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= ID_LIMIT


class RatingReconciler:
    """Per template: where the last pass got to. A pass that reads its page cap, or fails
    part-way, resumes there next time; one template, or one rating, that fails never keeps
    the others from being taken."""

    def __init__(self, client: ZaloClient) -> None:
        self.client = client
        self._since: dict[str, datetime] = {}
        self._resume: dict[str, tuple[int, int, int]] = {}  # from_ms, to_ms, offset

    async def run_once(
        self, token: str, templates: Iterable[str], now: datetime, take: Take
    ) -> int:
        """Fetch the ratings submitted since the last pass and hand each to `take`;
        returns how many were listed."""
        listed = 0
        for template in sorted(set(templates)):
            try:
                listed += await self._template(token, template, now, take)
            except Exception:  # Zalo refused this one (not a rating template?), or is away
                log.exception("Zalo: could not list the ratings of template %s", template)
        return listed

    async def _template(self, token: str, template: str, now: datetime, take: Take) -> int:
        resume = self._resume.pop(template, None)
        if resume is not None:
            from_ms, to_ms, offset = resume
        else:
            since = self._since.get(template)
            start = (since - OVERLAP) if since is not None else now - LOOKBACK
            from_ms, to_ms, offset = _ms(start), _ms(now), 0
        listed = 0
        for _ in range(MOST_PAGES):
            try:
                total, items = await self.client.ratings(token, template, from_ms, to_ms, offset)
            except Exception:
                self._resume[template] = (from_ms, to_ms, offset)
                raise
            for item in items:
                await _take_one(item, take)
            listed += len(items)
            offset += RATINGS_PAGE
            if not items or offset >= total:
                self._since[template] = _moment(to_ms)
                return listed
        self._resume[template] = (from_ms, to_ms, offset)  # the cap: go on next pass
        return listed


async def _take_one(item: Any, take: Take) -> None:
    rating = template_rating(item, camel=True)
    if rating is None:
        log.warning("Zalo listed a rating surveybot cannot read: %.200r", item)
        return
    try:
        await take(rating)
    except Exception:  # its record was undone: the next overlapping pass lists it again
        log.exception("Zalo: the rating of message %s was not taken", rating.message_id)


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
