"""The weekly digest: last week's NPS, CSAT and CES against the week before (each with its
n), why detractors were unhappy, and a chart of the last weeks' NPS, posted to the
managers' Telegram chat.

Sent once per week whatever the number of workers: the week is claimed under a unique key
(the `events` table's id, `surveybot.digest:<chat>:<monday>`) in the same transaction that
queues the messages in the outbox, so a second worker's cron job finds it taken and the
outbox delivers what was queued exactly as it does any message.

The chart's PNG is stored in the outbox payload (base64, about 10 KB) rather than drawn
again at delivery: the sender then needs no database or report code, a retry sends the
very same picture, and the numbers cannot shift between queueing and sending.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.errors import TemplateProblem
from bot.flows.schema import ChoiceStep
from bot.insight.charts import ChartPoint, nps_chart
from bot.insight.metrics import bucket_start
from bot.insight.reports import Insight, ResponseFilter
from bot.messaging.message import OutgoingMessage, Photo
from bot.messaging.outbox_writer import OutboxWriter
from bot.messaging.rich_text import CAPTION_LIMIT, html_problems, visible_length
from bot.messaging.texts import MessageTexts
from bot.storage.database import Database
from bot.surveys.conversation import DeliveryKick
from bot.surveys.runner import BULK_PRIORITY

log = logging.getLogger(__name__)

DIGEST_EVENT = "surveybot.digest"
CHART_WEEKS = 8
TOP = 5


@dataclass(frozen=True)
class DigestConfig:
    chat_id: int | None  # None: no digest
    locale: str
    timezone: ZoneInfo
    exclude_flows: tuple[str, ...] = ()  # e.g. the follow-up flow, whose NPS is not the shop's
    channel: str = "telegram"  # where the managers' chat is


@dataclass(frozen=True)
class Digest:
    week_start: date  # the Monday (shop time) of the week reported
    text: str  # the full report (HTML)
    caption: str  # the photo's caption: the full text when it fits, else a short one
    chart: bytes  # PNG

    @property
    def text_in_caption(self) -> bool:
        return self.caption == self.text

    def messages(self) -> list[OutgoingMessage]:
        """What goes to the outbox: the photo with its caption, then the text if it did
        not fit in the caption."""
        photo = OutgoingMessage(
            self.caption, photo=Photo(self.chart, f"nps-{self.week_start.isoformat()}.png")
        )
        if self.text_in_caption:
            return [photo]
        return [photo, OutgoingMessage(self.text)]


def week_before(now: datetime, tz: ZoneInfo) -> date:
    """The Monday of the last whole week before `now`, in shop time."""
    today = now.astimezone(tz).date()
    return today - timedelta(days=today.weekday() + 7)


class DigestService:
    def __init__(
        self,
        db: Database,
        insight: Insight,
        texts: MessageTexts,
        clock: Clock,
        config: DigestConfig,
        delivery: DeliveryKick | None = None,
        outbox: OutboxWriter | None = None,
    ) -> None:
        self.db = db
        self.insight = insight
        self.texts = texts
        self.clock = clock
        self.config = config
        self.delivery = delivery
        self.outbox = outbox or OutboxWriter(clock)  # to staff: no channel choice needed

    async def run(self) -> bool:
        """The cron job: queue last week's digest unless it already was (by any worker)."""
        return await self.queue(week_before(self.clock.now(), self.config.timezone))

    async def queue(self, week_start: date) -> bool:
        """Queue the digest of the week starting on `week_start` (a Monday); False when it
        was queued before, or there is no managers' chat."""
        chat_id = self.config.chat_id
        if chat_id is None:
            return False
        digest = await self.compose(week_start)
        now = self.clock.now()
        key = f"{DIGEST_EVENT}:{chat_id}:{week_start.isoformat()}"
        fingerprint = hashlib.sha256(digest.text.encode("utf-8")).hexdigest()
        async with self.db.transaction() as tx:
            if not await tx.events.claim(key, DIGEST_EVENT, fingerprint, now):
                log.info("weekly digest already sent", extra={"week": week_start.isoformat()})
                return False
            await tx.events.set_response(key, {"digest": week_start.isoformat()})
            for message in digest.messages():
                await self.outbox.to_staff(
                    tx, self.config.channel, str(chat_id), message, priority=BULK_PRIORITY
                )
        log.info("weekly digest queued", extra={"week": week_start.isoformat()})
        if self.delivery is not None:
            self.delivery.kick()
        return True

    async def compose(self, week_start: date) -> Digest:
        """The digest of one week (Monday to Sunday, shop time)."""
        if week_start.weekday() != 0:
            raise ValueError(f"a digest week starts on a Monday, not on {week_start:%A}")
        tz = self.config.timezone
        this_week = self._week(week_start)
        before = await self.insight.metrics(self._week(week_start - timedelta(days=7)))
        now = await self.insight.metrics(this_week)
        reasons = await self.insight.reasons(this_week, detractors_only=True)
        themes = await self.insight.themes(this_week, limit=TOP, detractors_only=True)
        locale = self.config.locale
        context = {
            "period": f"{week_start:%d/%m} - {week_start + timedelta(days=6):%d/%m/%Y}",
            "nps": _compare(now["nps"], before["nps"], "score", _signed, locale),
            "csat": _compare(now["csat"], before["csat"], "share", _percent, locale),
            "ces": _compare(now["ces"], before["ces"], "mean", _decimal, locale),
            "funnel": {
                **now["funnel"],
                "rate": _percent(now["funnel"]["response_rate"], locale),
            },
            "reasons": [
                {"label": self._option_label(flow, option), "count": count}
                for flow, option, count in reasons[:TOP]
            ],
            "themes": [{"phrase": t.phrase, "count": t.count} for t in themes],
        }
        text = self.texts.render("digest/weekly.j2", locale, context)
        caption = text
        if visible_length(text) > CAPTION_LIMIT or html_problems(text):
            caption = self.texts.render("digest/caption.j2", locale, context)
        start = week_start - timedelta(weeks=CHART_WEEKS - 1)
        trend = await self.insight.trend(
            ResponseFilter(
                start=bucket_start(start, tz),
                end=this_week.end,
                exclude_flows=self.config.exclude_flows,
            ),
            "week",
        )
        points = [ChartPoint(date.fromisoformat(p["start"]), p["nps"], p["nps_n"]) for p in trend]
        title = f"NPS {start:%d/%m} - {week_start + timedelta(days=6):%d/%m/%Y}"
        return Digest(week_start, text, caption, nps_chart(points, title))

    def _week(self, monday: date) -> ResponseFilter:
        tz = self.config.timezone
        return ResponseFilter(
            start=bucket_start(monday, tz),
            end=bucket_start(monday + timedelta(days=7), tz),
            exclude_flows=self.config.exclude_flows,
        )

    def _option_label(self, flow_id: str, option_id: str) -> str:
        """A choice's label in the digest's language (its id when the flow is gone)."""
        flow = self.insight.catalog.get(flow_id)
        if flow is None:
            return option_id
        for step in flow.steps:
            if isinstance(step, ChoiceStep):
                for option in step.options:
                    if option.id == option_id:
                        try:
                            return self.texts.render(
                                option.label,
                                self.config.locale,
                                {},
                                default_locale=flow.default_locale,
                            )
                        except TemplateProblem:
                            return option_id
        return option_id


def _compare(
    now: dict[str, Any], before: dict[str, Any], key: str, show: Any, locale: str
) -> dict[str, Any]:
    """A figure this week and the week before, and the change between them."""
    current, previous = now[key], before[key]
    change = ""
    if current is not None and previous is not None:
        delta = current - previous
        arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
        change = arrow if arrow == "=" else f"{arrow} {_delta(abs(delta), key, locale)}"
    return {
        "now": show(current, locale),
        "n": now["n"],
        "before": show(previous, locale),
        "before_n": before["n"],
        "change": change,
    }


def _number(value: float, digits: int, locale: str) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if locale.startswith("vi") else text


def _signed(value: float | None, locale: str) -> str:
    return "—" if value is None else f"{round(value):+d}" if round(value) else "0"


def _percent(value: float | None, locale: str) -> str:
    return "—" if value is None else f"{_number(value, 0, locale)}%"


def _decimal(value: float | None, locale: str) -> str:
    return "—" if value is None else _number(value, 1, locale)


def _delta(value: float, key: str, locale: str) -> str:
    if key == "score":
        return str(round(value))
    if key == "share":
        return f"{_number(value, 0, locale)} pts"
    return _number(value, 1, locale)
