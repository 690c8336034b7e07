"""The Bot API methods of the fake Telegram, implemented on a `World`.

Each handler takes (ctx, params) and returns the `result` of the response envelope, or
raises `ApiError` the way Telegram would refuse the call.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.telegram_chat_methods import ChatMethods
from tests.fakes.telegram_limits import RateLimiter
from tests.fakes.telegram_models import CallbackAnswer, CallContext, ChatMessage, FakeChat
from tests.fakes.telegram_rules import (
    CHAT_ACTIONS,
    NOT_MODIFIED,
    ApiError,
    UploadedFile,
    bad_request,
    check_image,
    check_reply_markup,
    render_text,
    require,
    require_int,
)
from tests.fakes.telegram_state import World
from tests.fakes.telegram_webhook import WebhookConfig

Handler = Callable[["CallContext", dict[str, Any]], Awaitable[Any]]
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLLING_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
MAX_UPLOAD = {"photo": 10 * 2**20, "document": 50 * 2**20}
FILE_ID_PREFIX = {"photo": "AgAC", "document": "BQAC"}


class BotApi:
    def __init__(self, world: World, *, strict_html: bool) -> None:
        self.world = world
        self.strict_html = strict_html
        self.limiter: RateLimiter | None = None
        self.webhook: WebhookConfig | None = None
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.chats = ChatMethods(world)
        self.stopping = False
        self.waiting_polls = 0  # getUpdates calls currently long-polling
        self._poll_generation = 0
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "close": self.always_true,
            "logOut": self.always_true,
        }
        handlers.update(self.chats.handlers())
        self._handlers = {name.lower(): (name, fn) for name, fn in handlers.items()}

    def canonical(self, method: str) -> str | None:
        """The method's official spelling (Telegram ignores case), or None if unknown."""
        found = self._handlers.get(method.lower())
        return found[0] if found else None

    async def call(self, ctx: CallContext, method: str, params: dict[str, Any]) -> Any:
        return await self._handlers[method.lower()][1](ctx, params)

    # ----- bot and updates -------------------------------------------------------------

    async def get_me(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return {
            **self.world.bot_user(ctx.bot_id),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def always_true(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return True

    async def get_updates(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        updates = self.world.updates
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = max(int(p.get("timeout") or 0), 0)
        updates.set_allowed(p.get("allowed_updates"))
        updates.confirm(p.get("offset"))
        self._poll_generation += 1
        generation = self._poll_generation
        self.world.pulse.notify()  # an older long poll ends with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (batch := updates.take(limit)):
            remaining = deadline - loop.time()
            if remaining <= 0 or self.stopping or not ctx.connected():
                break
            self.waiting_polls += 1
            try:
                await self.world.pulse.wait(remaining)
            finally:
                self.waiting_polls -= 1
            if generation != self._poll_generation:
                raise ApiError(409, POLLING_CONFLICT)
            if self.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
        if ctx.connected():
            for item in batch:
                item.delivered = True
        return [item.update for item in batch]

    async def set_webhook(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        url = p.get("url") or ""
        if not url:
            return await self.delete_webhook(ctx, p)
        if not re.match(r"https?://[^/\s]+", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self.world.updates.drop_all()
        self.world.updates.set_allowed(p.get("allowed_updates"))
        self.webhook = WebhookConfig(
            url, secret, ctx.token, int(p.get("max_connections") or 40), p.get("allowed_updates")
        )
        self.world.pulse.notify()
        return True

    async def delete_webhook(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if p.get("drop_pending_updates"):
            self.world.updates.drop_all()
        self.webhook = None
        self.world.pulse.notify()
        return True

    async def get_webhook_info(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        pending = len(self.world.updates.pending)
        if self.webhook is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
        return self.webhook.info(pending)

    # ----- sending ---------------------------------------------------------------------

    def _writable_chat(self, p: dict[str, Any]) -> FakeChat:
        chat = self.world.resolve_chat(require(p, "chat_id"))
        if chat.user is not None and chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.user is not None and not chat.user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _reply_target(self, chat: FakeChat, p: dict[str, Any]) -> int | None:
        reply = p.get("reply_parameters") or {}
        message_id = reply.get("message_id") or p.get("reply_to_message_id")
        if not message_id:
            return None
        target = chat.messages.get(int(message_id))
        if target is None or target.deleted:
            if reply.get("allow_sending_without_reply") or p.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return int(message_id)

    def _send(self, ctx: CallContext, chat: FakeChat, p: dict[str, Any], **fields: Any) -> Any:
        """Common tail of send*: reply target, flood limits, then the message exists."""
        markup = check_reply_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat, p)
        if self.limiter is not None:
            self.limiter.check(chat.id)
        msg = self.world.add_message(
            chat,
            from_bot=True,
            sender_id=ctx.bot_id,
            parse_mode=p.get("parse_mode"),
            reply_markup=markup,
            reply_to_message_id=reply_to,
            disable_notification=bool(p.get("disable_notification")),
            link_preview_options=p.get("link_preview_options"),
            message_thread_id=p.get("message_thread_id"),
            **fields,
        )
        return self.world.message_dict(msg)

    async def send_message(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        chat = self._writable_chat(p)
        text, entities = render_text(
            p.get("text"), p.get("parse_mode"), p.get("entities"), strict_html=self.strict_html
        )
        return self._send(ctx, chat, p, text=text, raw_text=p.get("text"), entities=entities)

    async def send_photo(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return await self._send_media(ctx, p, "photo")

    async def send_document(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return await self._send_media(ctx, p, "document")

    async def _send_media(self, ctx: CallContext, p: dict[str, Any], kind: str) -> Any:
        chat = self._writable_chat(p)
        file, file_id = self._input_file(p.get(kind), kind)
        caption, entities = render_text(
            p.get("caption"),
            p.get("parse_mode"),
            p.get("caption_entities"),
            strict_html=self.strict_html,
            caption=True,
        )
        return self._send(
            ctx,
            chat,
            p,
            caption=caption or None,
            raw_text=p.get("caption"),
            entities=entities,
            media=kind,
            file=file,
            file_id=file_id,
        )

    def _input_file(self, value: Any, kind: str) -> tuple[UploadedFile | None, str]:
        if isinstance(value, UploadedFile):
            if kind == "photo":
                check_image(value.data)
            elif not value.data:
                raise bad_request("file must be non-empty")
            if len(value.data) > MAX_UPLOAD[kind]:
                raise ApiError(413, "Request Entity Too Large")
            file_id = self.world.new_id(FILE_ID_PREFIX[kind])
            self.world.files[file_id] = value
            return value, file_id
        if isinstance(value, str) and value in self.world.files:
            return self.world.files[value], value
        if isinstance(value, str) and re.match(r"https?://\S+$", value):
            return None, self.world.new_id(FILE_ID_PREFIX[kind])
        if value:
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {kind} in the request")

    async def send_chat_action(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._writable_chat(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # ----- editing and deleting --------------------------------------------------------

    def _editable(self, p: dict[str, Any]) -> ChatMessage:
        if p.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._writable_chat(p)
        message_id = require_int(p, "message_id", "message identifier is not specified")
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise bad_request("message to edit not found")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return msg

    def _apply_edit(self, msg: ChatMessage, markup: Any, **fields: Any) -> Any:
        changed = {key: value for key, value in fields.items() if getattr(msg, key) != value}
        if not changed and markup == msg.reply_markup:
            raise bad_request(NOT_MODIFIED)
        if changed.keys() & {"text", "caption"}:
            msg.history.append(msg.content)
        for key, value in changed.items():
            setattr(msg, key, value)
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        return self.world.message_dict(msg)

    async def edit_message_text(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        msg = self._editable(p)
        if msg.media:
            raise bad_request("there is no text in the message to edit")
        text, entities = render_text(
            p.get("text"), p.get("parse_mode"), p.get("entities"), strict_html=self.strict_html
        )
        markup = check_reply_markup(p.get("reply_markup"), inline_only=True)
        result = self._apply_edit(msg, markup, text=text, entities=entities)
        msg.raw_text, msg.parse_mode = p.get("text"), p.get("parse_mode")
        return result

    async def edit_message_caption(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        msg = self._editable(p)
        if not msg.media:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = render_text(
            p.get("caption"),
            p.get("parse_mode"),
            p.get("caption_entities"),
            strict_html=self.strict_html,
            caption=True,
        )
        markup = check_reply_markup(p.get("reply_markup"), inline_only=True)
        result = self._apply_edit(msg, markup, caption=caption or None, entities=entities)
        msg.raw_text, msg.parse_mode = p.get("caption"), p.get("parse_mode")
        return result

    async def edit_message_reply_markup(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        msg = self._editable(p)
        markup = check_reply_markup(p.get("reply_markup"), inline_only=True)
        return self._apply_edit(msg, markup)

    async def delete_message(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        chat = self.world.resolve_chat(require(p, "chat_id"))
        message_id = require_int(p, "message_id", "message identifier is not specified")
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found")
        msg.deleted = True
        return True

    async def delete_messages(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        chat = self.world.resolve_chat(require(p, "chat_id"))
        ids = p.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a non-empty array of at most 100 ids")
        for message_id in ids:
            if (msg := chat.messages.get(int(message_id))) is not None:
                msg.deleted = True
        return True

    # ----- callbacks, commands, chats --------------------------------------------------

    async def answer_callback_query(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        query_id = str(p.get("callback_query_id") or "")
        query = self.world.callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.get("text")
        if text and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query["answered"] = True
        self.callback_answers[query_id] = CallbackAnswer(
            query_id, text, bool(p.get("show_alert")), p.get("url")
        )
        return True
