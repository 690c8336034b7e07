"""The fake Telegram's world: users, chats, messages and the updates waiting for the bot."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram_html import utf16_len
from tests.fakes.telegram_models import ChatMessage, FakeChat, FakeUser
from tests.fakes.telegram_rules import UploadedFile, bad_request

NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


class Pulse:
    """Wakes every waiter whenever anything in the fake changes."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        event = self._event  # taken before suspending, so no wake-up is lost
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(seconds, 0)):  # unlike wait_for, never eats a cancel
                await event.wait()


@dataclass(eq=False)
class PendingUpdate:
    update: dict[str, Any]
    forced: bool = False  # a redelivery: sent once whatever the offset
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next(key for key in self.update if key != "update_id")


class UpdateQueue:
    """Updates waiting for the bot, with Telegram's offset confirmation rules."""

    def __init__(self, first_update_id: int) -> None:
        self._ids = itertools.count(first_update_id)
        self._pending: list[PendingUpdate] = []
        self.history: dict[int, dict[str, Any]] = {}
        self.allowed: set[str] | None = None

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update_id = next(self._ids)
        update: dict[str, Any] = {"update_id": update_id, kind: payload}
        self.history[update_id] = update
        self._pending.append(PendingUpdate(update))
        return update

    def redeliver(self, update_id: int) -> dict[str, Any]:
        update = self.history[update_id]
        self._pending.append(PendingUpdate(update, forced=True))
        return update

    def set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is not None:
            self.allowed = set(allowed) or None

    def _is_allowed(self, item: PendingUpdate) -> bool:
        if self.allowed is None:
            return item.kind not in NOT_BY_DEFAULT
        return item.kind in self.allowed

    def confirm(self, offset: int | None) -> None:
        """Forget updates below offset (a negative offset keeps only the last -offset)."""
        if offset is None:
            return
        if offset < 0:
            keep = {id(p) for p in self._pending[offset:]}
            self._pending = [p for p in self._pending if id(p) in keep or p.forced]
            return
        self._pending = [
            p for p in self._pending if p.update_id >= offset or (p.forced and not p.delivered)
        ]

    def take(self, limit: int) -> list[PendingUpdate]:
        self._pending = [p for p in self._pending if self._is_allowed(p)]
        return sorted(self._pending, key=lambda p: p.update_id)[:limit]

    def next_for_webhook(self) -> PendingUpdate | None:
        batch = self.take(1)
        return batch[0] if batch else None

    def remove(self, item: PendingUpdate) -> None:
        if item in self._pending:
            self._pending.remove(item)

    def drop_all(self) -> None:
        self._pending.clear()

    @property
    def pending(self) -> list[dict[str, Any]]:
        return [p.update for p in self._pending]


