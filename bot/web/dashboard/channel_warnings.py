"""The warnings at the top of every signed-in page: a channel whose token chain is dead or
runs out soon (with what to do), and a channel's call-limit and quota errors of the last
24 hours. Read from the database, as the dashboard may run in a process without the
channel (bot.messaging.channel_health)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.messaging.channel_health import ChainState, ChannelHealth, TokenChain, read_channel_health

if TYPE_CHECKING:
    from bot.web.dashboard.page_context import PageContext


async def channel_warnings(context: PageContext) -> list[dict[str, Any]]:
    services = context.services
    async with services.db.reading() as tx:
        health = await read_channel_health(tx, services.clock.now())
    warnings: list[dict[str, Any]] = []
    for channel in health:
        if channel.chain is not None and channel.chain.state is not ChainState.OK:
            warnings.append(_chain_warning(context, channel.channel, channel.chain))
        if channel.limit_errors:
            warnings.append(_limits_warning(context, channel))
    return warnings


def _chain_warning(context: PageContext, channel: str, chain: TokenChain) -> dict[str, Any]:
    t = context.t
    name = channel.capitalize()
    fix = t.get(f"token_fix_{channel}", t["token_fix"]).format(channel=name, key=channel)
    if chain.state is ChainState.EXPIRING:
        text = t["token_expiring"].format(
            channel=name,
            when=_local(context, chain.refresh_expires_at),
            renewed=_local(context, chain.refreshed_at),
        )
        advice = t["fix_later"].format(fix=fix)
    elif chain.state is ChainState.EXPIRED:
        text = t["token_expired"].format(
            channel=name, when=_local(context, chain.refresh_expires_at)
        )
        advice = t["fix_now"].format(fix=fix)
    else:
        wording = t.get(f"token_not_authorised_{channel}", t["token_not_authorised"])
        text = wording.format(
            channel=name, when=_local(context, chain.failed_at), reason=chain.last_error
        )
        advice = t["fix_now"].format(fix=fix)
    level = "warn" if chain.state is ChainState.EXPIRING else "bad"
    return {"id": f"warning-{channel}-token", "level": level, "text": text, "advice": advice}


def _limits_warning(context: PageContext, health: ChannelHealth) -> dict[str, Any]:
    t = context.t
    text = t["limit_errors"].format(channel=health.channel.capitalize(), n=health.limit_errors)
    recent = [
        f"{_local(context, error.occurred_at)} · {error.code} · {error.message}"
        for error in health.recent_limits
    ]
    return {
        "id": f"warning-{health.channel}-limits",
        "level": "warn",
        "text": text,
        "recent": recent,
    }


def _local(context: PageContext, moment: datetime | None) -> str:
    if moment is None:
        return context.t["never"]
    return moment.astimezone(context.services.insight.timezone).strftime("%Y-%m-%d %H:%M")
