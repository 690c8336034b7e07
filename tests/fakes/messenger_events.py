"""The webhook events the fake Messenger sends, shaped as in /work/notes/messenger-rules.md §5.

Each function builds one `messaging` event; `envelope` wraps events in the `page` object, one
entry per event (Meta's reference) or all in one entry's `messaging` array (its 2026 page).
Timestamps are milliseconds. A feedback event carries no timestamp and no mid, as in Meta's
sample: the question id is the only link back to the template.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from tests.fakes.messenger_models import SentMessage


def new_mid() -> str:
    """A message id shaped like Meta's: "m_" and about 90 URL-safe characters."""
    return "m_" + secrets.token_urlsafe(66)


@dataclass(frozen=True)
class EventFactory:
    page_id: str
    app_id: str

    def _from_user(self, psid: str, ts: int) -> dict[str, Any]:
        return {"sender": {"id": psid}, "recipient": {"id": self.page_id}, "timestamp": ts}

    def text(self, psid: str, text: str, ts: int) -> dict[str, Any]:
        return self._from_user(psid, ts) | {"message": {"mid": new_mid(), "text": text}}

    def quick_reply(self, psid: str, title: str, payload: str, ts: int) -> dict[str, Any]:
        message = {"mid": new_mid(), "text": title, "quick_reply": {"payload": payload}}
        return self._from_user(psid, ts) | {"message": message}

    def postback(
        self, psid: str, title: str, payload: str, ts: int, referral: dict[str, str] | None = None
    ) -> dict[str, Any]:
        postback: dict[str, Any] = {"mid": new_mid(), "title": title, "payload": payload}
        if referral is not None:
            postback["referral"] = referral
        return self._from_user(psid, ts) | {"postback": postback}

    def referral(self, psid: str, ref: str, ts: int) -> dict[str, Any]:
        return self._from_user(psid, ts) | {"referral": shortlink(ref)}

    def feedback(
        self, psid: str, question_id: str, question_type: str, payload: str, comment: str | None
    ) -> dict[str, Any]:
        answer: dict[str, Any] = {"type": question_type, "payload": payload}
        if comment is not None:
            answer["follow_up"] = {"type": "free_form", "payload": comment}
        screens = [{"screen_id": 0, "questions": {question_id: answer}}]
        return {
            "sender": {"id": psid},
            "recipient": {"id": self.page_id},
            "messaging_feedback": {"feedback_screens": screens},
        }

    def read(self, psid: str, ts: int) -> dict[str, Any]:
        return self._from_user(psid, ts) | {"read": {"watermark": ts}}

    def echo(self, sent: SentMessage, ts: int) -> dict[str, Any]:
        """The page's copy of what it sent (message_echoes): sender is the page."""
        message: dict[str, Any] = {
            "is_echo": True,
            "app_id": int(self.app_id),
            "mid": sent.message_id,
        }
        if sent.content.metadata is not None:
            message["metadata"] = sent.content.metadata
        raw = sent.body.get("message", {})
        if "text" in raw:
            message["text"] = raw["text"]
        else:
            message["attachments"] = [raw["attachment"]]
        if "quick_replies" in raw:
            message["quick_replies"] = raw["quick_replies"]
        return {
            "sender": {"id": self.page_id},
            "recipient": {"id": sent.psid},
            "timestamp": ts,
            "message": message,
        }

    def envelope(
        self, events: list[dict[str, Any]], time_ms: int, *, one_entry: bool
    ) -> dict[str, Any]:
        if one_entry:
            entries = [{"id": self.page_id, "time": time_ms, "messaging": events}]
        else:
            entries = [{"id": self.page_id, "time": time_ms, "messaging": [e]} for e in events]
        return {"object": "page", "entry": entries}


def shortlink(ref: str) -> dict[str, str]:
    return {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}