class World:
    """Users, chats and messages as Telegram's servers would hold them."""

    def __init__(self, bot_id: int, bot_username: str, first_update_id: int) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.updates = UpdateQueue(first_update_id)
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.files: dict[str, UploadedFile] = {}
        self.pulse = Pulse()
        self._ids = itertools.count(1)

    def bot_user(self, bot_id: int | None = None) -> dict[str, Any]:
        return {
            "id": bot_id or self.bot_id,
            "is_bot": True,
            "first_name": "Survey Bot",
            "username": self.bot_username,
        }

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}{self.bot_id}"

    # ----- set-up by tests -------------------------------------------------------------

    def add_user(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        self.chats[user.id] = FakeChat(user.id, "private", user=user, members={user.id: "member"})
        self.pulse.notify()
        return user

    def add_group(self, chat: FakeChat) -> FakeChat:
        for user_id in chat.members:
            if user_id not in self.users:
                self.add_user(FakeUser(user_id, f"User {user_id}", started=False))
        self.chats[chat.id] = chat
        self.pulse.notify()
        return chat

    def user(self, user_id: int) -> FakeUser:
        if user_id not in self.users:
            raise AssertionError(f"user {user_id} is unknown to the fake; call add_user first")
        return self.users[user_id]

    def chat_for(self, user_id: int, chat_id: int | None) -> FakeChat:
        chat = self.chats.get(user_id if chat_id is None else chat_id)
        if chat is None:
            raise AssertionError(f"chat {chat_id} is unknown to the fake")
        if chat.members.get(user_id, "left") == "left" and not chat.public:
            raise AssertionError(f"user {user_id} is not a member of chat {chat.id}")
        return chat

    # ----- messages --------------------------------------------------------------------

    def resolve_chat(self, chat_id: Any) -> FakeChat:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for user in self.users.values():
                if user.username and user.username.lower() == chat_id[1:].lower():
                    return self.chats[user.id]
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def add_message(self, chat: FakeChat, **fields: Any) -> ChatMessage:
        message = ChatMessage(
            message_id=chat.next_message_id, chat_id=chat.id, date=int(time.time()), **fields
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        return message

    def message_dict(self, msg: ChatMessage, *, with_reply: bool = True) -> dict[str, Any]:
        chat = self.chats[msg.chat_id]
        sender = self.bot_user() if msg.from_bot else self.users[msg.sender_id].to_dict()
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": sender,
            "chat": chat.to_dict(),
            "date": msg.date,
        }
        if msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        if msg.media:
            data.update(self._media_dict(msg))
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        target = chat.messages.get(msg.reply_to_message_id or 0)
        if with_reply and target is not None:
            data["reply_to_message"] = self.message_dict(target, with_reply=False)
        if msg.edit_date:
            data["edit_date"] = msg.edit_date
        return data

    def _media_dict(self, msg: ChatMessage) -> dict[str, Any]:
        size = len(msg.file.data) if msg.file else 0
        ids = {"file_id": msg.file_id, "file_unique_id": f"u{msg.file_id}", "file_size": size}
        data: dict[str, Any] = {}
        if msg.media == "photo":
            data["photo"] = [{**ids, "width": 512, "height": 512}]
        else:
            name = msg.file.filename if msg.file else "document"
            mime = msg.file.content_type if msg.file else "application/octet-stream"
            data["document"] = {**ids, "file_name": name, "mime_type": mime}
        if msg.caption:
            data["caption"] = msg.caption
            if msg.entities:
                data["caption_entities"] = msg.entities
        return data

    # ----- what users do ---------------------------------------------------------------

    def user_sends(
        self, user_id: int, text: str, chat_id: int | None, reply_to_message_id: int | None
    ) -> dict[str, Any]:
        user = self.user(user_id)
        chat = self.chat_for(user_id, chat_id)
        if chat.members.get(user_id, "left") == "left" and chat.user is None:
            raise AssertionError(f"user {user_id} cannot post in {chat.id} without joining it")
        if chat.user is not None:
            if user.blocked:
                self.set_blocked(user_id, blocked=False, notify=True)
            user.started = True
        if reply_to_message_id is not None and reply_to_message_id not in chat.messages:
            raise AssertionError(f"no message {reply_to_message_id} in chat {chat.id} to reply to")
        if not text:
            raise AssertionError("Telegram users cannot send an empty message")
        entities = []
        if command := _COMMAND_RE.match(text):
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command[0])})
        msg = self.add_message(
            chat,
            from_bot=False,
            sender_id=user_id,
            text=text,
            raw_text=text,
            entities=entities,
            reply_to_message_id=reply_to_message_id,
        )
        message = self.message_dict(msg)
        self.updates.push("message", message)
        self.pulse.notify()
        return message

    def user_presses(
        self, user_id: int, message_id: int, callback_data: str, chat_id: int | None
    ) -> str:
        user = self.user(user_id)
        chat = self.chat_for(user_id, chat_id)
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted or not msg.from_bot:
            raise AssertionError(f"no bot message {message_id} in chat {chat.id}")
        available = [data for row in msg.buttons for _, data in row]
        if callback_data not in available:
            raise AssertionError(
                f"message {message_id} in chat {chat.id} has no button with callback_data "
                f"{callback_data!r}; buttons: {msg.buttons}"
            )
        query_id = self.new_id("cq")
        self.callback_queries[query_id] = {
            "user_id": user_id,
            "chat_id": chat.id,
            "message_id": message_id,
            "data": callback_data,
            "answered": False,
        }
        self.updates.push(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_dict(),
                "message": self.message_dict(msg),
                "chat_instance": str(abs(chat.id) * 7919 % 10**12),
                "data": callback_data,
            },
        )
        self.pulse.notify()
        return query_id

    def set_blocked(self, user_id: int, *, blocked: bool, notify: bool) -> None:
        user = self.user(user_id)
        if user.blocked == blocked:
            return
        user.blocked = blocked
        if notify:
            bot = self.bot_user()
            member = {"status": "member", "user": bot}
            kicked = {"status": "kicked", "user": bot, "until_date": 0}
            self.updates.push(
                "my_chat_member",
                {
                    "chat": self.chats[user_id].to_dict(),
                    "from": user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": member if blocked else kicked,
                    "new_chat_member": kicked if blocked else member,
                },
            )
        self.pulse.notify()
