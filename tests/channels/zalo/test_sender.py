"""What a Zalo consultation message looks like, and how Zalo's answers are read."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.zalo.client import ZaloApiError, ZaloUnavailable
from bot.channels.zalo.sender import ZaloSender, consultation_message
from bot.errors import OutsideWindow, Rejected, RetryLater, TransientFailure, Unreachable
from bot.messaging.channel import Delivery
from bot.messaging.message import Choice, ChoiceAction, Invitation, Link, OutgoingMessage


def test_choices_become_query_buttons_that_send_their_label_back():
    message = OutgoingMessage(
        "Bạn hài lòng không?",
        (
            (Choice("Rất hài lòng", ChoiceAction.ANSWER, "5"),),
            (Choice("Bỏ qua", ChoiceAction.SKIP),),
        ),
    )
    assert consultation_message(message) == {
        "text": "Bạn hài lòng không?",
        "attachment": {
            "type": "template",
            "payload": {
                "buttons": [
                    {"title": "Rất hài lòng", "type": "oa.query.show", "payload": "Rất hài lòng"},
                    {"title": "Bỏ qua", "type": "oa.query.show", "payload": "Bỏ qua"},
                ]
            },
        },
    }


def test_a_text_alone_has_no_attachment():
    assert consultation_message(OutgoingMessage("Cảm ơn!")) == {"text": "Cảm ơn!"}


def test_a_link_is_a_button_while_there_is_room_else_written_out():
    link = Link("https://shop.test/s/abc", "Mở khảo sát")
    (button,) = consultation_message(OutgoingMessage("Hi", link=link))["attachment"]["payload"][
        "buttons"
    ]
    assert button == {
        "title": "Mở khảo sát",
        "type": "oa.open.url",
        "payload": {"url": "https://shop.test/s/abc"},
    }
    five = tuple((Choice(str(n), ChoiceAction.ANSWER, str(n)),) for n in range(1, 6))
    full = consultation_message(OutgoingMessage("Hi", five, link=link))
    assert len(full["attachment"]["payload"]["buttons"]) == 5
    assert full["text"] == "Hi\nMở khảo sát: https://shop.test/s/abc"


class StubTokens:
    def __init__(self) -> None:
        self.invalidated: list[str] = []
        self.limits: list[int] = []

    async def access_token(self) -> str:
        return "access-1"

    def invalidate(self, token: str) -> None:
        self.invalidated.append(token)

    async def record_limit(self, code: int, message: str) -> None:
        self.limits.append(code)


class FailingClient:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def send_consultation(self, token: str, user_id: str, message: dict[str, Any]) -> str:
        raise self.error


DELIVERY = Delivery(1, "send", "zalo-user-1", OutgoingMessage("Hi").to_payload())


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (ZaloApiError(-213, "User has not followed OA"), Unreachable),
        (ZaloApiError(-227, "inactive"), Unreachable),
        (ZaloApiError(-230, "not interacted in 7 days"), OutsideWindow),
        (ZaloApiError(-32, "rate limit"), RetryLater),
        (ZaloApiError(-211, "out of quota"), RetryLater),
        (ZaloApiError(-234, "night"), RetryLater),
        (ZaloApiError(-100, "try again"), TransientFailure),
        (ZaloApiError(-210, "invalid param"), Rejected),
        (ZaloUnavailable("timeout"), TransientFailure),
    ],
)
async def test_zalos_errors_are_translated(error, raised):
    sender = ZaloSender(FailingClient(error), StubTokens())  # type: ignore[arg-type]
    with pytest.raises(raised):
        await sender.deliver(DELIVERY)


@pytest.mark.parametrize("code", [-216, -220, -401])
async def test_a_refused_access_token_is_dropped_and_the_send_retried(code):
    tokens = StubTokens()
    sender = ZaloSender(FailingClient(ZaloApiError(code, "token")), tokens)  # type: ignore[arg-type]
    with pytest.raises(TransientFailure, match="refreshing"):
        await sender.deliver(DELIVERY)
    assert tokens.invalidated == ["access-1"]


async def test_an_edit_is_never_attempted():
    sender = ZaloSender(FailingClient(AssertionError()), StubTokens())  # type: ignore[arg-type]
    with pytest.raises(Rejected, match="cannot edit"):
        await sender.deliver(Delivery(1, "edit", "u", OutgoingMessage("x").to_payload(), "m1"))


@pytest.mark.parametrize("code", [-32, -211])
async def test_a_call_limit_or_quota_pauses_the_whole_channel_and_is_counted(code):
    tokens = StubTokens()
    sender = ZaloSender(FailingClient(ZaloApiError(code, "limit")), tokens)  # type: ignore[arg-type]
    with pytest.raises(RetryLater) as raised:
        await sender.deliver(DELIVERY)
    assert raised.value.whole_channel
    assert tokens.limits == [code]


INVITATION = Invitation("zalo", "800001", (("customer_name", "Lan"), ("order_code", "SO-1")))
QUESTION = OutgoingMessage("Bạn hài lòng không?", survey_id=7, visit=1, invitations=(INVITATION,))


class RecordingClient:
    """Refuses consultation messages with `consultation_error` (if any); records sends."""

    def __init__(self, consultation_error: Exception | None = None) -> None:
        self.consultation_error = consultation_error
        self.sent: list[tuple[str, ...]] = []

    async def send_consultation(self, token: str, user_id: str, message: dict[str, Any]) -> str:
        if self.consultation_error is not None:
            raise self.consultation_error
        self.sent.append(("cs", user_id))
        return "cs-1"

    async def send_template_by_phone(
        self, token: str, phone: str, template: str, data: dict[str, str], tracking_id: str
    ) -> str:
        self.sent.append(("phone", phone, template, str(sorted(data.items())), tracking_id))
        return "zbs-1"

    async def send_template_to_user(
        self, token: str, user_id: str, template: str, data: dict[str, str]
    ) -> str:
        self.sent.append(("user", user_id, template))
        return "zbs-2"


async def test_a_phone_gets_the_flows_template_with_the_outbox_id_as_tracking_id():
    client = RecordingClient()
    sender = ZaloSender(client, StubTokens())  # type: ignore[arg-type]
    message_id = await sender.deliver(Delivery(42, "send", "+84901234567", QUESTION.to_payload()))
    assert message_id == "zbs-1"
    assert client.sent == [
        (
            "phone",
            "84901234567",
            "800001",
            "[('customer_name', 'Lan'), ('order_code', 'SO-1')]",
            "sb42",  # ours, never one of the shop's own numbered tracking ids
        )
    ]


async def test_a_phone_takes_nothing_but_a_template():
    sender = ZaloSender(RecordingClient(), StubTokens())  # type: ignore[arg-type]
    with pytest.raises(OutsideWindow, match="only the flow's approved template"):
        await sender.deliver(
            Delivery(1, "send", "+84901234567", OutgoingMessage("Hi").to_payload())
        )


async def test_zalo_reaches_vietnamese_numbers_only():
    sender = ZaloSender(RecordingClient(), StubTokens())  # type: ignore[arg-type]
    with pytest.raises(Unreachable, match=r"\+84"):
        await sender.deliver(Delivery(1, "send", "+6591234567", QUESTION.to_payload()))


async def test_a_follower_in_the_window_gets_the_question_itself():
    client = RecordingClient()
    sender = ZaloSender(client, StubTokens())  # type: ignore[arg-type]
    assert await sender.deliver(Delivery(1, "send", "5001", QUESTION.to_payload())) == "cs-1"
    assert client.sent == [("cs", "5001")]


@pytest.mark.parametrize("code", [-230, -213])
async def test_the_template_goes_by_user_id_when_zalo_refuses_the_question(code):
    client = RecordingClient(ZaloApiError(code, "window"))
    sender = ZaloSender(client, StubTokens())  # type: ignore[arg-type]
    assert await sender.deliver(Delivery(1, "send", "5001", QUESTION.to_payload())) == "zbs-2"
    assert client.sent == [("user", "5001", "800001")]


async def test_without_an_invitation_a_closed_window_is_outside_the_window():
    client = RecordingClient(ZaloApiError(-230, "window"))
    sender = ZaloSender(client, StubTokens())  # type: ignore[arg-type]
    with pytest.raises(OutsideWindow):
        await sender.deliver(Delivery(1, "send", "5001", OutgoingMessage("Hi").to_payload()))


class TemplateFailing(RecordingClient):
    def __init__(self, error: ZaloApiError) -> None:
        super().__init__()
        self.error = error

    async def send_template_by_phone(self, *args: Any) -> str:
        raise self.error


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        (-118, Unreachable),  # no Zalo account
        (-108, Unreachable),  # a phone Zalo does not take
        (-141, Unreachable),  # the customer refuses the OA's templates
        (-131, Rejected),  # not approved
        (-112, Rejected),  # wrong template_data
        (-144, RetryLater),  # the template quota
    ],
)
async def test_template_errors_are_translated(code, raised):
    tokens = StubTokens()
    sender = ZaloSender(TemplateFailing(ZaloApiError(code, "zbs")), tokens)  # type: ignore[arg-type]
    with pytest.raises(raised) as caught:
        await sender.deliver(Delivery(1, "send", "+84901234567", QUESTION.to_payload()))
    if raised is RetryLater:
        assert not caught.value.whole_channel  # consultation messages go on
        assert tokens.limits == [code]  # counted for the status and the dashboard
