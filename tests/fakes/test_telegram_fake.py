"""The fake Telegram Bot API, driven by a real aiogram Bot."""

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)

from tests.fakes.conftest import LAN, ManualClock
from tests.fakes.telegram import FakeTelegram, RateLimits

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


# ----- the basics ---------------------------------------------------------------------


async def test_get_me_returns_the_bot_of_the_token(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.first_name) == (fake.bot_id, True, "Survey Bot")
    assert me.username == "surveybot_test_bot"


async def test_malformed_token_is_unauthorized_and_unknown_method_not_found(
    fake: FakeTelegram,
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake.base_url}/botnot-a-token/getMe") as resp:
            assert (resp.status, await resp.json()) == (
                401,
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
            )
        async with http.post(f"{fake.base_url}/bot{fake.token}/sendTelepathy") as resp:
            assert (resp.status, (await resp.json())["description"]) == (404, "Not Found")
        async with http.get(f"{fake.base_url}/file/bot{fake.token}/photos/1.jpg") as resp:
            assert resp.status == 404


async def test_json_bodies_and_query_strings_are_accepted(fake: FakeTelegram) -> None:
    url = f"{fake.base_url}/bot{fake.token}/sendMessage"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"chat_id": LAN, "text": "json"}) as resp:
            assert (await resp.json())["result"]["text"] == "json"
        async with http.get(url, params={"chat_id": str(LAN), "text": "query"}) as resp:
            assert (await resp.json())["result"]["text"] == "query"

    assert [m.text for m in fake.chat(LAN)] == ["json", "query"]


async def test_send_message_is_recorded_with_json_fields_decoded(
    fake: FakeTelegram, bot: Bot
) -> None:
    await bot.send_message(
        LAN,
        "<b>Cảm ơn</b> bạn!",
        parse_mode="HTML",
        disable_notification=True,
        reply_markup=keyboard([("Có", "yes"), ("Không", "no")]),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )

    call = fake.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == LAN
    assert call.params["disable_notification"] is True
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert call.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "no"
    msg = fake.last_message(LAN)
    assert (msg.text, msg.raw_text, msg.parse_mode) == ("Cảm ơn bạn!", "<b>Cảm ơn</b> bạn!", "HTML")
    assert fake.buttons(msg) == [[("Có", "yes"), ("Không", "no")]]
    assert msg.disable_notification is True
    assert fake.rejected == []


async def test_reply_parameters_point_at_an_existing_message(fake: FakeTelegram, bot: Bot) -> None:
    asked = fake.user_sends(LAN, "Khi nào giao hàng?")

    sent = await bot.send_message(
        LAN, "Ngày mai", reply_parameters=ReplyParameters(message_id=asked["message_id"])
    )

    assert sent.reply_to_message.text == "Khi nào giao hàng?"
    assert fake.last_message(LAN).reply_to_message_id == asked["message_id"]
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(LAN, "?", reply_to_message_id=999)


# ----- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("x" * 4097, None, "message is too long"),
        ("   \n ", None, "message text is empty"),
        ("<b></b>", "HTML", "message text is empty"),
        ("<b>oops", "HTML", "can't parse entities: Can't find end tag"),
        ("1 < 2", "HTML", "can't parse entities: Unsupported start tag"),
        ("Tom & Jerry", "HTML", 'can\'t parse entities: Unescaped "&"'),
        ("<i><b>x</i></b>", "HTML", "can't parse entities: Unmatched end tag"),
        ('<a href="https://x.vn" rel="x">x</a>', "HTML", "Unsupported attribute"),
        ("x", "Textile", "unsupported parse_mode"),
    ],
    ids=[
        "too-long",
        "blank",
        "empty-html",
        "unclosed",
        "bare-lt",
        "bare-amp",
        "misnested",
        "attribute",
        "parse-mode",
    ],
)
async def test_text_telegram_would_refuse_is_refused_and_recorded(
    fake: FakeTelegram, bot: Bot, text: str, parse_mode: str | None, error: str
) -> None:
    with pytest.raises(TelegramBadRequest, match=error):
        await bot.send_message(LAN, text, parse_mode=parse_mode)

    assert fake.chat(LAN) == []
    assert [(r.method, r.status) for r in fake.rejected] == [("sendMessage", 400)]
    assert fake.rejected[0].params["text"] == text


