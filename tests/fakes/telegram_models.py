"""Plain records of the fake Telegram: who is there, what was said, what the bot called."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_rules import UploadedFile


@dataclass
class CallContext:
    """Who is calling: the token used and whether the HTTP client is still listening."""

    token: str
    bot_id: int
    connected: Callable[[], bool] = lambda: True


@dataclass
class ApiCall:
    """An accepted Bot API call; timestamp is time.monotonic()."""

    method: str
    params: dict[str, Any]
    timestamp: float
    result: Any = None


@dataclass
class Rejection:
    """A refused Bot API call and the error Telegram would give."""

    method: str
    params: dict[str, Any]
    timestamp: float
    status: int
    error: str
    retry_after: int | None = None


@dataclass
class CallbackAnswer:
    query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class FakeUser:
    id: int
    first_name: str
    language_code: str | None = "vi"
    username: str | None = None
    last_name: str | None = None
    started: bool = True  # has pressed Start, so the bot may write first
    blocked: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class ChatMessage:
    """One message in a chat, in its current state (edits applied)."""

    message_id: int
    chat_id: int
    from_bot: bool
    sender_id: int
    date: int
    text: str | None = None  # visible text, after entity parsing
    raw_text: str | None = None  # as the bot sent it (markup included)
    caption: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    disable_notification: bool = False
    link_preview_options: dict[str, Any] | None = None
    message_thread_id: int | None = None
    media: str | None = None  # "photo" or "document"
    file: UploadedFile | None = None
    file_id: str | None = None
    deleted: bool = False
    edit_date: int | None = None
    history: list[str] = field(default_factory=list)  # earlier versions of `content`

    @property
    def content(self) -> str:
        return self.text or self.caption or ""

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[(b["text"], b.get("callback_data")) for b in row] for row in rows]

    def describe(self) -> str:
        """One line for failure dumps."""
        who = "bot" if self.from_bot else f"user {self.sender_id}"
        marks = {"deleted": self.deleted, "edited": self.edit_date, str(self.media): self.media}
        flags = "".join(f" [{mark}]" for mark, on in marks.items() if on)
        line = f"  #{self.message_id} {who}{flags}: {self.content!r}"
        labels = [text for row in self.buttons for text, _ in row]
        return line + (f"  buttons: {labels}" if labels else "")


@dataclass
class FakeChat:
    id: int
    type: str
    title: str | None = None
    user: FakeUser | None = None
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    # A public supergroup can be read (and its buttons pressed) without joining it.
    public: bool = False
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    next_message_id: int = 1

    def to_dict(self) -> dict[str, Any]:
        if self.user is None:
            return {"id": self.id, "type": self.type, "title": self.title}
        data = {"id": self.id, "type": "private", "first_name": self.user.first_name}
        if self.user.username:
            data["username"] = self.user.username
        return data
