"""The fake Messenger's own rules, driven by a plain aiohttp client and a recording webhook."""

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fakes.conftest import MESSENGER_USER, ManualClock
from tests.fakes.messenger import FakeMessenger

HOUR = 3600
DAY = 24 * HOUR
USER = MESSENGER_USER


async def send(
    http: aiohttp.ClientSession,
    fake: FakeMessenger,
    body: dict[str, Any],
    *,
    path: str | None = None,
    token: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST a Send API body with the token as the access_token query parameter."""
    url = fake.base_url + (path or f"/v21.0/{fake.page_id}/messages")
    params = {"access_token": token if token is not None else fake.page_token}
    async with http.post(url, json=body, params=params if token != "" else None) as resp:
        answer: dict[str, Any] = await resp.json()
        return resp.status, answer


def text_body(
    text: str = "Chào Lan", messaging_type: str = "RESPONSE", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"recipient": {"id": USER}, "messaging_type": messaging_type}
    body["message"] = {"text": text} | extra.pop("message", {})
    return body | extra


def quick(title: str, payload: str | None = None) -> dict[str, Any]:
    return {"content_type": "text", "title": title, "payload": payload or f"p:{title}"}


def question(**fields: Any) -> dict[str, Any]:
    """Meta's sample question (Customer Feedback Template page), with changes."""
    q: dict[str, Any] = {
        "id": "hauydmns8",
        "type": "csat",
        "title": "How would you rate your experience with Original Coast Clothing?",
        "score_label": "neg_pos",
        "score_option": "five_stars",
        "follow_up": {"type": "free_form", "placeholder": "Give additional feedback"},
    }
    return {k: v for k, v in (q | fields).items() if v is not None}


def feedback_body(
    messaging_type: str = "RESPONSE", tag: str | None = None, **fields: Any
) -> dict[str, Any]:
    """Meta's sample customer feedback template, with changes (None removes a field)."""
    payload: dict[str, Any] = {
        "template_type": "customer_feedback",
        "title": "Rate your experience with Original Coast Clothing.",
        "subtitle": (
            "Let Original Coast Clothing know how they are doing by answering two questions"
        ),
        "button_title": "Rate Experience",
        "feedback_screens": [{"questions": [question()]}],
        "business_privacy": {"url": "https://www.example.com"},
        "expires_in_days": 3,
    }
    payload = {k: v for k, v in (payload | fields).items() if v is not None}
    body: dict[str, Any] = {
        "recipient": {"id": USER},
        "messaging_type": messaging_type,
        "message": {"attachment": {"type": "template", "payload": payload}},
    }
    if tag is not None:
        body["tag"] = tag
    return body


def button_body(buttons: list[dict[str, Any]], text: str = "Rate us") -> dict[str, Any]:
    payload = {"template_type": "button", "text": text, "buttons": buttons}
    return text_body() | {"message": {"attachment": {"type": "template", "payload": payload}}}


def postback(title: str = "5", payload: str = "rate:5") -> dict[str, Any]:
    return {"type": "postback", "title": title, "payload": payload}


async def sent_id(http: aiohttp.ClientSession, fake: FakeMessenger, body: dict[str, Any]) -> str:
    status, answer = await send(http, fake, body)
    assert status == 200, answer
    message_id: str = answer["message_id"]
    return message_id


def error_of(answer: dict[str, Any]) -> tuple[int, int | None]:
    return answer["error"]["code"], answer["error"].get("error_subcode")


# ----- the Send API ---------------------------------------------------------------------


async def test_a_reply_in_the_window_is_sent_and_answered_with_both_ids(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    status, answer = await send(http, messenger, text_body("Chào Lan"))

    assert status == 200
    [sent] = messenger.messages(USER)
    assert answer == {"recipient_id": USER, "message_id": sent.message_id}
    assert sent.message_id.startswith("m_") and len(sent.message_id) > 60
    assert (sent.text, sent.messaging_type, sent.kind) == ("Chào Lan", "RESPONSE", "text")


async def test_me_any_version_and_a_bearer_token_are_accepted(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bearer {messenger.page_token}"}
    url = f"{messenger.base_url}/v7.0/me/messages"

    async with http.post(url, json=text_body(), headers=headers) as resp:
        assert resp.status == 200

    assert len(messenger.messages(USER)) == 1


async def test_form_fields_holding_json_are_accepted_as_in_metas_curl_sample(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    form = {
        "recipient": json.dumps({"id": USER}),
        "messaging_type": "UPDATE",
        "message": json.dumps({"text": "hello, world"}),
        "access_token": messenger.page_token,
    }
    async with http.post(f"{messenger.base_url}/v25.0/1111/messages", data=form) as resp:
        assert resp.status == 200

    assert messenger.messages(USER)[0].text == "hello, world"


@pytest.mark.parametrize(
    ("path", "code"), [("/v21.0/1111/messages", 104), ("/v21.0/me/messages", 2500)]
)
async def test_a_missing_token_is_refused(
    messenger: FakeMessenger, http: aiohttp.ClientSession, path: str, code: int
) -> None:
    status, answer = await send(http, messenger, text_body(), path=path, token="")

    assert (status, error_of(answer)) == (400, (code, None))
    assert messenger.rejected[0].code == code


async def test_a_wrong_token_is_190_in_metas_error_shape(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    status, answer = await send(http, messenger, text_body(), token="EAAwrong")

    assert status == 400
    assert set(answer["error"]) == {"message", "type", "code", "fbtrace_id"}
    assert (answer["error"]["type"], answer["error"]["code"]) == ("OAuthException", 190)
    assert messenger.messages(USER) == []


async def test_a_rotated_page_token_refuses_the_old_one(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    old = messenger.page_token
    messenger.page_token = "EAAnew"

    assert error_of((await send(http, messenger, text_body(), token=old))[1]) == (190, None)
    assert (await send(http, messenger, text_body()))[0] == 200


async def test_the_page_node_answers_the_pages_token_with_its_id_and_name(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    url = f"{messenger.base_url}/v23.0/{messenger.page_id}"
    good = {"fields": "id,name", "access_token": messenger.page_token}
    async with http.get(url, params=good) as resp:
        assert (resp.status, await resp.json()) == (200, {"id": "1111", "name": "Cửa hàng Lan"})
    async with http.get(url, params={**good, "access_token": "EAAwrong"}) as resp:
        assert (resp.status, error_of(await resp.json())) == (400, (190, None))
    async with http.get(f"{messenger.base_url}/v23.0/9999", params=good) as resp:
        assert error_of(await resp.json()) == (100, 33)
    assert [r.code for r in messenger.rejected] == [190, 100]
    messenger.rejected.clear()


@pytest.mark.parametrize("path", ["/v21.0/9999/messages", "/v21/1111/messages", "/1111/messages"])
async def test_another_page_or_path_is_100_33(
    messenger: FakeMessenger, http: aiohttp.ClientSession, path: str
) -> None:
    status, answer = await send(http, messenger, text_body(), path=path)

    assert (status, error_of(answer)) == (400, (100, 33))
    assert answer["error"]["type"] == "GraphMethodException"


async def test_an_unknown_psid_is_100_2018001(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    _, answer = await send(http, messenger, text_body() | {"recipient": {"id": "404"}})

    assert error_of(answer) == (100, 2018001)


INVALID_BODIES = {
    "no messaging_type": {"recipient": {"id": USER}, "message": {"text": "hi"}},
    "unknown messaging_type": text_body(messaging_type="NON_PROMOTIONAL_SUBSCRIPTION"),
    "a tag without MESSAGE_TAG": text_body(tag="HUMAN_AGENT"),
    "MESSAGE_TAG without a tag": text_body(messaging_type="MESSAGE_TAG"),
    "an unknown tag": text_body(messaging_type="MESSAGE_TAG", tag="SHIPPING_UPDATE"),
    "a PSID as a number": text_body() | {"recipient": {"id": int(USER)}},
    "a user_ref recipient": text_body() | {"recipient": {"user_ref": "abc"}},
    "2001 characters": text_body("x" * 2001),
    "blank text": text_body("  "),
    "text and attachment": text_body(message={"attachment": {"type": "template"}}),
    "no message": {"recipient": {"id": USER}, "messaging_type": "RESPONSE"},
    "14 quick replies": text_body(message={"quick_replies": [quick(str(i)) for i in range(14)]}),
    "a 21-character title": text_body(message={"quick_replies": [quick("x" * 21)]}),
    "a 1001-character payload": text_body(message={"quick_replies": [quick("a", "p" * 1001)]}),
    "no payload": text_body(message={"quick_replies": [{"content_type": "text", "title": "a"}]}),
    "an unknown content_type": text_body(message={"quick_replies": [{"content_type": "location"}]}),
    "1000-character metadata": text_body(message={"metadata": "m" * 1000}),
    "4 buttons": button_body([postback(str(i)) for i in range(4)]),
    "no buttons": button_body([]),
    "a 21-character button title": button_body([postback("x" * 21)]),
    "641-character button text": button_body([postback()], text="t" * 641),
    "a web_url without http": button_body([{"type": "web_url", "title": "Web", "url": "x.vn"}]),
    "a phone_number button": button_body([{"type": "phone_number", "title": "Call"}]),
    "a generic template": text_body()
    | {"message": {"attachment": {"type": "template", "payload": {"template_type": "generic"}}}},
    "an image": text_body() | {"message": {"attachment": {"type": "image", "payload": {}}}},
    "a sender_action with a message": text_body() | {"sender_action": "typing_on"},
}


@pytest.mark.parametrize("body", INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
async def test_a_malformed_body_is_100_and_recorded(
    messenger: FakeMessenger, http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    status, answer = await send(http, messenger, body)

    assert (status, error_of(answer)) == (400, (100, None))
    assert answer["error"]["message"].startswith("(#100) ")
    assert [r.code for r in messenger.rejected] == [100]
    assert messenger.messages(USER) == []


async def test_the_limits_themselves_are_accepted(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    replies = [quick(f"{i:02d}" + "x" * 18, "p" * 1000) for i in range(13)]
    buttons = [
        postback("b" * 20, "p" * 1000),
        postback(),
        {"type": "web_url", "title": "Web", "url": "https://a.vn"},
    ]

    assert (await send(http, messenger, text_body("x" * 2000, message={"quick_replies": replies})))[
        0
    ] == 200
    assert (await send(http, messenger, button_body(buttons, text="t" * 640)))[0] == 200
    assert messenger.rejected == []
    assert [len(m.quick_replies) for m in messenger.messages(USER)] == [13, 0]


async def test_a_sender_action_is_answered_with_the_recipient_only(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    body = {"recipient": {"id": USER}, "sender_action": "typing_on"}

    status, answer = await send(http, messenger, body)

    assert (status, answer) == (200, {"recipient_id": USER})
    assert [a.action for a in messenger.sender_actions] == ["typing_on"]
    assert messenger.messages(USER) == []


async def test_a_user_who_blocked_the_page_is_551_until_writing_again(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    messenger.user_blocks(USER)

    status, answer = await send(http, messenger, text_body())
    messenger.user_sends(USER, "sorry, back")

    assert (status, error_of(answer)) == (400, (551, 1545041))
    assert (await send(http, messenger, text_body()))[0] == 200


async def test_an_injected_fault_hits_only_its_psid_and_times_outside_rejected(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    messenger.add_user("7002")
    messenger.interacted("7002", messenger.clock())
    messenger.fail_next(613, psid=USER, times=2)

    other = await send(http, messenger, text_body() | {"recipient": {"id": "7002"}})
    first, second, third = [await send(http, messenger, text_body()) for _ in range(3)]

    assert other[0] == 200
    assert [error_of(a) for _, a in (first, second)] == [(613, None)] * 2
    assert third[0] == 200
    assert (messenger.rejected, len(messenger.injected_faults)) == ([], 2)
    assert len(messenger.messages(USER)) == 1


async def test_an_injected_code_2_is_an_http_500(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    messenger.fail_next(2)

    status, answer = await send(http, messenger, text_body())

    assert (status, error_of(answer)) == (500, (2, None))


# ----- the 24-hour window and the tags -------------------------------------------------


async def test_response_and_update_need_the_24_hour_window(
    messenger: FakeMessenger, http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    messenger.interacted(USER, wall_clock.now)
    wall_clock.advance(DAY)
    assert (await send(http, messenger, text_body(messaging_type="UPDATE")))[0] == 200

    wall_clock.advance(1)

    for kind in ("RESPONSE", "UPDATE"):
        status, answer = await send(http, messenger, text_body(messaging_type=kind))
        assert (status, error_of(answer)) == (400, (10, 2018278))
    assert "outside of allowed window" in messenger.rejected[0].message


async def test_a_person_who_never_wrote_cannot_be_messaged(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    messenger.add_user("7003")

    _, answer = await send(http, messenger, text_body() | {"recipient": {"id": "7003"}})

    assert error_of(answer) == (10, 2018278)


@pytest.mark.parametrize("action", ["sends", "taps", "postback", "existing-thread link"])
async def test_each_user_action_opens_a_new_window(
    messenger: FakeMessenger, http: aiohttp.ClientSession, wall_clock: ManualClock, action: str
) -> None:
    buttons = await sent_id(http, messenger, button_body([postback()]))
    asked = await sent_id(
        http, messenger, text_body("Rate?", message={"quick_replies": [quick("5")]})
    )
    wall_clock.advance(DAY)  # the fixture's message was a minute before: the window closed
    assert error_of((await send(http, messenger, text_body()))[1]) == (10, 2018278)
    actions = {
        "sends": lambda: messenger.user_sends(USER, "hi"),
        "taps": lambda: messenger.user_taps(USER, asked, "5"),
        "postback": lambda: messenger.user_postback(USER, "rate:5", "5", message_id=buttons),
        "existing-thread link": lambda: messenger.user_opens_link(USER, "o-42", new_thread=False),
    }

    actions[action]()

    assert (await send(http, messenger, text_body()))[0] == 200


async def test_a_feedback_submission_does_not_reopen_the_window(
    messenger: FakeMessenger, http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    form = await sent_id(http, messenger, feedback_body())
    wall_clock.advance(DAY + 1)

    messenger.user_submits_feedback(USER, form, 5)

    assert error_of((await send(http, messenger, text_body()))[1]) == (10, 2018278)


@pytest.mark.parametrize(
    "tag", ["CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"]
)
async def test_the_tags_meta_retired_are_100_1893061(
    messenger: FakeMessenger, http: aiohttp.ClientSession, tag: str
) -> None:
    _, answer = await send(http, messenger, text_body(messaging_type="MESSAGE_TAG", tag=tag))

    assert error_of(answer) == (100, 1893061)


async def test_legacy_tags_go_out_any_time_but_a_survey_under_them_is_a_violation(
    http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    async with FakeMessenger(clock=wall_clock, legacy_tags=True, echoes=False) as fake:
        fake.add_user(USER)
        fake.interacted(USER, wall_clock.now - 30 * DAY)
        update = text_body("Shipped", "MESSAGE_TAG", tag="POST_PURCHASE_UPDATE")
        survey = text_body("Rate us?", "MESSAGE_TAG", tag="POST_PURCHASE_UPDATE")
        survey["message"]["quick_replies"] = [quick("5")]

        assert (await send(http, fake, update))[0] == 200
        assert fake.policy_violations == []
        assert (await send(http, fake, survey))[0] == 200

        [violation] = fake.policy_violations
        assert (violation.tag, violation.message_id) == (
            "POST_PURCHASE_UPDATE",
            fake.messages(USER)[1].message_id,
        )
        assert "survey" in violation.reason


async def test_human_agent_needs_the_permission(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    _, answer = await send(
        http, messenger, text_body(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    )

    assert error_of(answer) == (10, 2018278)
    assert "Human Agent" in answer["error"]["message"]


async def test_human_agent_reaches_7_days_after_the_last_message_only(
    http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    async with FakeMessenger(clock=wall_clock, human_agent=True, echoes=False) as fake:
        fake.add_user(USER)
        fake.interacted(USER, wall_clock.now)
        agent = text_body("An agent here", "MESSAGE_TAG", tag="HUMAN_AGENT")
        wall_clock.advance(7 * DAY)
        assert (await send(http, fake, agent))[0] == 200

        wall_clock.advance(1)

        assert error_of((await send(http, fake, agent))[1]) == (10, 2018278)


async def test_a_postback_does_not_count_for_the_7_day_tags(
    http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    async with FakeMessenger(clock=wall_clock, human_agent=True, echoes=False) as fake:
        fake.add_user(USER)
        fake.interacted(USER, wall_clock.now - 8 * DAY)
        fake.user_postback(USER, "GET_STARTED", "Get Started")
        wall_clock.advance(DAY + 1)

        _, answer = await send(http, fake, text_body("Agent", "MESSAGE_TAG", tag="HUMAN_AGENT"))

        assert error_of(answer) == (10, 2018278)


@pytest.mark.parametrize("action", ["sends", "taps"])
async def test_a_message_or_a_tap_renews_the_7_days_of_the_customer_feedback_tag(
    messenger: FakeMessenger, http: aiohttp.ClientSession, wall_clock: ManualClock, action: str
) -> None:
    asked = await sent_id(
        http, messenger, text_body("Rate?", message={"quick_replies": [quick("5")]})
    )
    messenger.interacted(USER, wall_clock.now - 6 * DAY)
    if action == "sends":
        messenger.user_sends(USER, "hi")
    else:
        messenger.user_taps(USER, asked, "5")
    wall_clock.advance(3 * DAY)

    status, answer = await send(http, messenger, feedback_body("MESSAGE_TAG", "CUSTOMER_FEEDBACK"))

    assert status == 200, answer


async def test_human_agent_with_quick_replies_is_a_policy_violation(
    http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    async with FakeMessenger(clock=wall_clock, human_agent=True, echoes=False) as fake:
        fake.add_user(USER)
        fake.interacted(USER, wall_clock.now - 2 * DAY)
        body = text_body("How did we do?", "MESSAGE_TAG", tag="HUMAN_AGENT")
        body["message"]["quick_replies"] = [quick("Good"), quick("Bad")]

        assert (await send(http, fake, body))[0] == 200

        assert [v.tag for v in fake.policy_violations] == ["HUMAN_AGENT"]


async def test_customer_feedback_tag_takes_only_the_feedback_template(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    body = text_body("Rate us", "MESSAGE_TAG", tag="CUSTOMER_FEEDBACK")

    _, answer = await send(http, messenger, body)

    assert error_of(answer) == (100, None)
    assert "customer feedback template" in answer["error"]["message"]


async def test_after_24_hours_the_feedback_template_needs_the_customer_feedback_tag(
    messenger: FakeMessenger, http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    wall_clock.advance(3 * DAY)

    refused = await send(http, messenger, feedback_body())
    accepted = await send(http, messenger, feedback_body("MESSAGE_TAG", "CUSTOMER_FEEDBACK"))

    assert error_of(refused[1]) == (10, 2018278)
    assert accepted[0] == 200
    assert messenger.messages(USER)[0].tag == "CUSTOMER_FEEDBACK"
    assert messenger.policy_violations == []


async def test_the_customer_feedback_tag_ends_7_days_after_the_last_message(
    messenger: FakeMessenger, http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    messenger.interacted(USER, wall_clock.now)
    wall_clock.advance(7 * DAY + 1)

    _, answer = await send(http, messenger, feedback_body("MESSAGE_TAG", "CUSTOMER_FEEDBACK"))

    assert error_of(answer) == (10, 2018278)


async def test_the_feedback_template_under_human_agent_is_a_policy_violation(
    http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    async with FakeMessenger(clock=wall_clock, human_agent=True, echoes=False) as fake:
        fake.add_user(USER)
        fake.interacted(USER, wall_clock.now - 2 * DAY)

        assert (await send(http, fake, feedback_body("MESSAGE_TAG", "HUMAN_AGENT")))[0] == 200

        [violation] = fake.policy_violations
        assert "only CUSTOMER_FEEDBACK" in violation.reason


# ----- the customer feedback template ---------------------------------------------------


async def test_metas_sample_feedback_template_is_accepted(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    assert (await send(http, messenger, feedback_body()))[0] == 200

    [sent] = messenger.messages(USER)
    assert sent.kind == "customer_feedback"
    assert sent.feedback is not None
    assert (sent.feedback.question_id, sent.feedback.question_type) == ("hauydmns8", "csat")
    assert (sent.feedback.follow_up, sent.feedback.expires_in_days) == (True, 3)


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "x" * 65, "subtitle": "y" * 80, "button_title": "z" * 20, "expires_in_days": 7},
        {
            "feedback_screens": [
                {
                    "questions": [
                        question(
                            type="nps",
                            score_option="zero_to_ten",
                            title=None,
                            score_label="unlike_like",
                        )
                    ]
                }
            ]
        },
        {
            "feedback_screens": [
                {
                    "questions": [
                        question(type="ces", score_option=None, follow_up=None, id="a_" + "1" * 78)
                    ]
                }
            ]
        },
        {
            "feedback_screens": [
                {
                    "questions": [
                        question(
                            type="free_form", score_option=None, score_label=None, follow_up=None
                        )
                    ]
                }
            ]
        },
        {
            "expires_in_days": None,
            "feedback_screens": [{"questions": [question(follow_up={"type": "free_form"})]}],
        },
    ],
    ids=["limits", "nps", "ces", "free_form", "defaults"],
)
async def test_documented_variants_of_the_template_are_accepted(
    messenger: FakeMessenger, http: aiohttp.ClientSession, changes: dict[str, Any]
) -> None:
    status, answer = await send(http, messenger, feedback_body(**changes))

    assert status == 200, answer


def one(**fields: Any) -> dict[str, Any]:
    return {"feedback_screens": [{"questions": [question(**fields)]}]}


INVALID_TEMPLATES = {
    "a 66-character title": {"title": "x" * 66},
    "a URL in the title": {"title": "Rate us at https://a.vn"},
    "an 81-character subtitle": {"subtitle": "y" * 81},
    "a 21-character button_title": {"button_title": "z" * 21},
    "no subtitle": {"subtitle": None},
    "no business_privacy": {"business_privacy": None},
    "a privacy link without http": {"business_privacy": {"url": "example.com"}},
    "two screens": {"feedback_screens": [{"questions": [question()]}] * 2},
    "two questions": {"feedback_screens": [{"questions": [question(), question(id="b")]}]},
    "a dash in the id": one(id="abnj-4567"),
    "an 81-character id": one(id="a" * 81),
    "type stars": one(type="stars"),
    "five_stars for nps": one(type="nps"),
    "1_to_5 for csat": one(score_option="1_to_5"),
    "an unknown score_label": one(score_label="bad_good"),
    "a 4-character question title": one(title="Rate"),
    "an 86-character question title": one(title="q" * 86),
    "a follow_up of another type": one(follow_up={"type": "stars"}),
    "a follow_up on free_form": one(type="free_form", score_option=None, score_label=None),
    "a 66-character placeholder": one(follow_up={"type": "free_form", "placeholder": "p" * 66}),
    "expires in 0 days": {"expires_in_days": 0},
    "expires in 8 days": {"expires_in_days": 8},
    "expires as a string": {"expires_in_days": "3"},
    "a misspelt field": {"expire_in_days": 3},
    "an unknown question field": one(scale="five"),
}


@pytest.mark.parametrize("changes", INVALID_TEMPLATES.values(), ids=INVALID_TEMPLATES.keys())
async def test_a_template_off_metas_spec_is_100(
    messenger: FakeMessenger, http: aiohttp.ClientSession, changes: dict[str, Any]
) -> None:
    status, answer = await send(http, messenger, feedback_body(**changes))

    assert (status, error_of(answer)) == (400, (100, None))
    assert messenger.messages(USER) == []


# ----- the webhook ----------------------------------------------------------------------


class Receiver:
    """The bot's webhook: GET answers the handshake for `verify_token`; POST records raw
    bodies and signature headers, and the next answers are scripted."""

    def __init__(self, verify_token: str) -> None:
        self.verify_token = verify_token
        self.received: list[tuple[bytes, str | None]] = []
        self.statuses: list[int] = []
        self.hold_first = False
        self.release = asyncio.Event()
        self.url = ""

    async def handle_post(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), request.headers.get("X-Hub-Signature-256")))
        if self.hold_first and len(self.received) == 1:
            await self.release.wait()  # slower than the fake's timeout
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def handle_get(self, request: web.Request) -> web.Response:
        query = request.query
        if (
            query.get("hub.mode") == "subscribe"
            and query.get("hub.verify_token") == self.verify_token
        ):
            return web.Response(text=query["hub.challenge"])
        return web.Response(status=403)

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body, _ in self.received]

    def events(self) -> list[dict[str, Any]]:
        return [e for p in self.payloads() for entry in p["entry"] for e in entry["messaging"]]


@pytest.fixture
async def receiver(messenger: FakeMessenger) -> AsyncIterator[Receiver]:
    receiver = Receiver(messenger.verify_token)
    app = web.Application()
    app.router.add_post("/messenger/webhook", receiver.handle_post)
    app.router.add_get("/messenger/webhook", receiver.handle_get)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/messenger/webhook"
    messenger.webhook_url = receiver.url
    yield receiver
    receiver.release.set()
    await runner.cleanup()


async def test_the_verification_handshake_echoes_the_challenge(
    messenger: FakeMessenger, receiver: Receiver
) -> None:
    passed = await messenger.verify_webhook()
    failed = await messenger.verify_webhook("not-the-token")

    assert passed and passed.challenge.isdigit() and passed.body == passed.challenge
    assert not failed and failed.status == 403
    assert messenger.verifications == [passed, failed]


async def test_a_message_arrives_as_signed_ascii_json_in_a_page_envelope(
    messenger: FakeMessenger, receiver: Receiver, wall_clock: ManualClock
) -> None:
    event = messenger.user_sends(USER, "Chào äöå")

    await messenger.wait_for_deliveries()
    [(body, header)] = receiver.received
    assert header == "sha256=" + hmac.new(b"fake-app-secret", body, hashlib.sha256).hexdigest()
    assert body.isascii() and b"\\u00e4\\u00f6\\u00e5" in body
    ms = int(wall_clock.now * 1000)
    assert json.loads(body) == {
        "object": "page",
        "entry": [{"id": "1111", "time": ms, "messaging": [event]}],
    }
    assert event["sender"] == {"id": USER} and event["recipient"] == {"id": "1111"}
    assert (event["timestamp"], event["message"]["text"]) == (ms, "Chào äöå")
    assert event["message"]["mid"].startswith("m_")


async def test_a_quick_reply_tap_sends_its_title_and_payload(
    messenger: FakeMessenger, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    asked = await sent_id(
        http, messenger, text_body("Rate?", message={"quick_replies": [quick("5 ★", "rate:5")]})
    )

    messenger.user_taps(USER, asked, "5 ★")

    await messenger.wait_for_deliveries()
    [event] = receiver.events()
    assert event["message"]["text"] == "5 ★"
    assert event["message"]["quick_reply"] == {"payload": "rate:5"}


async def test_quick_replies_are_gone_once_tapped_or_after_a_newer_message(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    offer = text_body("Rate?", message={"quick_replies": [quick("5"), quick("1")]})
    first = await sent_id(http, messenger, offer)
    second = await sent_id(http, messenger, offer)

    with pytest.raises(AssertionError, match="gone"):
        messenger.user_taps(USER, first, "5")
    messenger.user_taps(USER, second, "5")
    with pytest.raises(AssertionError, match="gone"):
        messenger.user_taps(USER, second, "1")
    with pytest.raises(AssertionError, match="no quick reply"):
        messenger.user_taps(USER, second, "3")


async def test_a_postback_button_or_get_started_arrives_as_a_postback(
    messenger: FakeMessenger, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    buttons = await sent_id(http, messenger, button_body([postback("Good", "rate:good")]))

    messenger.user_postback(USER, "rate:good", "Good", message_id=buttons)
    messenger.user_postback(USER, "GET_STARTED", "Get Started")
    with pytest.raises(AssertionError, match="no postback button"):
        messenger.user_postback(USER, "rate:bad", "Bad")

    await messenger.wait_for_deliveries()
    postbacks = [e["postback"] for e in receiver.events()]
    assert [(p["title"], p["payload"]) for p in postbacks] == [
        ("Good", "rate:good"),
        ("Get Started", "GET_STARTED"),
    ]
    assert all(p["mid"].startswith("m_") and "referral" not in p for p in postbacks)


async def test_an_mme_link_into_a_new_thread_is_get_started_with_the_referral(
    messenger: FakeMessenger, receiver: Receiver
) -> None:
    messenger.add_user("7004")

    messenger.user_opens_link("7004", "order_42=a-b", new_thread=True)

    await messenger.wait_for_deliveries()
    [event] = receiver.events()
    assert event["postback"]["payload"] == "GET_STARTED"
    assert event["postback"]["referral"] == {
        "ref": "order_42=a-b",
        "source": "SHORTLINK",
        "type": "OPEN_THREAD",
    }
    assert messenger.user("7004").window_opened is not None
    messenger.user_opens_link("7004", "again", new_thread=False)  # the thread exists now


async def test_an_mme_link_into_an_existing_thread_is_a_referral_event(
    messenger: FakeMessenger, receiver: Receiver
) -> None:
    messenger.user_opens_link(USER, "order-42", new_thread=False)

    await messenger.wait_for_deliveries()
    [event] = receiver.events()
    assert event["referral"] == {"ref": "order-42", "source": "SHORTLINK", "type": "OPEN_THREAD"}
    assert "postback" not in event and "message" not in event


async def test_a_link_is_followed_only_as_messenger_allows(messenger: FakeMessenger) -> None:
    with pytest.raises(AssertionError, match="only letters"):
        messenger.user_opens_link(USER, "order 42", new_thread=False)
    with pytest.raises(AssertionError, match="already has a thread"):
        messenger.user_opens_link(USER, "order-42", new_thread=True)


async def test_a_feedback_submission_arrives_as_messaging_feedback_without_a_mid(
    messenger: FakeMessenger, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    form = await sent_id(http, messenger, feedback_body())

    messenger.user_submits_feedback(USER, form, 5, "Nhanh, đúng hẹn")

    await messenger.wait_for_deliveries()
    [event] = receiver.events()
    assert event == {
        "sender": {"id": USER},
        "recipient": {"id": "1111"},
        "messaging_feedback": {
            "feedback_screens": [
                {
                    "screen_id": 0,
                    "questions": {
                        "hauydmns8": {
                            "type": "csat",
                            "payload": "5",
                            "follow_up": {"type": "free_form", "payload": "Nhanh, đúng hẹn"},
                        }
                    },
                }
            ]
        },
    }
    [submission] = messenger.feedback_submissions
    assert (submission.message_id, submission.payload) == (form, "5")


@pytest.mark.parametrize(
    ("kind", "score", "ok"),
    [
        ("nps", 0, True),
        ("nps", 11, False),
        ("ces", 7, True),
        ("ces", 8, False),
        ("csat", 0, False),
        ("csat", "5", False),
    ],
)
async def test_a_score_must_fit_the_question_type(
    messenger: FakeMessenger, http: aiohttp.ClientSession, kind: str, score: Any, ok: bool
) -> None:
    options = {"nps": "zero_to_ten", "ces": "one_to_seven", "csat": "five_stars"}
    changes = one(type=kind, score_option=options[kind], score_label=None)
    form = await sent_id(http, messenger, feedback_body(**changes))

    if ok:
        assert messenger.user_submits_feedback(USER, form, score)
    else:
        with pytest.raises(AssertionError, match="score"):
            messenger.user_submits_feedback(USER, form, score)


async def test_a_free_form_question_is_answered_with_text(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    changes = one(type="free_form", score_option=None, score_label=None, follow_up=None)
    form = await sent_id(http, messenger, feedback_body(**changes))

    event = messenger.user_submits_feedback(USER, form, "Giao hơi chậm")

    answer = event["messaging_feedback"]["feedback_screens"][0]["questions"]["hauydmns8"]
    assert answer == {"type": "free_form", "payload": "Giao hơi chậm"}


async def test_a_comment_needs_a_follow_up_and_fits_400_characters(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    bare = await sent_id(http, messenger, feedback_body(**one(follow_up=None)))
    full = await sent_id(http, messenger, feedback_body())

    with pytest.raises(AssertionError, match="no free-form follow_up"):
        messenger.user_submits_feedback(USER, bare, 4, "nice")
    with pytest.raises(AssertionError, match="400"):
        messenger.user_submits_feedback(USER, full, 4, "x" * 401)
    assert messenger.user_submits_feedback(USER, full, 4, "x" * 400)


async def test_a_feedback_form_takes_one_submission(
    messenger: FakeMessenger, http: aiohttp.ClientSession
) -> None:
    form = await sent_id(http, messenger, feedback_body())
    messenger.user_submits_feedback(USER, form, 5)

    with pytest.raises(AssertionError, match="already submitted"):
        messenger.user_submits_feedback(USER, form, 4)


@pytest.mark.parametrize(("days", "expires_in_days"), [(1, None), (3, 3)])
async def test_a_feedback_form_expires_after_its_days(
    messenger: FakeMessenger,
    http: aiohttp.ClientSession,
    wall_clock: ManualClock,
    days: int,
    expires_in_days: int | None,
) -> None:
    form = await sent_id(http, messenger, feedback_body(expires_in_days=expires_in_days))
    wall_clock.advance(days * DAY + 1)

    with pytest.raises(AssertionError, match="expired"):
        messenger.user_submits_feedback(USER, form, 5)


async def test_an_echo_of_each_sent_message_reaches_the_webhook(
    messenger: FakeMessenger, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    messenger.echoes = True
    body = text_body("Chào", message={"metadata": "outbox:9", "quick_replies": [quick("5")]})
    mid = await sent_id(http, messenger, body)

    await messenger.wait_for_deliveries()
    [event] = receiver.events()
    assert event["sender"] == {"id": "1111"} and event["recipient"] == {"id": USER}
    assert event["message"] | {"quick_replies": "q"} == {
        "is_echo": True,
        "app_id": 2222,
        "mid": mid,
        "metadata": "outbox:9",
        "text": "Chào",
        "quick_replies": "q",
    }


async def test_a_read_receipt_carries_a_watermark(
    messenger: FakeMessenger, receiver: Receiver, wall_clock: ManualClock
) -> None:
    messenger.user_reads(USER)

    await messenger.wait_for_deliveries()
    assert receiver.events()[0]["read"] == {"watermark": int(wall_clock.now * 1000)}


@pytest.mark.parametrize(("one_entry", "shape"), [(False, [1, 1, 1]), (True, [3])])
async def test_a_batch_goes_in_one_post(
    messenger: FakeMessenger, receiver: Receiver, one_entry: bool, shape: list[int]
) -> None:
    with messenger.batch(one_entry=one_entry):
        messenger.user_sends(USER, "one")
        messenger.user_sends(USER, "two")
        messenger.user_opens_link(USER, "x", new_thread=False)

    await messenger.wait_for_deliveries()
    [payload] = receiver.payloads()
    assert [len(entry["messaging"]) for entry in payload["entry"]] == shape
    assert messenger.posts[0].kinds == ["message", "message", "referral"]


async def test_a_slow_answer_is_retried(messenger: FakeMessenger, receiver: Receiver) -> None:
    receiver.hold_first = True

    messenger.user_sends(USER, "5")

    await messenger.wait_for(lambda f: len(f.webhook_deliveries) == 2)
    deliveries = messenger.webhook_deliveries
    assert [d.status for d in deliveries] == [None, 200]
    assert deliveries[0].elapsed >= 0.2
    assert receiver.received[0] == receiver.received[1]


async def test_a_failing_webhook_is_given_up_after_the_attempts(
    messenger: FakeMessenger, receiver: Receiver
) -> None:
    receiver.statuses = [500, 403, 500]

    messenger.user_sends(USER, "hi")

    deliveries = await messenger.wait_for_deliveries()
    assert [(d.kinds, d.status) for d in deliveries] == [
        (["message"], 500),
        (["message"], 403),
        (["message"], 500),
    ]


async def test_a_redelivery_is_the_same_bytes_and_signature(
    messenger: FakeMessenger, receiver: Receiver
) -> None:
    messenger.user_sends(USER, "hi")
    await messenger.wait_for_deliveries()

    messenger.redeliver()

    await messenger.wait_for_deliveries()
    assert receiver.received[0] == receiver.received[1]
    assert len(messenger.posts) == 1


async def test_a_raw_post_goes_unsigned_unless_told(
    messenger: FakeMessenger, receiver: Receiver
) -> None:
    messenger.send_raw({"object": "page", "entry": []})
    messenger.send_raw(b"{}", signature="sha256=forged")

    await messenger.wait_for_deliveries()
    assert [header for _, header in receiver.received] == [None, "sha256=forged"]