async def test_length_is_measured_on_the_visible_text(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(LAN, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")

    assert len(fake.last_message(LAN).text) == 4096


async def test_caption_over_1024_characters_is_refused(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(LAN, BufferedInputFile(PNG, "a.png"), caption="x" * 1025)


@pytest.mark.parametrize(
    ("data", "accepted"),
    [("x" * 64, True), ("x" * 65, False), ("ă" * 33, False), ("", False)],
    ids=["64-bytes", "65-bytes", "66-utf8-bytes", "empty"],
)
async def test_callback_data_must_be_1_to_64_bytes(
    fake: FakeTelegram, bot: Bot, data: str, accepted: bool
) -> None:
    send = bot.send_message(LAN, "?", reply_markup=keyboard([("ok", data)]))
    if accepted:
        await send
        return
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await send


@pytest.mark.parametrize(
    ("button", "error"),
    [
        ({"text": "", "callback_data": "a"}, "BUTTON_TEXT_INVALID"),
        ({"text": "a"}, "Text buttons are unallowed in the inline keyboard"),
        ({"text": "a", "callback_data": "a", "url": "https://x.vn"}, "exactly one"),
        ({"text": "a", "url": "javascript:alert(1)"}, "BUTTON_URL_INVALID"),
    ],
    ids=["empty-text", "no-action", "two-actions", "bad-url"],
)
async def test_malformed_buttons_are_refused(bot: Bot, button: dict[str, str], error: str) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(**button)]])

    with pytest.raises(TelegramBadRequest, match=error):
        await bot.send_message(LAN, "?", reply_markup=markup)


async def test_more_than_100_buttons_are_refused(bot: Bot) -> None:
    rows = [[(str(i), str(i))] for i in range(101)]

    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await bot.send_message(LAN, "?", reply_markup=keyboard(*rows))


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "hello")


async def test_a_user_who_blocked_the_bot_gives_403(fake: FakeTelegram, bot: Bot) -> None:
    fake.block(LAN)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(LAN, "Bạn ơi?")

    update = (await bot.get_updates())[0]
    assert update.my_chat_member.new_chat_member.status == "kicked"
    fake.unblock(LAN, notify=False)
    await bot.send_message(LAN, "Bạn ơi?")


