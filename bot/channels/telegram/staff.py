"""Who counts as support staff: the members of the support group, checked with Telegram
(getChatMember) and remembered for a minute."""

from __future__ import annotations

import time

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import User

from bot.support.cases import Staff

MEMBER_STATUSES = {"creator", "administrator", "member"}
CACHE_SECONDS = 60.0


class StaffGate:
    def __init__(self, support_chat_id: int) -> None:
        self.support_chat_id = support_chat_id
        self._seen: dict[int, tuple[bool, float]] = {}

    async def staff(self, bot: Bot, user: User | None) -> Staff | None:
        """The user as staff, or None when they are not in the support group."""
        if user is None or user.is_bot:
            return None
        cached = self._seen.get(user.id)
        if cached is None or time.monotonic() - cached[1] > CACHE_SECONDS:
            cached = (await self._is_member(bot, user.id), time.monotonic())
            self._seen[user.id] = cached
        return Staff(user.id, user.full_name) if cached[0] else None

    async def _is_member(self, bot: Bot, user_id: int) -> bool:
        try:
            member = await bot.get_chat_member(self.support_chat_id, user_id)
        except TelegramAPIError:
            return False
        status = getattr(member, "status", "")
        return status in MEMBER_STATUSES or bool(getattr(member, "is_member", False))
