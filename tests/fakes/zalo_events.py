"""The webhook events the fake Zalo sends, shaped as in /work/notes/zalo-rules.md (item 6).

Timestamps are milliseconds as strings. A user_feedback event names no user: the bot
maps it by msg_id / tracking_id. Follow events carry no `source` (unconfirmed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EventFactory:
    app_id: str
    oa_id: str

    def user_id_by_app(self, user_id: str) -> str:
        """A stable per-app id, different from the OA-scoped user id (as in Zalo)."""
        digest = hashlib.sha256(f"{self.app_id}:{user_id}".encode()).hexdigest()
        return str(int(digest[:15], 16))

    def user_send_text(self, user_id: str, text: str, msg_id: str, ts: str) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "user_id_by_app": self.user_id_by_app(user_id),
            "event_name": "user_send_text",
            "timestamp": ts,
            "sender": {"id": user_id},
            "recipient": {"id": self.oa_id},
            "message": {"text": text, "msg_id": msg_id},
        }

    def follow(self, name: str, user_id: str, ts: str) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "user_id_by_app": self.user_id_by_app(user_id),
            "event_name": name,
            "timestamp": ts,
            "follower": {"id": user_id},
        }

    def user_feedback(
        self, msg_id: str, tracking_id: str, rate: int, feedbacks: list[str], note: str, ts: str
    ) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "event_name": "user_feedback",
            "timestamp": ts,
            "message": {
                "note": note,
                "rate": rate,
                "submit_time": ts,
                "msg_id": msg_id,
                "feedbacks": feedbacks,
                "tracking_id": tracking_id,
            },
        }
