"""Bot API methods about chats and the bot's command menu, for the fake Telegram."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.telegram_models import CallContext, FakeChat
from tests.fakes.telegram_rules import bad_request, check_commands, require, require_int
from tests.fakes.telegram_state import World

ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
}
NO_GIFTS = dict.fromkeys(
    (
        "unlimited_gifts",
        "limited_gifts",
        "unique_gifts",
        "premium_subscription",
        "gifts_from_channels",
    ),
    False,
)


class ChatMethods:
    """getChat, getChatMember, getChatAdministrators and the *MyCommands methods."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}

    def handlers(self) -> dict[str, Any]:
        return {
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
        }

    @staticmethod
    def _commands_key(p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    async def set_my_commands(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self.commands[self._commands_key(p)] = check_commands(require(p, "commands"))
        return True

    async def get_my_commands(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return self.commands.get(self._commands_key(p), [])

    async def delete_my_commands(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self.commands.pop(self._commands_key(p), None)
        return True

    async def get_chat(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        chat = self.world.resolve_chat(require(p, "chat_id"))
        return {
            **chat.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": NO_GIFTS,
        }

    def _member(self, chat: FakeChat, user_id: int) -> dict[str, Any]:
        if user_id == self.world.bot_id:
            user, status = self.world.bot_user(), "administrator" if chat.user is None else "member"
        else:
            known = self.world.users.get(user_id)
            user = (
                known.to_dict()
                if known
                else {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": f"User {user_id}",
                }
            )
            status = chat.members.get(user_id, "left")
        if status == "creator":
            return {"status": status, "user": user, "is_anonymous": False}
        if status == "administrator":
            return {"status": status, "user": user, **ADMIN_RIGHTS}
        return {"status": status, "user": user}

    async def get_chat_member(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        chat = self.world.resolve_chat(require(p, "chat_id"))
        return self._member(chat, require_int(p, "user_id", "user not found"))

    async def get_chat_administrators(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        chat = self.world.resolve_chat(require(p, "chat_id"))
        if chat.user is not None:
            raise bad_request("there are no administrators in the private chat")
        return [
            self._member(chat, user_id)
            for user_id, status in chat.members.items()
            if status in {"creator", "administrator"}
        ]
