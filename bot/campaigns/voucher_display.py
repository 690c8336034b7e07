"""How a voucher reads in a message: its value, expiry and terms, in the customer's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.campaigns.schema import Campaign
from bot.messaging.texts import pick_text

SYMBOLS = {"VND": "₫", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "THB": "฿"}


def money(amount: Decimal, currency: str, locale: str) -> str:
    """50000 VND -> "50.000 ₫" in Vietnamese, "₫50,000" in English."""
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    symbol = SYMBOLS.get(currency, currency)
    if locale.startswith("vi"):
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return f"{text} {symbol}"
    return f"{symbol}{text}" if len(symbol) == 1 else f"{text} {symbol}"


def value_text(campaign: Campaign, locale: str) -> str:
    reward = campaign.reward
    if reward.percent is not None:
        return f"{reward.percent}%"
    assert reward.amount is not None and reward.currency is not None
    return money(reward.amount, reward.currency, locale)


def voucher_context(
    campaign: Campaign, code: str, expires: datetime, locale: str, tz: ZoneInfo
) -> dict[str, Any]:
    """What a voucher message template sees as `voucher`."""
    # The last day it works: a voucher that stops at midnight is good until the day before.
    local = (expires - timedelta(microseconds=1)).astimezone(tz)
    return {
        "code": code,
        "value": value_text(campaign, locale),
        "expires": local.strftime("%d/%m/%Y"),
        "terms": pick_text(campaign.reward.terms, locale, locale).strip()
        if campaign.reward.terms
        else "",
        "campaign": campaign.name,
    }


def sample_voucher(campaign: Campaign, locale: str) -> dict[str, Any]:
    from datetime import UTC

    sample_expiry = datetime(2026, 12, 31, 16, 59, tzinfo=UTC)
    return voucher_context(
        campaign,
        f"{campaign.codes.prefix}7K3M9Q2XWHA",
        sample_expiry,
        locale,
        ZoneInfo("Asia/Ho_Chi_Minh"),
    )
