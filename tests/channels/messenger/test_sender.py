"""What a Messenger Send API request looks like, and how Meta's errors are read."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.messenger.client import GraphError, GraphUnavailable
from bot.channels.messenger.sender import MessengerSender, feedback_body, send_body
from bot.channels.messenger.webhook import feedback_ratings
from bot.errors import OutsideWindow, Rejected, RetryLater, TransientFailure, Unreachable
from bot.messaging.channel import Delivery
from bot.messaging.message import Choice, ChoiceAction, Invitation, Link, OutgoingMessage

SCORES = tuple((Choice(str(n), ChoiceAction.ANSWER, str(n)),) for n in range(1, 6))


def test_choices_become_quick_replies_that_send_their_label_back():
    body = send_body("psid-1", OutgoingMessage("How was it?", SCORES))
    assert body == {
        "recipient": {"id": "psid-1"},
        "messaging_type": "RESPONSE",
        "message": {
            "text": "How was it?",
            "quick_replies": [
                {"content_type": "text", "title": str(n), "payload": str(n)} for n in range(1, 6)
            ],
        },
    }


def test_a_link_is_a_button_template_when_it_fits_else_written_out():
    link = Link("https://shop.test/s/abc", "Open the survey")
    body = send_body("p", OutgoingMessage("Hi", link=link))
    assert body["message"] == {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": "Hi",
                "buttons": [
                    {
                        "type": "web_url",
                        "url": "https://shop.test/s/abc",
                        "title": "Open the survey",
                    }
                ],
            },
        }
    }
    with_choices = send_body("p", OutgoingMessage("Hi", SCORES, link=link))["message"]
    assert with_choices["text"] == "Hi\nOpen the survey: https://shop.test/s/abc"
    long = send_body("p", OutgoingMessage("x" * 700, link=link))["message"]
    assert "attachment" not in long and long["text"].endswith("https://shop.test/s/abc")


def test_a_staff_reply_is_tagged_human_agent_only_with_the_permission():
    reply = OutgoingMessage("We are on it", case_id=3)
    assert send_body("p", reply)["messaging_type"] == "RESPONSE"
    tagged = send_body("p", reply, human_agent=True)
    assert (tagged["messaging_type"], tagged["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    survey_text = send_body("p", OutgoingMessage("How was it?"), human_agent=True)
    assert survey_text["messaging_type"] == "RESPONSE"  # never a survey under a tag


class FailingClient:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def send(self, body: dict[str, Any]) -> str:
        raise self.error


DELIVERY = Delivery(1, "send", "psid-1", OutgoingMessage("Hi").to_payload())


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (GraphError(10, 2018278, "outside the allowed window"), OutsideWindow),
        (GraphError(551, None, "This person isn't available right now"), Unreachable),
        (GraphError(100, 2018001, "No matching user found"), Unreachable),
        (GraphError(10, None, "no permission"), RetryLater),  # the app's, for everyone
        (GraphError(10, 2018065, "outside the window, the older code"), OutsideWindow),
        (GraphError(613, None, "rate limit"), RetryLater),
        (GraphError(4, None, "app rate limit"), RetryLater),
        (GraphError(32, None, "page rate limit"), RetryLater),
        (GraphError(190, 460, "token invalid"), RetryLater),
        (GraphError(1200, None, "temporary"), TransientFailure),
        (GraphError(100, None, "invalid parameter"), Rejected),
        (GraphUnavailable("timeout"), TransientFailure),
    ],
)
async def test_metas_errors_are_translated(error, raised):
    sender = MessengerSender(FailingClient(error))  # type: ignore[arg-type]
    with pytest.raises(raised):
        await sender.deliver(DELIVERY)


@pytest.mark.parametrize("code", [4, 17, 32, 613, 190, 10])
async def test_a_rate_limit_or_a_refused_token_pauses_the_whole_channel(code):
    sender = MessengerSender(FailingClient(GraphError(code, None, "limit")))  # type: ignore[arg-type]
    with pytest.raises(RetryLater) as raised:
        await sender.deliver(DELIVERY)
    assert raised.value.whole_channel


class HealthRecord:
    """What the sender records for `surveybot status` (ChannelHealthRecorder's calls)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def token_accepted(self) -> None:
        self.calls.append(("accepted",))

    async def token_refused(self, why: str) -> None:
        self.calls.append(("refused", why))

    async def limit(self, code: int, message: str) -> None:
        self.calls.append(("limit", code, message))


class ScriptedClient:
    def __init__(self, *answers: Exception | str) -> None:
        self.answers = list(answers)

    async def send(self, body: dict[str, Any]) -> str:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_rate_limits_and_a_refused_token_are_recorded_and_a_send_clears_the_refusal():
    client = ScriptedClient(
        GraphError(613, None, "Calls to this api have exceeded the rate limit"),
        GraphError(190, 460, "Error validating access token"),
        "m_1",
        "m_2",
    )
    health = HealthRecord()
    sender = MessengerSender(client, health=health)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(RetryLater):
            await sender.deliver(DELIVERY)
    assert await sender.deliver(DELIVERY) == "m_1"
    assert await sender.deliver(DELIVERY) == "m_2"
    assert health.calls == [
        ("limit", 613, "Calls to this api have exceeded the rate limit"),
        ("refused", "Meta error 190/460: Error validating access token"),
        ("accepted",),  # once: the sends after it change nothing
    ]


async def test_an_edit_is_never_attempted():
    sender = MessengerSender(FailingClient(AssertionError()))  # type: ignore[arg-type]
    with pytest.raises(Rejected, match="cannot edit"):
        await sender.deliver(Delivery(1, "edit", "p", OutgoingMessage("x").to_payload(), "m1"))


INVITATION = Invitation(
    "messenger",
    "customer_feedback",
    (
        ("question", "nps"),
        ("title", "Bạn thấy đơn hàng vừa rồi thế nào?"),
        ("subtitle", "Một câu hỏi nhanh, chưa đến một phút."),
        ("button_title", "Đánh giá"),
        ("privacy_url", "https://shop.example/privacy"),
        ("expires_in_days", "3"),
        ("follow_up", "Bạn muốn nhắn gì thêm không?"),
    ),
)


def test_the_feedback_template_is_metas_documented_shape_under_its_own_tag():
    body = feedback_body("p", INVITATION, "sb42")
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "CUSTOMER_FEEDBACK")
    payload = body["message"]["attachment"]["payload"]
    assert payload["template_type"] == "customer_feedback"
    assert payload["feedback_screens"] == [
        {
            "questions": [
                {
                    "id": "sb42",  # our tracking id: the answer names the survey by it
                    "type": "nps",
                    "score_option": "zero_to_ten",
                    "follow_up": {
                        "type": "free_form",
                        "placeholder": "Bạn muốn nhắn gì thêm không?",
                    },
                }
            ]
        }
    ]
    assert payload["business_privacy"] == {"url": "https://shop.example/privacy"}
    assert payload["expires_in_days"] == 3


