"""The outgoing message, whatever the channel: text, choices, a photo, a link, what it replaces.

Plain data, no channel code (the shape of Typebot's neutral messages): the presenter and the
services build these, the one outbox writer stores them, and each channel adapter turns one
into what its platform can show, within the capabilities it declares. Texts are written in
Telegram's HTML subset (see rich_text); a channel with plain markup gets them converted.

Stored in the outbox as a JSON payload; `from_payload` also reads every payload written
before this model existed, so messages queued before an upgrade are still delivered.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class ChoiceAction(StrEnum):
    ANSWER = "answer"
    SKIP = "skip"
    STOP = "stop"
    CASE = "case"  # a support card's button: value is claim / resolve / voucher
    NARROW = "narrow"  # a band of scores ("7-8") on a channel with few choices: ask the exact one


@dataclass(frozen=True)
class Choice:
    label: str
    action: ChoiceAction
    value: str = ""


ChoiceRows = tuple[tuple[Choice, ...], ...]


@dataclass(frozen=True)
class Photo:
    """A picture sent with the text as its caption (the digest's chart)."""

    png: bytes = field(repr=False)
    filename: str = "chart.png"


@dataclass(frozen=True)
class Link:
    """A web address offered with the message (a button where the channel has them)."""

    url: str
    label: str


@dataclass(frozen=True)
class Invitation:
    """A pre-approved template that opens the conversation on `channel` where the message
    itself may not go (Zalo's ZBS templates outside the 7-day window, or by phone to a buyer
    who never wrote). `data`: the template's parameters, already filled in."""

    channel: str
    template: str
    data: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OutgoingMessage:
    """A message for a customer or for staff.

    Choices answer question `visit` of survey `survey_id`; `case_id` names the support case
    a card's choices act on. `replaces` is the outbox id of an earlier message this one
    stands in for (an answered question without its choices): edited where the channel can
    edit, dropped where it cannot. `reply_to` is the outbox id it is threaded under.
    `invitations`: templates a channel sends instead when it may not send this (the first
    question of a survey)."""

    text: str
    choices: ChoiceRows = ()
    survey_id: int | None = None
    visit: int | None = None
    case_id: int | None = None
    photo: Photo | None = None
    link: Link | None = None
    replaces: int | None = None
    reply_to: int | None = None
    invitations: tuple[Invitation, ...] = ()

    @property
    def choice_count(self) -> int:
        return sum(len(row) for row in self.choices)

    def with_choices(self, choices: ChoiceRows) -> OutgoingMessage:
        return replace(self, choices=choices)

    def invitation(self, channel: str) -> Invitation | None:
        return next((i for i in self.invitations if i.channel == channel), None)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "text": self.text,
            "buttons": [
                [{"label": c.label, "action": c.action.value, "value": c.value} for c in row]
                for row in self.choices
            ],
            "survey_id": self.survey_id,
            "visit": self.visit,
        }
        if self.case_id is not None:
            payload["case_id"] = self.case_id
        if self.photo is not None:
            payload["photo"] = {
                "png_base64": base64.b64encode(self.photo.png).decode("ascii"),
                "filename": self.photo.filename,
            }
        if self.link is not None:
            payload["link"] = {"url": self.link.url, "label": self.link.label}
        if self.replaces is not None:
            payload["edit_of"] = self.replaces
        if self.reply_to is not None:
            payload["reply_to_outbox"] = self.reply_to
        if self.invitations:
            payload["invitations"] = [
                {"channel": i.channel, "template": i.template, "data": dict(i.data)}
                for i in self.invitations
            ]
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OutgoingMessage:
        """Raises KeyError or ValueError for a payload that is not a message."""
        rows = tuple(
            tuple(Choice(c["label"], ChoiceAction(c["action"]), c.get("value", "")) for c in row)
            for row in payload.get("buttons") or []
        )
        photo = payload.get("photo")
        link = payload.get("link")
        return cls(
            text=str(payload["text"]),
            choices=rows,
            survey_id=_optional_int(payload.get("survey_id")),
            visit=_optional_int(payload.get("visit")),
            case_id=_optional_int(payload.get("case_id")),
            photo=Photo(
                base64.b64decode(photo["png_base64"], validate=True),
                str(photo.get("filename") or "chart.png"),
            )
            if photo is not None
            else None,
            link=Link(str(link["url"]), str(link["label"])) if link is not None else None,
            replaces=_optional_int(payload.get("edit_of")),
            reply_to=_optional_int(payload.get("reply_to_outbox")),
            invitations=tuple(
                Invitation(
                    str(i["channel"]),
                    str(i["template"]),
                    tuple((str(k), str(v)) for k, v in dict(i.get("data") or {}).items()),
                )
                for i in payload.get("invitations") or []
            ),
        )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