async def test_the_bot_cannot_write_first_to_a_user_who_never_started_it(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.add_user(222, "Minh", started=False)

    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(222, "Xin chào")

    fake.user_sends(222, "/start")
    await bot.send_message(222, "Xin chào")


# ----- edits, deletes, callbacks ------------------------------------------------------


async def test_edits_are_applied_to_the_chat(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(LAN, "Câu 1/3", reply_markup=keyboard([("5", "r:5")]))

    edited = await bot.edit_message_text(
        "<i>Cảm ơn!</i>", chat_id=LAN, message_id=sent.message_id, parse_mode="HTML"
    )

    assert edited.edit_date is not None
    msg = fake.chat(LAN)[0]
    assert (msg.text, msg.history, msg.entities) == (
        "Cảm ơn!",
        ["Câu 1/3"],
        [{"type": "italic", "offset": 0, "length": 7}],
    )
    assert msg.reply_markup is None  # an edit without reply_markup drops the keyboard


async def test_an_identical_edit_is_not_modified(fake: FakeTelegram, bot: Bot) -> None:
    markup = keyboard([("5", "r:5")])
    sent = await bot.send_message(LAN, "<b>Câu 1</b>", parse_mode="HTML", reply_markup=markup)

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<b>Câu 1</b>",
            chat_id=LAN,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=LAN, message_id=sent.message_id, reply_markup=markup
        )
    await bot.edit_message_reply_markup(chat_id=LAN, message_id=sent.message_id)
    assert fake.last_message(LAN).reply_markup is None


async def test_editing_a_missing_message_is_refused(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=LAN, message_id=42)


async def test_deleted_messages_stay_in_the_log_flagged(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(LAN, "tạm thời")

    assert await bot.delete_message(LAN, sent.message_id) is True

    assert fake.chat(LAN)[0].deleted and fake.last_message(LAN) is None
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(LAN, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=LAN, message_id=sent.message_id)


async def test_a_button_press_reaches_the_bot_and_is_answered_once(
    fake: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(LAN, "Hài lòng?", reply_markup=keyboard([("👍", "csat:5")]))

    query_id = fake.user_presses(LAN, sent.message_id, "csat:5")

    query = (await bot.get_updates())[0].callback_query
    assert (query.id, query.data, query.message.message_id) == (query_id, "csat:5", sent.message_id)
    assert await bot.answer_callback_query(query_id, text="Đã ghi nhận") is True
    assert fake.callback_answers[query_id].text == "Đã ghi nhận"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)


async def test_pressing_a_button_that_is_not_there_fails_the_test(
    fake: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(LAN, "Hài lòng?", reply_markup=keyboard([("👍", "csat:5")]))

    with pytest.raises(AssertionError, match="no button with callback_data 'csat:1'"):
        fake.user_presses(LAN, sent.message_id, "csat:1")


# ----- updates ------------------------------------------------------------------------


async def test_commands_get_a_bot_command_entity(fake: FakeTelegram, bot: Bot) -> None:
    fake.user_sends(LAN, "/start order-42")
    fake.user_sends(LAN, "/help@surveybot_test_bot")
    fake.user_sends(LAN, "không phải lệnh")

    messages = [u.message for u in await bot.get_updates()]

    assert [(e.type, e.offset, e.length) for e in messages[0].entities] == [("bot_command", 0, 6)]
    assert messages[1].entities[0].length == len("/help@surveybot_test_bot")
    assert messages[2].entities is None


async def test_long_polling_returns_an_update_queued_while_waiting(
    fake: FakeTelegram, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda f: f.polling, timeout=2)
    started = time.monotonic()

    fake.user_sends(LAN, "xin chào")

    updates = await poll
    assert [u.message.text for u in updates] == ["xin chào"]
    assert time.monotonic() - started < 1


async def test_offset_confirms_updates_and_limit_caps_the_batch(
    fake: FakeTelegram, bot: Bot
) -> None:
    for text in ("1", "2", "3"):
        fake.user_sends(LAN, text)

    first = await bot.get_updates(limit=2)
    rest = await bot.get_updates(offset=first[-1].update_id + 1)

    assert [u.message.text for u in first + rest] == ["1", "2", "3"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == []
    assert fake.pending_updates == []


async def test_a_redelivered_update_keeps_its_update_id(fake: FakeTelegram, bot: Bot) -> None:
    fake.user_sends(LAN, "5")
    original = (await bot.get_updates())[0]
    assert await bot.get_updates(offset=original.update_id + 1) == []

    fake.redeliver(original.update_id)

    again = await bot.get_updates(offset=original.update_id + 1)
    assert [u.update_id for u in again] == [original.update_id]
    assert again[0].message == original.message
    assert await bot.get_updates(offset=original.update_id + 1) == []


async def test_allowed_updates_drop_other_kinds(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(LAN, "?", reply_markup=keyboard([("ok", "ok")]))
    fake.user_sends(LAN, "text")
    fake.user_presses(LAN, sent.message_id, "ok")

    updates = await bot.get_updates(allowed_updates=["callback_query"])

    assert [u.callback_query.data for u in updates] == ["ok"]


async def test_a_second_poller_ends_the_first_with_409(fake: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda f: f.polling, timeout=2)

    second = asyncio.create_task(bot.get_updates(timeout=10))

    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    fake.user_sends(LAN, "hi")
    assert len(await second) == 1


# ----- media, commands, chats ---------------------------------------------------------


async def test_uploads_are_recorded_with_their_bytes(fake: FakeTelegram, bot: Bot) -> None:
    photo = await bot.send_photo(
        LAN, BufferedInputFile(PNG, "qr.png"), caption="<b>QR</b>", parse_mode="HTML"
    )
    await bot.send_document(LAN, BufferedInputFile(b"a,b\n1,2\n", "answers.csv"))
    await bot.send_photo(LAN, photo.photo[0].file_id)

    first, document, again = fake.chat(LAN)
    assert (first.media, first.file.data, first.caption) == ("photo", PNG, "QR")
    assert (document.file.filename, document.file.data) == ("answers.csv", b"a,b\n1,2\n")
    assert again.file == first.file
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(LAN, BufferedInputFile(b"not an image", "x.png"))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(LAN, "no-such-file-id")


async def test_bot_commands_are_stored_per_scope_and_language(bot: Bot) -> None:
    await bot.set_my_commands(
        [BotCommand(command="start", description="Bắt đầu")], language_code="vi"
    )

    assert [c.command for c in await bot.get_my_commands(language_code="vi")] == ["start"]
    assert await bot.get_my_commands() == []
    await bot.delete_my_commands(language_code="vi")
    assert await bot.get_my_commands(language_code="vi") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start-Now", description="x")])


async def test_chat_members_have_their_group_roles(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_group(-100500, "Shop staff", members=[LAN], admins=[222], owner=333)

    statuses = [(await bot.get_chat_member(-100500, uid)).status for uid in (LAN, 222, 333, 4)]
    admins = await bot.get_chat_administrators(-100500)
    chat = await bot.get_chat(-100500)

    assert statuses == ["member", "administrator", "creator", "left"]
    assert sorted(a.user.id for a in admins) == [222, 333]
    assert (chat.type, chat.title) == ("supergroup", "Shop staff")
    await bot.send_chat_action(-100500, "typing")


# ----- flood limits and faults --------------------------------------------------------


async def test_private_chat_flood_limit_gives_429_with_retry_after(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    fake.rate_limits = RateLimits(private_chat_messages_per_second=1)
    await bot.send_message(LAN, "1")

    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(LAN, "2")

    assert refused.value.retry_after == 1
    assert fake.too_many_requests == 1
    clock.advance(1.0)
    await bot.send_message(LAN, "2")


async def test_group_limit_is_a_sliding_minute_shortened_by_rate_scale(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    fake.add_group(-100500, "Shop staff", members=[LAN])
    fake.rate_limits = RateLimits(group_messages_per_minute=2, scale=10)  # 2 per 6 s
    await bot.send_message(-100500, "1")
    clock.advance(3)
    await bot.send_message(-100500, "2")

    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(-100500, "3")

    assert refused.value.retry_after == 3
    clock.advance(3)
    await bot.send_message(-100500, "3")


async def test_overall_limit_counts_every_chat(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    fake.add_user(222, "Minh")
    fake.rate_limits = RateLimits(messages_per_second=2)
    await bot.send_message(LAN, "1")
    await bot.send_message(222, "1")

    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(LAN, "2")
    assert [r.status for r in fake.rejected] == [429]


async def test_injected_faults_fail_the_next_calls_only(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", 500, times=2)
    fake.fail_next("sendMessage", 429, retry_after=7, chat_id=LAN)

    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(LAN, "x")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(LAN, "x")
    await bot.send_message(LAN, "x")

    assert refused.value.retry_after == 7
    assert [f.status for f in fake.injected_faults] == [500, 500, 429]
    assert fake.rejected == [] and len(fake.chat(LAN)) == 1


async def test_a_processed_fault_delivers_the_message_but_loses_the_answer(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.fail_next("sendMessage", 502, processed=True)

    with pytest.raises(TelegramServerError):
        await bot.send_message(LAN, "x")

    assert [m.text for m in fake.chat(LAN)] == ["x"]


async def raw_send(fake: FakeTelegram) -> tuple[int, str, str]:
    """sendMessage over plain HTTP: status, content type and body as they come."""
    url = f"{fake.base_url}/bot{fake.token}/sendMessage"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json={"chat_id": LAN, "text": "x"}) as response,
    ):
        return response.status, response.content_type, await response.text()


async def test_a_429_without_retry_after_carries_no_parameters(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 429)

    status, _, body = await raw_send(fake)

    assert status == 429
    assert "parameters" not in body and "Too Many Requests" in body
    assert fake.too_many_requests == 1


async def test_a_proxy_error_page_is_html_not_json(fake: FakeTelegram) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    fake.fail_next("sendMessage", 502, body=page)

    assert await raw_send(fake) == (502, "text/html", page)
    assert fake.chat(LAN) == []


async def test_a_request_stalled_past_the_clients_patience_never_arrives(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.stall_next("sendMessage", 0.5)

    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(LAN, "x", request_timeout=0.1)

    await fake.wait_for(lambda f: f.injected_faults, timeout=5)
    assert fake.chat(LAN) == [] and fake.calls_to("sendMessage") == []


async def test_a_stall_the_client_waits_out_is_only_slow(fake: FakeTelegram, bot: Bot) -> None:
    fake.stall_next("sendMessage", 0.1)

    await bot.send_message(LAN, "x", request_timeout=5)

    assert [m.text for m in fake.chat(LAN)] == ["x"] and fake.injected_faults == []


async def test_a_stalled_answer_after_processing_still_delivers(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.stall_next("sendMessage", 0.5, processed=True)

    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(LAN, "x", request_timeout=0.1)

    assert [m.text for m in fake.chat(LAN)] == ["x"]
    await fake.wait_for(lambda f: f.injected_faults, timeout=5)


async def test_delay_slows_one_method_down(fake: FakeTelegram, bot: Bot) -> None:
    fake.delay("getMe", 0.05)
    started = time.monotonic()

    await bot.get_me()

    assert time.monotonic() - started >= 0.05


# ----- waiting ------------------------------------------------------------------------


async def test_wait_for_message_returns_once_the_bot_writes(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(LAN, "Câu hỏi 1")
    reply = asyncio.create_task(bot.send_message(LAN, "Cảm ơn bạn đã đánh giá!"))

    msg = await fake.wait_for_message(LAN, contains="đánh giá", timeout=2, after=1)

    assert msg.message_id == (await reply).message_id == 2


async def test_a_timed_out_wait_shows_the_chat_log(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(LAN, "Câu hỏi 1", reply_markup=keyboard([("Có", "y")]))

    with pytest.raises(AssertionError, match=r"(?s)timed out.*#1 bot: 'Câu hỏi 1'.*\['Có'\]"):
        await fake.wait_for_message(LAN, contains="Câu hỏi 2", timeout=0.05)
