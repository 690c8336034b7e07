"""The support group: case card buttons, replies to the customer, /cases and /case."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.channels.telegram.callbacks import CaseButton
from bot.channels.telegram.staff import StaffGate
from bot.messaging.rich_text import popup_text
from bot.support.cases import CaseService
from bot.support.relay import CaseRelay


async def on_case_button(
    callback: CallbackQuery,
    callback_data: CaseButton,
    bot: Bot,
    staff_gate: StaffGate,
    cases: CaseService,
) -> None:
    staff = await staff_gate.staff(bot, callback.from_user)
    if staff is None:
        await callback.answer(popup_text(cases.cards.phrase("not_staff")), show_alert=True)
        return
    if callback_data.action == "claim":
        toast = await cases.claim(staff, callback_data.case)
    elif callback_data.action == "resolve":
        toast = await cases.resolve(staff, callback_data.case)
    else:
        toast = await cases.extra_action(staff, callback_data.case, callback_data.action)
    await callback.answer(popup_text(toast))


async def cmd_cases(message: Message, bot: Bot, staff_gate: StaffGate, cases: CaseService) -> None:
    if await staff_gate.staff(bot, message.from_user) is not None:
        await cases.post_open_cases()


async def cmd_case(
    message: Message, command: CommandObject, bot: Bot, staff_gate: StaffGate, cases: CaseService
) -> None:
    if await staff_gate.staff(bot, message.from_user) is None:
        return
    argument = (command.args or "").strip().lstrip("#")
    if not argument.isdigit():
        await cases.post_note(cases.cards.phrase("case_usage"))
        return
    await cases.post_case(int(argument))


async def on_reply(message: Message, bot: Bot, staff_gate: StaffGate, relay: CaseRelay) -> None:
    """A reply to one of the bot's messages: staff answering a customer."""
    assert message.reply_to_message is not None
    staff = await staff_gate.staff(bot, message.from_user)
    if staff is None:
        return
    await relay.from_staff(
        staff,
        message.chat.id,
        str(message.reply_to_message.message_id),
        message.text,
        str(message.message_id),
    )


def create_router(support_chat_id: int) -> Router:
    router = Router(name="support")
    in_support = F.chat.id == support_chat_id
    router.message.filter(in_support)
    router.callback_query.filter(F.message.chat.id == support_chat_id)
    router.callback_query.register(on_case_button, CaseButton.filter())
    router.message.register(cmd_cases, Command("cases"))
    router.message.register(cmd_case, Command("case"))
    router.message.register(on_reply, F.reply_to_message.from_user.is_bot)
    return router