class RefusingQuestions:
    """Refuses plain messages as outside the window; records what it sends."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, body: dict[str, Any]) -> str:
        if body["messaging_type"] != "MESSAGE_TAG":
            raise GraphError(10, 2018278, "outside of allowed window")
        self.sent.append(body)
        return "m_form"


async def test_outside_the_window_the_first_question_goes_as_the_feedback_template():
    client = RefusingQuestions()
    sender = MessengerSender(client)  # type: ignore[arg-type]
    question = OutgoingMessage(
        "Recommend us?", SCORES, survey_id=1, visit=1, invitations=(INVITATION,)
    )
    assert await sender.deliver(Delivery(42, "send", "p", question.to_payload())) == "m_form"
    assert client.sent[0]["tag"] == "CUSTOMER_FEEDBACK"
    with pytest.raises(OutsideWindow):  # no template: the window rules
        await sender.deliver(Delivery(43, "send", "p", OutgoingMessage("Hi").to_payload()))


async def test_a_window_known_closed_gets_the_form_without_trying_the_question():
    client = RefusingQuestions()
    sender = MessengerSender(client)  # type: ignore[arg-type]
    question = OutgoingMessage(
        "Recommend us?", SCORES, survey_id=1, visit=1, invitations=(INVITATION,)
    )
    payload = {**question.to_payload(), "template_only": True}
    assert await sender.deliver(Delivery(44, "send", "p", payload)) == "m_form"
    assert len(client.sent) == 1  # the form only: no refused attempt first


def test_a_feedback_answer_names_its_survey_by_the_question_id():
    (rating,) = feedback_ratings(
        {
            "feedback_screens": [
                {
                    "screen_id": 0,
                    "questions": {
                        "sb42": {
                            "type": "nps",
                            "payload": "3",
                            "follow_up": {"type": "free_form", "payload": "Hàng tới trễ"},
                        }
                    },
                }
            ]
        }
    )
    assert (rating.tracking_id, rating.stars, rating.note, rating.scale) == (
        "sb42",
        3,
        "Hàng tới trễ",
        (0, 10),
    )
    assert rating.address is None  # the sender's PSID, when the webhook gives it
    broken = {"feedback_screens": [{"questions": {"sb1": {"type": "nps", "payload": "x"}}}, 5]}
    assert feedback_ratings(broken) == []
